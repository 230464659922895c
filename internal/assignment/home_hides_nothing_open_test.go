package assignment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
)

// A long course: hundreds of past check-ins, undated work and many
// completed exercises. Everything open is on the home page, whatever the
// history; the lists that look back are bounded.
func TestHomeLongCourseHidesNothingOpen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	daily := w.mustAssign(in)
	// A year of check-ins before today's, as the job made them day by day.
	w.history(daily.ID, 365)
	// Undated work, one of it started, and 15 completed exercises.
	undated := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "individual", PartnerID: w.partnerA})
	started := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["conversation-starters"], Mode: "joint"})
	if _, err := w.svc.SaveDraft(w.ctx, w.b, started.Responses[0].ID, map[string]any{}, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 15; i++ {
		x := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["shared-goals"], Mode: "individual", PartnerID: w.partnerA})
		w.db.MustExec(`UPDATE responses SET status = 'accepted', submitted_at = now(), reviewed_at = now() - $2 * interval '1 minute' WHERE id = $1`, x.Responses[0].ID, i)
	}
	// The other partner's work: a long history too.
	for i := 0; i < 12; i++ {
		w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["how-it-happened"], Mode: "individual", PartnerID: w.partnerB})
	}
	w.svc.SaveDraft(w.ctx, w.b, responseOf(t, w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["how-it-happened"], Mode: "individual", PartnerID: w.partnerB}), w.partnerB).ID, map[string]any{}, 1)

	h, err := w.svc.Home(w.ctx, w.a)
	if err != nil {
		t.Fatal(err)
	}
	due := map[int64]int{}
	for _, x := range h.Due {
		due[x.AssignmentID]++
	}
	if due[daily.ID] != 3 { // today and the two days before
		t.Errorf("check-ins to do: %d, want today's and the two before", due[daily.ID])
	}
	if due[undated.ID] != 1 || due[started.ID] != 1 {
		t.Errorf("undated work hidden: %v", due)
	}
	if h.Missed != 363 {
		t.Errorf("missed %d, want 363", h.Missed)
	}
	if len(h.Done) != assignment.HomeRecent || h.More != 5 {
		t.Errorf("completed: %d listed, %d more", len(h.Done), h.More)
	}
	if len(h.PartnerWork) != assignment.HomeRecent || h.PartnerMore != 4 {
		t.Errorf("partner's work: %d listed, %d more", len(h.PartnerWork), h.PartnerMore)
	}
	for _, x := range h.PartnerWork {
		if x.Started {
			t.Error("the partner's home tells that the other started a draft")
		}
	}
	seen := map[int64]bool{}
	for _, x := range h.PartnerWork {
		if seen[x.AssignmentID] {
			t.Errorf("the partner's list repeats exercise %d", x.AssignmentID)
		}
		seen[x.AssignmentID] = true
	}
	// B's home: the same, from B's side.
	hb, err := w.svc.Home(w.ctx, w.b)
	if err != nil {
		t.Fatal(err)
	}
	dueB := map[int64]int{}
	for _, x := range hb.Due {
		dueB[x.AssignmentID]++
	}
	if dueB[daily.ID] != 3 || dueB[started.ID] != 1 || hb.Missed != 363 {
		t.Errorf("B's to do: %v, missed %d", dueB, hb.Missed)
	}
}
