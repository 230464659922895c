package assignment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
)

// The chart is audited as a clinical read: one event with the responses
// whose values it shows; nothing shown, nothing audited.
func TestCheckinsReadAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	d := w.mustAssign(in)
	if _, err := w.svc.Checkins(w.ctx, w.counselor, w.couple); err != nil {
		t.Fatal(err)
	}
	if w.reads(w.counselor) != 0 {
		t.Error("an empty chart was audited")
	}
	ra := responseOf(t, d, w.partnerA).ID
	ans := fill(d.Schema, "x")
	w.svc.SaveDraft(w.ctx, w.a, ra, ans, 1)
	w.svc.Submit(w.ctx, w.a, ra)
	s, err := w.svc.Checkins(w.ctx, w.counselor, w.couple)
	if err != nil || len(s) != 1 {
		t.Fatalf("chart: %v %+v", err, s)
	}
	det := w.lastRead(w.counselor)
	if got := ids(det, "responses"); len(got) != 1 || got[0] != ra || det["view"] != "checkins" {
		t.Errorf("chart read audit: %v", det)
	}
}
