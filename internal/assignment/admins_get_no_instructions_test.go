package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
)

// Admins get statuses and dates: not the counselor's instructions to the
// couple, which are clinical content.
func TestAdminGetsNoInstructions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	const secret = "Write about the night you found the messages from Sam."
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA, Instructions: secret})
	ad, err := w.get(w.admin, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ad.Instructions != "" {
		t.Errorf("admin reads the instructions: %q", ad.Instructions)
	}
	list, err := w.svc.List(w.ctx, w.admin, assignment.ListFilter{CoupleID: w.couple, Limit: 50})
	if err != nil || len(list) != 1 {
		t.Fatalf("admin list: %v %d", err, len(list))
	}
	if list[0].Instructions != "" {
		t.Errorf("admin list carries the instructions: %q", list[0].Instructions)
	}
	// The counselor and the couple keep them.
	for _, who := range []actor.Actor{w.counselor, w.a} {
		dd, err := w.get(who, d.ID)
		if err != nil || dd.Instructions != secret {
			t.Errorf("%s: %v %q", who.Name, err, dd.Instructions)
		}
		l, _ := w.svc.List(w.ctx, who, assignment.ListFilter{CoupleID: w.couple, Limit: 50})
		if len(l) != 1 || l[0].Instructions != secret {
			t.Errorf("%s list: %+v", who.Name, l)
		}
	}
}
