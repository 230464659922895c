package remind_test

import (
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/remind"
	"github.com/mend-clinic/mend/internal/tz"
)

type sent struct {
	at     time.Time
	user   int64
	counts map[string]int
}

// sweep runs occurrences and reminders at each instant, in order.
func (e *env) sweep(instants []time.Time) []sent {
	e.t.Helper()
	sort.Slice(instants, func(i, j int) bool { return instants[i].Before(instants[j]) })
	var out []sent
	for _, now := range instants {
		e.occurrences(now)
		for _, m := range e.reminders(now) {
			if m.What != mail.Reminder {
				e.t.Fatalf("queued %s", m.What)
			}
			out = append(out, sent{at: now, user: m.UserID, counts: m.Counts})
		}
	}
	return out
}

// dayInstants: every 30 minutes of a local day, and every minute from 8:57
// to 9:03 and from 18:57 to 19:03.
func dayInstants(d tz.Date, loc *time.Location) []time.Time {
	var out []time.Time
	start := tz.Start(d, loc)
	for t := start; t.Before(tz.Start(tz.AddDays(d, 1), loc)); t = t.Add(30 * time.Minute) {
		out = append(out, t)
	}
	for _, h := range []int{9, 19} {
		for m := -3; m <= 3; m++ {
			out = append(out, tz.At(d, h, 0, loc).Add(time.Duration(m)*time.Minute))
		}
	}
	return out
}

// Reminders arrive at 9:00 and 19:00 local before, on and after the day
// the clocks change (not an hour off): the evening before a letter is due
// tomorrow only the check-in is open (19:00); the day before and the due
// day at 9:00, each mail telling everything.
func TestRemindersAtLocalHoursAcrossDST(t *testing.T) {
	for _, c := range []struct{ zone, change string }{
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
		{"Europe/Berlin", "2026-03-29"}, {"Europe/Berlin", "2026-10-25"},
	} {
		t.Run(c.zone+" "+c.change, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, c.zone)
			change, _ := tz.ParseDate(c.change)
			before, after := tz.AddDays(change, -1), tz.AddDays(change, 1)
			created := tz.At(before, 0, 5, e.loc)
			e.assign(created, "apology-letter", "individual", e.pa, tz.End(after, e.loc))
			e.daily(created, 5)
			var instants []time.Time
			for _, d := range []tz.Date{before, change, after} {
				instants = append(instants, dayInstants(d, e.loc)...)
			}
			var mine []sent
			for _, s := range e.sweep(instants) {
				if s.user == e.a.UserID {
					mine = append(mine, s)
				}
			}
			want := []struct {
				local  string
				counts map[string]int
			}{
				{before.Format(time.DateOnly) + " 19:00", map[string]int{"checkin": 1}},
				{change.Format(time.DateOnly) + " 09:00", map[string]int{"due_tomorrow": 1, "checkin": 1}},
				{after.Format(time.DateOnly) + " 09:00", map[string]int{"due_today": 1, "checkin": 1}},
			}
			if len(mine) != len(want) {
				for _, s := range mine {
					t.Logf("sent at %s: %v", s.at.In(e.loc).Format("2006-01-02 15:04 MST"), s.counts)
				}
				t.Fatalf("%d reminders to A, want %d", len(mine), len(want))
			}
			for i, w := range want {
				if got := mine[i].at.In(e.loc).Format("2006-01-02 15:04"); got != w.local || !equal(mine[i].counts, w.counts) {
					t.Errorf("reminder %d at %s %v, want %s %v", i, got, mine[i].counts, w.local, w.counts)
				}
			}
		})
	}
}

