package remind_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/tz"
)

// The counselor's digest comes once a day at their digest hour (8:00 by
// default) in their zone, across a change of the clocks, with the counts of
// their active couples: new submissions since the previous digest (or the
// last 24 hours), work waiting for review, overdue work, and concerning
// safety checks not reviewed yet. A paused couple counts for nothing.
func TestDigestCountsAtTheCounselorsMorning(t *testing.T) {
	e := newEnv(t, "America/New_York")
	created := e.local("2026-03-05", 10, 0)
	// Submitted two days ago: waiting, not new.
	old := e.assign(created, "apology-letter", "individual", e.pa, e.local("2026-03-12", 12, 0))
	e.submit(e.responseOf(old.ID, e.pa), e.a.UserID, e.local("2026-03-05", 11, 0))
	// Submitted yesterday evening: new and waiting.
	fresh := e.assign(created, "trigger-journal", "individual", e.pb, e.local("2026-03-12", 12, 0))
	e.submit(e.responseOf(fresh.ID, e.pb), e.b.UserID, e.local("2026-03-06", 20, 0))
	// A concerning safety check, not reviewed.
	safety := e.assign(created, "safety-check", "individual", e.pa, time.Time{})
	e.submit(e.responseOf(safety.ID, e.pa), e.a.UserID, e.local("2026-03-06", 21, 0), "afraid_of_partner")
	// Overdue since yesterday noon.
	e.assign(created, "transparency-plan", "joint", 0, e.local("2026-03-06", 12, 0))
	// A paused couple's overdue and waiting work counts for nothing.
	first, firstA := e.couple, e.pa
	pc, ppa, _ := e.newCouple(e.user("client", "pat"), e.user("client", "kim"))
	e.couple, e.pa = pc, ppa
	e.assign(created, "apology-letter", "individual", ppa, e.local("2026-03-06", 12, 0))
	p2 := e.assign(created, "trigger-journal", "individual", ppa, e.local("2026-03-09", 12, 0))
	e.submit(e.responseOf(p2.ID, ppa), e.a.UserID, e.local("2026-03-06", 22, 0))
	e.db.MustExec(`UPDATE couples SET status = 'paused', paused_at = $2 WHERE id = $1`, pc, e.local("2026-03-06", 9, 0))
	e.couple, e.pa = first, firstA

	for _, at := range []time.Time{e.local("2026-03-07", 6, 0), e.local("2026-03-07", 7, 59)} {
		if got := e.digests(at); len(got) != 0 {
			t.Errorf("digest at %s: %+v", at.In(e.loc).Format("15:04"), got)
		}
	}
	got := e.digests(e.local("2026-03-07", 8, 0))
	want := map[string]int{"submitted": 2, "waiting": 3, "overdue": 1, "attention": 1}
	if len(got) != 1 || got[0].What != mail.Digest || got[0].UserID != e.counselor.UserID || !equal(got[0].Counts, want) ||
		got[0].Day != "Saturday 7 March" {
		t.Fatalf("digest: %+v, want counts %v", got, want)
	}
	for _, at := range []time.Time{e.local("2026-03-07", 8, 1), e.local("2026-03-07", 15, 0)} {
		if got := e.digests(at); len(got) != 0 {
			t.Errorf("a second digest the same day: %+v", got)
		}
	}
	// The next morning is the day the clocks change: still 8:00 local; new
	// is what came in since the previous digest.
	e.db.MustExec(`UPDATE responses SET status = 'accepted' WHERE assignment_id = $1`, old.ID)
	late := e.assign(created, "conversation-starters", "individual", e.pb, time.Time{})
	e.submit(e.responseOf(late.ID, e.pb), e.b.UserID, e.local("2026-03-07", 9, 30))
	if got := e.digests(e.local("2026-03-08", 7, 59)); len(got) != 0 {
		t.Errorf("7:59 on the change day: %+v", got)
	}
	got = e.digests(e.local("2026-03-08", 8, 0))
	want = map[string]int{"submitted": 1, "waiting": 3, "overdue": 1, "attention": 1}
	if len(got) != 1 || !equal(got[0].Counts, want) {
		t.Errorf("the second digest: %+v, want %v", got, want)
	}
}

