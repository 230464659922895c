package remind_test

import (
	"testing"
)

// A submitted daily check-in is news in the counselor's digest ("new
// submissions") but not work waiting for her review: check-ins do not
// need one unless their template says so. A letter is both.
func TestDigestCountsCheckinsAsNewNotWaiting(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "Europe/Berlin")
	created := e.local("2026-10-20", 10, 0)
	daily := e.daily(created, 0)
	e.submit(e.responseOf(daily.ID, e.pa), e.a.UserID, e.local("2026-10-20", 18, 0))
	e.submit(e.responseOf(daily.ID, e.pb), e.b.UserID, e.local("2026-10-20", 19, 0))
	got := e.digests(e.local("2026-10-21", 8, 0))
	if len(got) != 1 || !equal(got[0].Counts, map[string]int{"submitted": 2}) {
		t.Fatalf("digest after two check-ins: %+v, want 2 new and none waiting", got)
	}
	letter := e.assign(created, "apology-letter", "individual", e.pa, e.local("2026-10-30", 12, 0))
	e.submit(e.responseOf(letter.ID, e.pa), e.a.UserID, e.local("2026-10-21", 18, 0))
	got = e.digests(e.local("2026-10-22", 8, 0))
	if len(got) != 1 || !equal(got[0].Counts, map[string]int{"submitted": 1, "waiting": 1}) {
		t.Errorf("digest after a letter: %+v, want 1 new and 1 waiting", got)
	}
}