// One mail per person per day, however much is open: a letter due today,
// a joint plan due tomorrow and today's check-in are one mail at 9:00 to
// each partner concerned, and nothing more that evening; a done check-in
// is not reminded.
func TestSeveralItemsOneMailPerPersonPerDay(t *testing.T) {
	e := newEnv(t, "Europe/Berlin")
	day := "2026-06-10"
	created := e.local(day, 0, 10)
	e.assign(created, "apology-letter", "individual", e.pa, e.local(day, 18, 0))
	e.assign(created, "transparency-plan", "joint", 0, e.local("2026-06-11", 12, 0))
	daily := e.daily(created, 3)
	got := map[int64][]sent{}
	for _, s := range e.sweep(dayInstants(tz.DateOf(created, e.loc), e.loc)) {
		got[s.user] = append(got[s.user], s)
	}
	if a := got[e.a.UserID]; len(a) != 1 || a[0].at.In(e.loc).Format("15:04") != "09:00" ||
		!equal(a[0].counts, map[string]int{"due_today": 1, "due_tomorrow": 1, "checkin": 1}) {
		t.Errorf("A's reminders: %+v", a)
	}
	if b := got[e.b.UserID]; len(b) != 1 || b[0].at.In(e.loc).Format("15:04") != "09:00" ||
		!equal(b[0].counts, map[string]int{"due_tomorrow": 1, "checkin": 1}) {
		t.Errorf("B's reminders: %+v", b)
	}
	if n := len(got); n != 2 {
		t.Errorf("reminded %d people", n)
	}
	// The next day B's check-in is done: B gets the 9:00 mail for the plan
	// due today, without a check-in line; at 19:00 nothing.
	next := tz.AddDays(tz.DateOf(created, e.loc), 1)
	e.occurrences(tz.Start(next, e.loc).Add(time.Minute))
	e.submit(e.responseOf(daily.ID, e.pb), e.b.UserID, tz.Start(next, e.loc).Add(2*time.Minute))
	got = map[int64][]sent{}
	for _, s := range e.sweep(dayInstants(next, e.loc)) {
		got[s.user] = append(got[s.user], s)
	}
	if b := got[e.b.UserID]; len(b) != 1 || !equal(b[0].counts, map[string]int{"due_today": 1}) {
		t.Errorf("B's reminders the next day: %+v", b)
	}
	// A: the letter is past due (not "due today"), the plan due today, the check-in open.
	if a := got[e.a.UserID]; len(a) != 1 || !equal(a[0].counts, map[string]int{"due_today": 1, "checkin": 1, "overdue": 1}) {
		t.Errorf("A's reminders the next day: %+v", a)
	}
}

// Work whose due time has passed is not "due today": a letter due at 8:30
// brings no 9:00 reminder (it is overdue; it is told in the evening's
// check-in mail).
func TestPassedDueTimeIsNotDueToday(t *testing.T) {
	e := newEnv(t, "America/New_York")
	day := "2026-04-14"
	e.assign(e.local("2026-04-13", 10, 0), "apology-letter", "individual", e.pa, e.local(day, 8, 30))
	e.daily(e.local(day, 0, 1), 2)
	d, _ := tz.ParseDate(day)
	var mine []sent
	for _, s := range e.sweep(dayInstants(d, e.loc)) {
		if s.user == e.a.UserID {
			mine = append(mine, s)
		}
	}
	if len(mine) != 1 || mine[0].at.In(e.loc).Format("15:04") != "19:00" || !equal(mine[0].counts, map[string]int{"checkin": 1, "overdue": 1}) {
		t.Errorf("reminders: %+v", mine)
	}
}

// Never in the quiet hours: after a day the server was down, a run at
// 21:00 sends nothing for that day; nothing before 8:00 either; the day's
// mail goes at the first run from the reminder hour on.
func TestQuietHours(t *testing.T) {
	e := newEnv(t, "America/New_York")
	e.assign(e.local("2026-05-04", 12, 0), "apology-letter", "individual", e.pa, e.local("2026-05-06", 12, 0))
	e.db.MustExec(`INSERT INTO notification_settings (user_id, reminder_hour) VALUES ($1, 8)`, e.a.UserID)
	for _, at := range []time.Time{e.local("2026-05-05", 21, 0), e.local("2026-05-05", 23, 30), e.local("2026-05-06", 3, 0), e.local("2026-05-06", 7, 59)} {
		if got := e.reminders(at); len(got) != 0 {
			t.Errorf("sent at %s (quiet hours): %+v", at.In(e.loc).Format("15:04"), got)
		}
	}
	if got := e.reminders(e.local("2026-05-06", 8, 0)); len(got) != 1 || !equal(got[0].Counts, map[string]int{"due_today": 1}) {
		t.Errorf("at 8:00 (the person's reminder hour): %+v", got)
	}
	if !remindQuiet(e, "2026-05-06", 21, 0) || remindQuiet(e, "2026-05-06", 20, 59) || !remindQuiet(e, "2026-05-06", 7, 59) {
		t.Error("Quiet: 21:00–8:00")
	}
}

func remindQuiet(e *env, day string, h, m int) bool {
	return remind.Quiet(e.local(day, h, m), e.loc)
}