// Nothing to tell, no mail; and the day is settled, so an afternoon
// submission waits for tomorrow's digest. Turned off, nothing; quiet
// hours, nothing; a counselor's own zone and hour decide.
func TestDigestOnlyWhenSomethingAndAsChosen(t *testing.T) {
	e := newEnv(t, "Europe/Berlin")
	created := e.local("2026-10-20", 10, 0)
	e.assign(created, "apology-letter", "individual", e.pa, e.local("2026-10-30", 12, 0))
	if got := e.digests(e.local("2026-10-21", 8, 0)); len(got) != 0 {
		t.Errorf("a digest of nothing: %+v", got)
	}
	rid := e.responseOf(mustAssignID(e), e.pa)
	e.submit(rid, e.a.UserID, e.local("2026-10-21", 14, 0))
	if got := e.digests(e.local("2026-10-21", 14, 5)); len(got) != 0 {
		t.Errorf("an afternoon digest: %+v", got)
	}
	// The 25-hour day: 8:00 local.
	if got := e.digests(e.local("2026-10-25", 7, 59)); len(got) != 0 {
		t.Errorf("7:59: %+v", got)
	}
	// New since the previous (settled, empty) digest of the 21st, 8:00:
	// the submission of that afternoon.
	if got := e.digests(e.local("2026-10-25", 8, 0)); len(got) != 1 || !equal(got[0].Counts, map[string]int{"waiting": 1, "submitted": 1}) {
		t.Errorf("digest on the 25th: %+v", got)
	}
	// Off: nothing.
	e.db.MustExec(`INSERT INTO notification_settings (user_id, digest) VALUES ($1, false)`, e.counselor.UserID)
	if got := e.digests(e.local("2026-10-26", 9, 0)); len(got) != 0 {
		t.Errorf("digest off: %+v", got)
	}
	// On again at 10:00 in the counselor's own zone (New York).
	e.db.MustExec(`UPDATE notification_settings SET digest = true, digest_hour = 10 WHERE user_id = $1`, e.counselor.UserID)
	e.db.MustExec(`UPDATE users SET time_zone = 'America/New_York' WHERE id = $1`, e.counselor.UserID)
	ny, _ := tz.Load("America/New_York")
	d := mustDate("2026-10-27")
	if got := e.digests(tz.At(d, 9, 59, ny)); len(got) != 0 {
		t.Errorf("9:59 New York: %+v", got)
	}
	// The server was down all day: at 21:00 it is too late for today.
	if got := e.digests(tz.At(d, 21, 0, ny)); len(got) != 0 {
		t.Errorf("quiet hours: %+v", got)
	}
	if got := e.digests(tz.At(tz.AddDays(d, 1), 10, 0, ny)); len(got) != 1 {
		t.Errorf("10:00 New York the next day: %+v", got)
	}
}

func mustAssignID(e *env) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT max(id) FROM assignments`); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// Outcome-measure alerts since the previous digest are counted in it (a
// neutral line: "A progress measure needs a look.").
func TestDigestCountsMeasureAlerts(t *testing.T) {
	e := newEnv(t, "Europe/Berlin")
	created := e.local("2026-05-04", 10, 0)
	j := e.assign(created, "trigger-journal", "individual", e.pa, time.Time{})
	rid := e.responseOf(j.ID, e.pa)
	e.submit(rid, e.a.UserID, e.local("2026-05-04", 20, 0))
	var sub int64
	if err := e.db.Get(&sub, `SELECT id FROM submissions WHERE response_id = $1`, rid); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`INSERT INTO measure_scores (submission_id, response_id, clinic_id, couple_id, partner_id, assignment_id, measure,
		score, band, distress, scored_on, submitted_at) SELECT $1, r.id, r.clinic_id, r.couple_id, r.partner_id, r.assignment_id,
		'csi-4', 9, 'distress', true, '2026-05-04', $2 FROM responses r WHERE r.id = $3`, sub, e.local("2026-05-04", 20, 0), rid)
	e.db.MustExec(`INSERT INTO measure_alerts (clinic_id, couple_id, partner_id, submission_id, measure, kind, created_at)
		SELECT clinic_id, couple_id, partner_id, submission_id, measure, 'distress', $2 FROM measure_scores WHERE submission_id = $1`,
		sub, e.local("2026-05-04", 20, 1))
	got := e.digests(e.local("2026-05-05", 8, 0))
	if len(got) != 1 || got[0].Counts["measures"] != 1 {
		t.Fatalf("digest: %+v", got)
	}
	if l := mail.Lines(mail.Digest, got[0].Counts); !slices.Contains(l, "A progress measure needs a look.") {
		t.Errorf("lines %q", l)
	}
}
