package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
)

// A withdrawn exercise and a closed couple's work are read-only: no review,
// and they leave the queue and the badge.
func TestNoReviewOfCancelledOrClosed(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "I am sorry.")
	cancelled := assignment.StatusCancelled
	if _, err := w.svc.Update(w.ctx, w.counselor, d.ID, assignment.Change{Status: &cancelled}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "accept", "Thanks."); code(err) != apperr.Conflict {
		t.Errorf("review of a withdrawn exercise: %v", err)
	}
	if q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50); len(q) != 0 {
		t.Errorf("withdrawn work queued: %+v", q)
	}
	if c, _ := w.svc.CountsFor(w.ctx, w.counselor); c.AwaitingReview != 0 {
		t.Errorf("withdrawn work counted: %d", c.AwaitingReview)
	}

	_, rid2 := w.submitted("apology-letter", "Second letter.")
	w.db.MustExec(`UPDATE couples SET status = 'closed' WHERE id = $1`, w.couple)
	if err := w.svc.Review(w.ctx, w.counselor, rid2, "revise", "More."); code(err) != apperr.Conflict {
		t.Errorf("review on a closed couple: %v", err)
	}
	var status string
	w.db.Get(&status, `SELECT status FROM responses WHERE id = $1`, rid2)
	if status != assignment.Submitted {
		t.Errorf("closed couple's response changed to %s", status)
	}
	if q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50); len(q) != 0 {
		t.Errorf("closed couple's work queued: %+v", q)
	}
}

// Withdrawing a share is withdrawing consent: it works on a closed couple
// too; sharing more does not.
func TestUnshareOnClosedCouple(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "Shared once.")
	if err := w.svc.Share(w.ctx, w.a, rid, true); err != nil {
		t.Fatal(err)
	}
	w.db.MustExec(`UPDATE couples SET status = 'closed' WHERE id = $1`, w.couple)
	if ad, _ := w.get(w.admin, d.ID); responseOf(t, ad, w.partnerA).Shared {
		t.Error("the admin learns the partner's sharing choice")
	}
	if cd, _ := w.get(w.counselor, d.ID); !responseOf(t, cd, w.partnerA).Shared {
		t.Error("the counselor does not see that it is shared")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, false); err != nil {
		t.Fatalf("unshare on a closed couple: %v", err)
	}
	bd, _ := w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers != nil {
		t.Error("partner still reads a withdrawn share")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, true); code(err) != apperr.Conflict {
		t.Errorf("share on a closed couple: %v", err)
	}
}
