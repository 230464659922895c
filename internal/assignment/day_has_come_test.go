package assignment_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
)

// The one rule for when an occurrence opens, judged by the date it is given.
func TestDayHasComeRule(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	on := func(s string) sql.NullTime { return sql.NullTime{Time: day(s), Valid: true} }
	cases := []struct {
		occurs sql.NullTime
		today  string
		want   bool
	}{
		{sql.NullTime{}, "2026-03-01", true}, // one-off work: at once
		{on("2026-03-01"), "2026-03-01", true},
		{on("2026-02-28"), "2026-03-01", true},
		{on("2026-03-02"), "2026-03-01", false},
		{on("2027-01-01"), "2026-12-31", false},
	}
	for _, c := range cases {
		if got := assignment.DayHasCome(c.occurs, day(c.today)); got != c.want {
			t.Errorf("occurs %v, today %s: %v", c.occurs, c.today, got)
		}
	}
	// Today is the clinic's date, whatever the instant's zone.
	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, 3, 1, 21, 0, 0, 0, ny)
	if got := assignment.Today(at, ny); got.Format(time.DateOnly) != "2026-03-01" {
		t.Errorf("Today of 21:00 New York in New York: %s", got)
	}
	if got := assignment.Today(at, time.UTC); got.Format(time.DateOnly) != "2026-03-02" {
		t.Errorf("Today of 21:00 New York in a UTC clinic: %s", got)
	}
}

// An occurrence of recurring work dated in the future cannot be saved,
// signed, submitted or reviewed today; today's can.
func TestFutureOccurrenceOpensOnItsDay(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tomorrow := time.Now().UTC().Add(24 * time.Hour)
	// DuplicateOK: the world already has a daily check-in.
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", DueAt: &tomorrow, DuplicateOK: true}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", tomorrow.AddDate(0, 0, 2).Format(time.DateOnly)}
	d := w.mustAssign(in)
	// Occurrences are made on their day; one made early (an older release
	// made them all at once) is still closed until its day.
	if _, err := w.svc.MakeOccurrences(w.ctx, tomorrow); err != nil {
		t.Fatal(err)
	}
	d, err := w.svc.Get(w.ctx, w.a, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var future assignment.ResponseView
	for _, r := range d.Responses {
		if r.PartnerID != nil && *r.PartnerID == w.partnerA && *r.OccursOn == tomorrow.Format(time.DateOnly) {
			future = r
		}
	}
	if future.ID == 0 || !future.Upcoming {
		t.Fatalf("tomorrow's occurrence: %+v", future)
	}
	ans := fill(d.Schema, "not yet")
	if _, err := w.svc.SaveDraft(w.ctx, w.a, future.ID, ans, 1); code(err) != apperr.Conflict {
		t.Errorf("save tomorrow's: %v", err)
	}
	if err := w.svc.Submit(w.ctx, w.a, future.ID); code(err) != apperr.Conflict {
		t.Errorf("submit tomorrow's: %v", err)
	}
	// Submitted anyway (as the review found was possible): not reviewed before its day.
	w.db.MustExec(`UPDATE responses SET status = 'submitted', submitted_at = now() WHERE id = $1`, future.ID)
	w.db.MustExec(`INSERT INTO submissions (response_id, version, answers, submitted_by) VALUES ($1, 1, '{}', $2)`, future.ID, w.a.UserID)
	if err := w.svc.Review(w.ctx, w.counselor, future.ID, "accept", ""); code(err) != apperr.Conflict {
		t.Errorf("accept tomorrow's: %v", err)
	}
	var status string
	w.db.Get(&status, `SELECT status FROM responses WHERE id = $1`, future.ID)
	if status != assignment.Submitted {
		t.Errorf("status %s", status)
	}
	// A joint recurring plan: not signed before its day either.
	jin := assignment.NewAssignment{TemplateID: w.tpl["boundary-worksheet"], Mode: "joint", DueAt: &tomorrow}
	jin.Recurrence = in.Recurrence
	j := w.mustAssign(jin)
	if _, err := w.svc.MakeOccurrences(w.ctx, tomorrow); err != nil {
		t.Fatal(err)
	}
	if j, err = w.svc.Get(w.ctx, w.a, j.ID); err != nil || len(j.Responses) == 0 {
		t.Fatalf("joint plan: %v %+v", err, j.Responses)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, j.Responses[0].ID, 1); code(err) != apperr.Conflict {
		t.Errorf("sign tomorrow's: %v", err)
	}
	// Work whose day has come is open as before.
	today := time.Now().UTC()
	in.DueAt = &today
	d = w.mustAssign(in)
	for _, r := range d.Responses {
		if r.PartnerID != nil && *r.PartnerID == w.partnerA && *r.OccursOn == today.Format(time.DateOnly) {
			if _, err := w.svc.SaveDraft(w.ctx, w.a, r.ID, ans, 1); err != nil {
				t.Errorf("save today's: %v", err)
			}
			if err := w.svc.Submit(w.ctx, w.a, r.ID); err != nil {
				t.Errorf("submit today's: %v", err)
			}
			if err := w.svc.Review(w.ctx, w.counselor, r.ID, "accept", ""); err != nil {
				t.Errorf("accept today's: %v", err)
			}
		}
	}
}
