package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
)

// Write paths of someone else's response: the other partner gets 404 (a
// stale save must not hand them the current answers), the counselor 403,
// a draft id is 404 to review, an individual response cannot be signed.
func TestOthersResponsesWritePaths(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "draft words"), 1); err != nil {
		t.Fatal(err)
	}
	for _, who := range []actor.Actor{w.b, w.stranger, w.counselor2, w.foreign} {
		_, err := w.svc.SaveDraft(w.ctx, who, rid, map[string]any{}, 1) // stale on purpose
		if code(err) != apperr.NotFound {
			t.Errorf("%s stale save: %v", who.Name, err)
		}
		if ae, ok := apperr.As(err); ok && ae.Data != nil {
			t.Errorf("%s gets data: %v", who.Name, ae.Data)
		}
		if err := w.svc.Share(w.ctx, who, rid, true); code(err) != apperr.NotFound {
			t.Errorf("%s shares: %v", who.Name, err)
		}
		if err := w.svc.Submit(w.ctx, who, rid); code(err) != apperr.NotFound {
			t.Errorf("%s submits: %v", who.Name, err)
		}
	}
	_, err := w.svc.SaveDraft(w.ctx, w.counselor, rid, map[string]any{}, 1)
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Forbidden || ae.Data != nil {
		t.Errorf("counselor stale save: %v", err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "accept", ""); code(err) != apperr.NotFound {
		t.Errorf("review of a draft: %v", err)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, rid, 2); code(err) != apperr.Invalid {
		t.Errorf("sign an individual response: %v", err)
	}
}

// A reassigned counselor loses the couple at once; a client of another
// couple gets "not found" for every id.
func TestReassignedAndStrangersSeeNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "Reassigned words.")
	w.db.MustExec(`UPDATE couples SET counselor_id = $2 WHERE id = $1`, w.couple, w.counselor2.UserID)
	for _, who := range []actor.Actor{w.counselor, w.stranger, w.foreign} {
		if _, err := w.get(who, d.ID); code(err) != apperr.NotFound {
			t.Errorf("%s get: %v", who.Name, err)
		}
		if _, _, err := w.svc.GetResponse(w.ctx, who, rid); code(err) != apperr.NotFound {
			t.Errorf("%s response: %v", who.Name, err)
		}
		if err := w.svc.Review(w.ctx, who, rid, "accept", ""); code(err) != apperr.NotFound {
			t.Errorf("%s review: %v", who.Name, err)
		}
		if _, err := w.svc.Checkins(w.ctx, who, w.couple); code(err) != apperr.NotFound {
			t.Errorf("%s check-ins: %v", who.Name, err)
		}
		if _, err := w.svc.Sign(w.ctx, who, rid, 2); code(err) != apperr.NotFound {
			t.Errorf("%s sign: %v", who.Name, err)
		}
		if l, _ := w.svc.List(w.ctx, who, assignment.ListFilter{Limit: 50}); len(l) != 0 {
			t.Errorf("%s lists %d", who.Name, len(l))
		}
		if q, _ := w.svc.ReviewQueue(w.ctx, who, nil, 50); len(q) != 0 {
			t.Errorf("%s queue: %d", who.Name, len(q))
		}
	}
	if c, _ := w.svc.CountsFor(w.ctx, w.counselor); c.AwaitingReview != 0 {
		t.Errorf("old counselor's badge: %d", c.AwaitingReview)
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.counselor2, rid); err != nil {
		t.Errorf("new counselor: %v", err)
	}
}
