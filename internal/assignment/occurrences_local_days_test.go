package assignment_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/tz"
)

// inZone gives the clinic a time zone, as its admin would, and the actors
// the view of it a request would carry.
func (w *world) inZone(name string) *time.Location {
	w.t.Helper()
	loc, ok := tz.Load(name)
	if !ok {
		w.t.Fatalf("zone %s", name)
	}
	w.db.MustExec(`UPDATE clinics SET time_zone = $1 WHERE id = $2`, name, w.clinic)
	for _, a := range []*actor.Actor{&w.counselor, &w.counselor2, &w.admin, &w.a, &w.b, &w.stranger} {
		a.ClinicZone, a.ClinicZoneSet, a.Zone = loc, true, loc
	}
	return loc
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

func recurs(tpl int64, every string, until tz.Date) assignment.NewAssignment {
	// DuplicateOK: these tests assign the same recurring work again on purpose.
	in := assignment.NewAssignment{TemplateID: tpl, Mode: "each", DuplicateOK: true}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{every, until.Format(time.DateOnly)}
	return in
}

type occRow struct {
	Day       time.Time `db:"occurs_on"`
	PartnerID int64     `db:"partner_id"`
	DueAt     time.Time `db:"due_at"`
}

func (w *world) occurrences(assignmentID int64) []occRow {
	w.t.Helper()
	var rows []occRow
	if err := w.db.Select(&rows, `SELECT occurs_on, partner_id, due_at FROM responses WHERE assignment_id = $1
		ORDER BY occurs_on, partner_id`, assignmentID); err != nil {
		w.t.Fatal(err)
	}
	return rows
}

func (w *world) lastDay(assignmentID int64) string {
	w.t.Helper()
	var d *time.Time
	w.db.Get(&d, `SELECT max(occurs_on) FROM responses WHERE assignment_id = $1`, assignmentID)
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func (w *world) make(now time.Time) int {
	w.t.Helper()
	n, err := w.svc.MakeOccurrences(w.ctx, now)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// A daily check-in exists exactly once per partner per local day of the
// clinic, on the 23-hour and the 25-hour day alike: made when the local day
// begins (not before), due at its last second, local.
func TestDailyCheckinOncePerLocalDayAcrossDST(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		zone, change string
		hours        int
	}{
		{"America/New_York", "2026-03-08", 23}, {"America/New_York", "2026-11-01", 25},
		{"Europe/Berlin", "2026-03-29", 23}, {"Europe/Berlin", "2026-10-25", 25},
	} {
		t.Run(c.zone+" "+c.change, func(t *testing.T) {
			w := newWorld(t)
			loc := w.inZone(c.zone)
			change, _ := tz.ParseDate(c.change)
			first, last := tz.AddDays(change, -2), tz.AddDays(change, 2)
			created := tz.At(first, 10, 0, loc)
			asg, err := w.svc.WithClock(at(created)).Create(w.ctx, w.counselor, w.couple, recurs(w.tpl["daily-check-in"], "day", last))
			if err != nil {
				t.Fatal(err)
			}
			// The job, every hour, and a minute before and 30 s after each
			// local midnight, through the day after the last.
			var instants []time.Time
			for d := first; !d.After(tz.AddDays(last, 1)); d = tz.AddDays(d, 1) {
				start := tz.Start(d, loc)
				instants = append(instants, start.Add(-time.Minute), start.Add(30*time.Second))
				for h := 1; h <= 24; h++ {
					instants = append(instants, start.Add(time.Duration(h)*time.Hour))
				}
			}
			sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })
			for _, now := range instants {
				if now.Before(created) {
					continue
				}
				w.make(now)
				want := tz.Today(now, loc)
				if want.After(last) {
					want = last
				}
				if got := w.lastDay(asg.ID); got != want.Format(time.DateOnly) {
					t.Fatalf("at %s (local %s): latest occurrence %s, want %s", now.UTC().Format(time.RFC3339),
						now.In(loc).Format("2006-01-02 15:04"), got, want.Format(time.DateOnly))
				}
			}
			rows := w.occurrences(asg.ID)
			if len(rows) != 10 {
				t.Fatalf("%d responses, want 5 days × 2 partners: %+v", len(rows), rows)
			}
			due := map[string]time.Time{}
			for i, r := range rows {
				day := tz.AddDays(first, i/2)
				if !r.Day.Equal(day) {
					t.Errorf("response %d is of %s, want %s", i, r.Day.Format(time.DateOnly), day.Format(time.DateOnly))
				}
				if !r.DueAt.Equal(tz.End(day, loc)) || r.DueAt.In(loc).Format("2006-01-02 15:04:05") != day.Format(time.DateOnly)+" 23:59:59" {
					t.Errorf("%s due %s, want 23:59:59 local", day.Format(time.DateOnly), r.DueAt.In(loc))
				}
				due[day.Format(time.DateOnly)] = r.DueAt
			}
			if d := due[c.change].Sub(due[tz.AddDays(change, -1).Format(time.DateOnly)]); d != time.Duration(c.hours)*time.Hour {
				t.Errorf("the change day lasted %s, want %d h", d, c.hours)
			}
			var next *time.Time
			w.db.Get(&next, `SELECT next_occurs_on FROM assignments WHERE id = $1`, asg.ID)
			if next != nil {
				t.Errorf("next_occurs_on %s after the last day, want NULL", next)
			}
		})
	}
}

