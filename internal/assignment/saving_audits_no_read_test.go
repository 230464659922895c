package assignment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/exercise"
)

// Loading an assignment batches its reads: answers, feedback and
// signatures land on the right responses whatever their number; saves and
// the form schema audit no read; a response page audits only what it shows.
func TestBatchedViewsAndSaveAudit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", Reveal: "together"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	// Assigned three days ago: its first day was made then, the others by
	// the job on their day.
	asg, err := w.svc.WithClock(func() time.Time { return time.Now().Add(-72 * time.Hour) }).Create(w.ctx, w.counselor, w.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.MakeOccurrences(w.ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	d, _ := w.get(w.counselor, asg.ID)
	if len(d.Responses) != 8 {
		t.Fatalf("%d responses, want 4 days × 2", len(d.Responses))
	}
	trust := map[int64]float64{}
	for i, r := range d.Responses {
		who := w.a
		if *r.PartnerID == w.partnerB {
			who = w.b
		}
		ans := fill(d.Schema, "note")
		ans[exercise.TrustFieldKey] = float64(1 + i%9)
		trust[r.ID] = ans[exercise.TrustFieldKey].(float64)
		if _, err := w.svc.SaveDraft(w.ctx, who, r.ID, ans, 1); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Submit(w.ctx, who, r.ID); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := w.svc.Review(w.ctx, w.counselor, r.ID, "accept", "Noted "+itoa(r.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, who := range []actor.Actor{w.counselor, w.a} {
		got, err := w.get(who, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Responses {
			if r.Answers[exercise.TrustFieldKey] != trust[r.ID] {
				t.Errorf("%s: response %d shows trust %v, want %v", who.Name, r.ID, r.Answers[exercise.TrustFieldKey], trust[r.ID])
			}
			mineOrCounselor := who.UserID == w.counselor.UserID || *r.PartnerID == w.partnerA
			for _, f := range r.Feedback {
				if !mineOrCounselor || f.Comment != "Noted "+itoa(r.ID) {
					t.Errorf("%s: response %d carries feedback %q", who.Name, r.ID, f.Comment)
				}
			}
		}
	}
	// The response page: one event with this response only, not its pair.
	ra := responseOf(t, d, w.partnerA).ID
	if _, _, err := w.svc.GetResponse(w.ctx, w.a, ra); err != nil {
		t.Fatal(err)
	}
	if got := ids(w.lastRead(w.a), "responses"); len(got) != 1 || got[0] != ra {
		t.Errorf("response page audits %v, want [%d]", got, ra)
	}
	// Saves: no read is audited, and writing one's draft is no event at all.
	letter := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	lr := letter.Responses[0].ID
	before := w.reads(w.a)
	if _, err := w.svc.FormSchema(w.ctx, w.a, lr); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveDraft(w.ctx, w.a, lr, fill(letter.Schema, "SECRET-SAVE-TEXT"), 1); err != nil {
		t.Fatal(err)
	}
	if w.reads(w.a) != before {
		t.Error("the save path audited a read")
	}
	var events int
	if err := w.db.Get(&events, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action = 'response.save'`, lr); err != nil || events != 0 {
		t.Errorf("draft save audited: %d %v", events, err)
	}
	// The form schema is for the response's writers only.
	if _, err := w.svc.FormSchema(w.ctx, w.b, lr); code(err) != apperr.NotFound {
		t.Errorf("partner's form schema: %v", err)
	}
	if _, err := w.svc.FormSchema(w.ctx, w.counselor, lr); code(err) != apperr.Forbidden {
		t.Errorf("counselor's form schema: %v", err)
	}
}