// Never for submitted, accepted or withdrawn work, a paused or closed
// couple, a disabled account or membership, or someone who turned
// reminders off; a partner who has not joined gets nothing either.
func TestNoRemindersForWhatIsNotOpen(t *testing.T) {
	e := newEnv(t, "Europe/Berlin")
	created, due, nine := e.local("2026-09-01", 10, 0), e.local("2026-09-02", 18, 0), e.local("2026-09-02", 9, 0)
	letter := e.assign(created, "apology-letter", "individual", e.pa, due)
	if got := e.reminders(nine); len(got) != 1 {
		t.Fatalf("the open letter: %+v", got)
	}
	e.db.MustExec(`DELETE FROM reminder_sends`)
	check := func(what string) {
		t.Helper()
		if got := e.reminders(nine); len(got) != 0 {
			t.Errorf("%s: reminded %+v", what, got)
		}
		e.db.MustExec(`DELETE FROM reminder_sends`)
	}
	rid := e.responseOf(letter.ID, e.pa)
	for _, st := range []string{"submitted", "accepted"} {
		e.db.MustExec(`UPDATE responses SET status = $2 WHERE id = $1`, rid, st)
		check(st)
	}
	e.db.MustExec(`UPDATE responses SET status = 'revision_requested' WHERE id = $1`, rid)
	if got := e.reminders(nine); len(got) != 1 {
		t.Errorf("revision requested is open work: %+v", got)
	}
	e.db.MustExec(`DELETE FROM reminder_sends`)
	for _, c := range []struct{ what, do, undo string }{
		{"paused couple", `UPDATE couples SET status = 'paused', paused_at = now() WHERE id = $1`, `UPDATE couples SET status = 'active', paused_at = NULL WHERE id = $1`},
		{"closed couple", `UPDATE couples SET status = 'closed' WHERE id = $1`, `UPDATE couples SET status = 'active' WHERE id = $1`},
		{"withdrawn exercise", `UPDATE assignments SET status = 'cancelled' WHERE couple_id = $1`, `UPDATE assignments SET status = 'active' WHERE couple_id = $1`},
		{"reminders off", `INSERT INTO notification_settings (user_id, reminders) SELECT user_id, false FROM partners WHERE couple_id = $1`,
			`DELETE FROM notification_settings WHERE user_id IN (SELECT user_id FROM partners WHERE couple_id = $1)`},
		{"disabled account", `UPDATE users SET active = false WHERE id IN (SELECT user_id FROM partners WHERE couple_id = $1)`,
			`UPDATE users SET active = true WHERE id IN (SELECT user_id FROM partners WHERE couple_id = $1)`},
		{"membership ended", `UPDATE memberships SET active = false WHERE user_id IN (SELECT user_id FROM partners WHERE couple_id = $1)`,
			`UPDATE memberships SET active = true WHERE user_id IN (SELECT user_id FROM partners WHERE couple_id = $1)`},
		{"not joined", `UPDATE partners SET user_id = NULL WHERE couple_id = $1 AND slot = 'A'`, ``},
	} {
		e.db.MustExec(c.do, e.couple)
		check(c.what)
		if c.undo != "" {
			e.db.MustExec(c.undo, e.couple)
		}
	}
}

