package assignment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/exercise"
)

// Reveal together is per occurrence, and the check-in chart shows the
// counselor submitted check-ins only (the last submitted one during a
// revision) and the partner the other's line only where revealed.
func TestRevealTogetherPerOccurrenceAndChart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// Two occurrences whose day has come: yesterday's and today's (an
	// occurrence opens on its own day, never before).
	lateYesterday := assignment.Today(time.Now(), time.UTC).Add(-time.Minute)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", Reveal: "together", DueAt: &lateYesterday}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	d := w.mustAssign(in)
	// Tomorrow's occurrence, as the job makes it on its day.
	if _, err := w.svc.MakeOccurrences(w.ctx, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	d, _ = w.get(w.counselor, d.ID)
	days := map[string]map[int64]int64{} // occurs_on → partner → response
	var order []string
	for _, r := range d.Responses {
		if days[*r.OccursOn] == nil {
			days[*r.OccursOn] = map[int64]int64{}
			order = append(order, *r.OccursOn)
		}
		days[*r.OccursOn][*r.PartnerID] = r.ID
	}
	if len(order) != 2 {
		t.Fatalf("occurrences: %v", order)
	}
	yesterday, today := order[0], order[1]
	save := func(who actor.Actor, rid int64, trust float64, submit bool) {
		t.Helper()
		ans := fill(d.Schema, "note")
		ans[exercise.TrustFieldKey] = trust
		_, rv, err := w.svc.GetResponse(w.ctx, who, rid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveDraft(w.ctx, who, rid, ans, rv.Version); err != nil {
			t.Fatal(err)
		}
		if submit {
			if err := w.svc.Submit(w.ctx, who, rid); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Yesterday both submit; today only A.
	save(w.a, days[yesterday][w.partnerA], 3, true)
	save(w.b, days[yesterday][w.partnerB], 5, true)
	save(w.a, days[today][w.partnerA], 4, true)
	bd, _ := w.get(w.b, d.ID)
	for _, r := range bd.Responses {
		if *r.PartnerID != w.partnerA {
			continue
		}
		if *r.OccursOn == yesterday && r.Answers == nil {
			t.Error("yesterday's pair is complete but not revealed")
		}
		if *r.OccursOn == today && r.Answers != nil {
			t.Error("today's answer revealed before B submitted today's")
		}
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.b, days[today][w.partnerA]); code(err) != apperr.NotFound {
		t.Errorf("B opens A's unrevealed occurrence: %v", err)
	}
	// The chart: B never sees A's line unshared; the counselor sees the
	// submitted value, not a revision draft.
	if err := w.svc.Review(w.ctx, w.counselor, days[yesterday][w.partnerA], "revise", "Again, please."); err != nil {
		t.Fatal(err)
	}
	save(w.a, days[yesterday][w.partnerA], 9, false)
	series := func(who actor.Actor) map[int64][]assignment.Point {
		s, err := w.svc.Checkins(w.ctx, who, w.couple)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64][]assignment.Point{}
		for _, x := range s {
			out[x.PartnerID] = x.Points
		}
		return out
	}
	if pts := series(w.counselor)[w.partnerA]; len(pts) != 2 || pts[0].Trust != 3 || pts[1].Trust != 4 {
		t.Errorf("counselor's chart of A: %+v (want the submitted 3, not the draft 9, then 4)", pts)
	}
	// Yesterday's pair is revealed together: B's chart shows A's submitted
	// value (not the revision draft); sharing does not apply to it.
	if pts := series(w.b)[w.partnerA]; len(pts) != 1 || pts[0].Trust != 3 {
		t.Errorf("B's chart of A's revealed check-in: %+v", pts)
	}
	if err := w.svc.Share(w.ctx, w.a, days[yesterday][w.partnerA], true); code(err) != apperr.Invalid {
		t.Fatalf("sharing a revealed-together check-in: %v", err)
	}
	if pts := series(w.a)[w.partnerA]; len(pts) != 2 || pts[0].Trust != 9 {
		t.Errorf("A's own line: %+v", pts)
	}
}