// Weekly work comes every 7 local days, across a change of the clocks.
func TestWeeklyEverySevenLocalDays(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.inZone("America/New_York")
	first, _ := tz.ParseDate("2026-03-02") // a Monday, before the spring change
	until, _ := tz.ParseDate("2026-04-01")
	in := recurs(w.tpl["daily-check-in"], "week", until)
	in.Mode, in.PartnerID = "individual", w.partnerA
	asg, err := w.svc.WithClock(at(tz.At(first, 9, 0, loc))).Create(w.ctx, w.counselor, w.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	for d := first; !d.After(tz.AddDays(until, 3)); d = tz.AddDays(d, 1) {
		w.make(tz.At(d, 0, 1, loc))
		w.make(tz.At(d, 12, 0, loc))
	}
	var got []string
	for _, r := range w.occurrences(asg.ID) {
		got = append(got, r.Day.Format(time.DateOnly))
		if !r.DueAt.Equal(tz.End(r.Day, loc)) {
			t.Errorf("%s due %s", r.Day.Format(time.DateOnly), r.DueAt.In(loc))
		}
	}
	want := []string{"2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"}
	if len(got) != len(want) {
		t.Fatalf("weekly occurrences %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("weekly occurrences %v, want %v", got, want)
		}
	}
}

// At creation, the occurrences from the first day through the clinic's
// today are made, and no later one.
func TestCreateMakesThroughTheClinicsToday(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.inZone("Pacific/Auckland")
	now, _ := time.Parse(time.RFC3339, "2026-06-10T13:00:00Z") // 11 June 01:00 in Auckland
	svc := w.svc.WithClock(at(now))
	start := now.Add(-24 * time.Hour) // first day 10 June, local
	in := recurs(w.tpl["daily-check-in"], "day", tz.AddDays(tz.Today(now, loc), 5))
	in.DueAt = &start
	asg, err := svc.Create(w.ctx, w.counselor, w.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	rows := w.occurrences(asg.ID)
	if len(rows) != 4 || rows[0].Day.Format(time.DateOnly) != "2026-06-10" || rows[3].Day.Format(time.DateOnly) != "2026-06-11" {
		t.Fatalf("made at creation: %+v", rows)
	}
	var next time.Time
	w.db.Get(&next, `SELECT next_occurs_on FROM assignments WHERE id = $1`, asg.ID)
	if next.Format(time.DateOnly) != "2026-06-12" {
		t.Errorf("next_occurs_on %s", next.Format(time.DateOnly))
	}
	// Far ahead: none made yet, the first is next.
	later := tz.AddDays(tz.Today(now, loc), 3)
	startLater := tz.At(later, 12, 0, loc)
	in.DueAt = &startLater
	asg2, err := svc.Create(w.ctx, w.counselor, w.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	if rows := w.occurrences(asg2.ID); len(rows) != 0 {
		t.Errorf("a check-in starting in three days was made now: %+v", rows)
	}
	// More than 366 occurrences is refused, as before.
	in.DueAt = nil
	in.Recurrence.Until = tz.AddDays(tz.Today(now, loc), 366).Format(time.DateOnly)
	if _, err := svc.Create(w.ctx, w.counselor, w.couple, in); code(err) != apperr.Invalid {
		t.Errorf("367 days: %v", err)
	}
}

// Every "today" of the assignment area is the clinic's local date: at 23:00
// in Los Angeles (06:00 UTC the next day) today's check-in is still today's,
// open and not overdue; half an hour after local midnight it is overdue and
// the new day's is there.
func TestTodayIsTheClinicsLocalDate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	loc := w.inZone("America/Los_Angeles")
	evening, _ := time.Parse(time.RFC3339, "2026-03-10T06:00:00Z") // 9 March, 23:00 PDT
	svc := w.svc.WithClock(at(evening))
	asg, err := svc.Create(w.ctx, w.counselor, w.couple, recurs(w.tpl["daily-check-in"], "day", tz.AddDays(tz.Today(evening, loc), 7)))
	if err != nil {
		t.Fatal(err)
	}
	rows := w.occurrences(asg.ID)
	if len(rows) != 2 || rows[0].Day.Format(time.DateOnly) != "2026-03-09" {
		t.Fatalf("made: %+v (want 9 March, local)", rows)
	}
	h, err := svc.Home(w.ctx, w.a)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Due) != 1 || h.Due[0].Overdue || h.Due[0].OccursOn.Time.Format(time.DateOnly) != "2026-03-09" {
		t.Fatalf("home at 23:00 local: %+v", h.Due)
	}
	list, _ := svc.List(w.ctx, w.counselor, assignment.ListFilter{CoupleID: w.couple, Limit: 10})
	if len(list) != 1 || list[0].Open != 2 || list[0].OverdueN != 0 {
		t.Errorf("list at 23:00 local: %+v", list)
	}
	// The chart shows today's check-in once submitted.
	rid := h.Due[0].ResponseID
	if _, err := svc.SaveDraft(w.ctx, w.a, rid, map[string]any{"trust": float64(6), "mood": "Calm", "appreciation": "Tea"}, 1); err != nil {
		t.Fatal(err)
	}
	if s, err := svc.Checkins(w.ctx, w.a, w.couple); err != nil || len(s) != 1 || s[0].Points[0].Day != "2026-03-09" {
		t.Errorf("chart at 23:00 local: %+v %v", s, err)
	}
	after := evening.Add(90 * time.Minute) // 10 March, 00:30 PDT
	w.make(after)
	svc = w.svc.WithClock(at(after))
	h, _ = svc.Home(w.ctx, w.b)
	days := map[string]bool{}
	for _, x := range h.Due {
		days[x.OccursOn.Time.Format(time.DateOnly)] = x.Overdue
	}
	if len(days) != 2 || !days["2026-03-09"] || days["2026-03-10"] {
		t.Errorf("B's home after local midnight (day → overdue): %v", days)
	}
	list, _ = svc.List(w.ctx, w.counselor, assignment.ListFilter{CoupleID: w.couple, Limit: 10})
	if list[0].Open != 4 || list[0].OverdueN != 2 {
		t.Errorf("list after local midnight: open %d overdue %d", list[0].Open, list[0].OverdueN)
	}
}

// Days missed while the server was down are made late, within
// CatchUpDays; older ones are skipped (and the skip is audited).
func TestMissedDaysAreCaughtUpBounded(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d0, _ := tz.ParseDate("2026-05-01")
	asg, err := w.svc.WithClock(at(tz.At(d0, 12, 0, time.UTC))).Create(w.ctx, w.counselor, w.couple,
		recurs(w.tpl["daily-check-in"], "day", tz.AddDays(d0, 30)))
	if err != nil {
		t.Fatal(err)
	}
	back := tz.At(tz.AddDays(d0, 10), 12, 0, time.UTC) // ten days later
	if n := w.make(back); n != 2*assignment.CatchUpDays {
		t.Errorf("made %d, want %d", n, 2*assignment.CatchUpDays)
	}
	rows := w.occurrences(asg.ID)
	if len(rows) != 2+2*assignment.CatchUpDays || rows[2].Day.Format(time.DateOnly) != "2026-05-05" {
		t.Errorf("after the outage: %d responses, first made late %s", len(rows), rows[2].Day.Format(time.DateOnly))
	}
	var detail string
	w.db.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'assignment.occur' AND object_id = $1`, asg.ID)
	if detail != `{"days":["2026-05-05","2026-05-06","2026-05-07","2026-05-08","2026-05-09","2026-05-10","2026-05-11"],"responses":14,"skipped_occurrences":3}` {
		t.Errorf("audit: %s", detail)
	}
	if n := w.make(back); n != 0 {
		t.Errorf("a second run made %d", n)
	}
}

// Several instances running the job at once make each occurrence once;
// a run repeated after a crash (the occurrence made, next_occurs_on not
// moved) makes nothing twice; withdrawn work gets no more occurrences.
func TestOccurrencesOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d0, _ := tz.ParseDate("2026-07-01")
	svc := w.svc.WithClock(at(tz.At(d0, 9, 0, time.UTC)))
	var ids []int64
	for range 130 { // more than one batch
		asg, err := svc.Create(w.ctx, w.counselor, w.couple, recurs(w.tpl["daily-check-in"], "day", tz.AddDays(d0, 10)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, asg.ID)
	}
	next := tz.At(tz.AddDays(d0, 1), 0, 0, time.UTC).Add(time.Second)
	var wg sync.WaitGroup
	made := make([]int, 4)
	for i := range made {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := w.svc.MakeOccurrences(w.ctx, next)
			if err != nil {
				t.Error(err)
			}
			made[i] = n
		}()
	}
	wg.Wait()
	if total := made[0] + made[1] + made[2] + made[3]; total != 260 {
		t.Errorf("four instances made %v = %d, want 260 in all", made, total)
	}
	var n, distinct int
	w.db.Get(&n, `SELECT count(*) FROM responses WHERE occurs_on = '2026-07-02'`)
	w.db.Get(&distinct, `SELECT count(DISTINCT (assignment_id, partner_id)) FROM responses WHERE occurs_on = '2026-07-02'`)
	if n != 260 || distinct != 260 {
		t.Errorf("2 July: %d responses, %d distinct", n, distinct)
	}
	// A crash after the insert and before next_occurs_on moved.
	w.db.MustExec(`UPDATE assignments SET next_occurs_on = '2026-07-02' WHERE id = $1`, ids[0])
	if n := w.make(next); n != 0 {
		t.Errorf("the repeated run made %d", n)
	}
	// Withdrawn: nothing more.
	cancel := assignment.StatusCancelled
	if _, err := w.svc.Update(w.ctx, w.counselor, ids[1], assignment.Change{Status: &cancel}); err != nil {
		t.Fatal(err)
	}
	w.make(next.Add(24 * time.Hour))
	if got := w.lastDay(ids[1]); got != "2026-07-02" {
		t.Errorf("withdrawn work got an occurrence of %s", got)
	}
	if got := w.lastDay(ids[2]); got != "2026-07-03" {
		t.Errorf("active work: latest %s", got)
	}
}