// Reminders are re-planned by themselves: a due date moved to tomorrow is
// reminded at the next run; a changed hour, a person's own zone and a
// clinic's zone move the mail to the new local hour.
func TestChangesAreReplanned(t *testing.T) {
	e := newEnv(t, "America/New_York")
	created := e.local("2026-02-02", 8, 0)
	letter := e.assign(created, "apology-letter", "individual", e.pa, e.local("2026-02-10", 12, 0))
	if got := e.reminders(e.local("2026-02-03", 10, 0)); len(got) != 0 {
		t.Fatalf("nothing due soon yet: %+v", got)
	}
	// The counselor moves the due date to tomorrow: reminded at the next run.
	due := e.local("2026-02-04", 12, 0)
	dp := &due
	if _, err := e.work.WithClock(at(e.local("2026-02-03", 10, 30))).Update(e.ctx, e.counselor, letter.ID, assignment.Change{DueAt: &dp}); err != nil {
		t.Fatal(err)
	}
	if got := e.reminders(e.local("2026-02-03", 10, 31)); len(got) != 1 || !equal(got[0].Counts, map[string]int{"due_tomorrow": 1}) {
		t.Errorf("after the due date moved: %+v", got)
	}
	// The next day: A chose 11:00; nothing at 10:59, the mail at 11:00.
	e.db.MustExec(`INSERT INTO notification_settings (user_id, reminder_hour) VALUES ($1, 11)`, e.a.UserID)
	if got := e.reminders(e.local("2026-02-04", 10, 59)); len(got) != 0 {
		t.Errorf("before the chosen hour: %+v", got)
	}
	if got := e.reminders(e.local("2026-02-04", 11, 0)); len(got) != 1 {
		t.Errorf("at the chosen hour: %+v", got)
	}
	// A moves to Berlin (their own zone): 11:00 is Berlin's now.
	e.db.MustExec(`UPDATE users SET time_zone = 'Europe/Berlin' WHERE id = $1`, e.a.UserID)
	berlin, _ := tz.Load("Europe/Berlin")
	e.assign(e.local("2026-02-04", 12, 0), "trigger-journal", "individual", e.pa, tz.At(mustDate("2026-02-06"), 20, 0, berlin))
	if got := e.reminders(tz.At(mustDate("2026-02-05"), 10, 59, berlin)); len(got) != 0 {
		t.Errorf("10:59 Berlin: %+v", got)
	}
	got := e.reminders(tz.At(mustDate("2026-02-05"), 11, 0, berlin))
	if len(got) != 1 || got[0].Day != "Thursday 5 February" || !equal(got[0].Counts, map[string]int{"due_tomorrow": 1, "overdue": 1}) {
		t.Errorf("11:00 Berlin: %+v", got)
	}
	// B follows the clinic's zone, which the admin changes to Tokyo.
	e.db.MustExec(`UPDATE clinics SET time_zone = 'Asia/Tokyo' WHERE id = $1`, e.clinic)
	tokyo, _ := tz.Load("Asia/Tokyo")
	e.assign(e.local("2026-02-04", 12, 0), "trigger-journal", "individual", e.pb, tz.At(mustDate("2026-02-08"), 20, 0, tokyo))
	if got := e.reminders(tz.At(mustDate("2026-02-07"), 8, 59, tokyo)); len(got) != 0 {
		t.Errorf("8:59 Tokyo: %+v", got)
	}
	if got := e.reminders(tz.At(mustDate("2026-02-07"), 9, 0, tokyo)); len(got) != 1 || got[0].UserID != e.b.UserID {
		t.Errorf("9:00 Tokyo: %+v", got)
	}
}

func mustDate(s string) tz.Date {
	d, err := tz.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// Several instances sweeping at once send one reminder per person: the
// reminder_sends key decides, in the transaction that queues the mail.
func TestConcurrentSweepsSendOnce(t *testing.T) {
	e := newEnv(t, "Europe/Berlin")
	created := e.local("2026-08-10", 7, 0)
	var users []int64
	for i := range 30 {
		a, b := e.user("client", "a"+itoa(i)), e.user("client", "b"+itoa(i))
		e.couple, e.pa, e.pb = e.newCouple(a, b)
		e.assign(created, "transparency-plan", "joint", 0, e.local("2026-08-11", 12, 0))
		users = append(users, a.UserID, b.UserID)
	}
	nine := e.local("2026-08-10", 9, 0)
	var wg sync.WaitGroup
	totals := make([]int, 6)
	for i := range totals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := e.svc.Reminders(e.ctx, nine)
			if err != nil {
				t.Error(err)
			}
			totals[i] = n
		}()
	}
	wg.Wait()
	got := e.out.take()
	per := map[int64]int{}
	for _, m := range got {
		per[m.UserID]++
	}
	sum := 0
	for _, n := range totals {
		sum += n
	}
	if len(got) != len(users) || len(per) != len(users) || sum != len(users) {
		t.Errorf("six sweeps queued %d mails to %d people (reported %v), want one each to %d", len(got), len(per), totals, len(users))
	}
	var rows int
	e.db.Get(&rows, `SELECT count(*) FROM reminder_sends WHERE kind = 'reminder'`)
	if rows != len(users) {
		t.Errorf("%d reminder_sends rows", rows)
	}
}

// The reminder_sends row and the queued mail are one transaction: when
// the mail cannot be queued, the day is not marked, and the next run sends.
func TestRowAndMailInOneTransaction(t *testing.T) {
	e := newEnv(t, "UTC")
	e.assign(e.local("2026-01-05", 8, 0), "apology-letter", "individual", e.pa, e.local("2026-01-06", 12, 0))
	e.out.fail = true
	if _, err := e.svc.Reminders(e.ctx, e.local("2026-01-05", 9, 0)); err == nil {
		t.Fatal("no error from a failing queue")
	}
	var rows int
	e.db.Get(&rows, `SELECT count(*) FROM reminder_sends`)
	if rows != 0 {
		t.Fatalf("%d rows without a mail", rows)
	}
	e.out.fail = false
	if got := e.reminders(e.local("2026-01-05", 9, 1)); len(got) != 1 {
		t.Errorf("the next run: %+v", got)
	}
}

func itoa(i int) string { return string(rune('0'+i/10)) + string(rune('0'+i%10)) }
