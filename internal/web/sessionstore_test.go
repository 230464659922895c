package web_test

import (
	"net/http"
	"testing"
	"time"
)

// A session is written back only when it changed or its idle deadline has
// to move by a minute or more, not on every page view; its idle and
// absolute limits, logout and revocation work as before.
func TestSessionWrittenOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("coun@a.test")
	type row struct {
		Version string    `db:"xmin"`
		Expiry  time.Time `db:"expiry"`
	}
	stored := func() row {
		t.Helper()
		var r []row
		if err := app.DB.Select(&r, `SELECT xmin::text AS xmin, expiry FROM sessions`); err != nil || len(r) != 1 {
			t.Fatalf("sessions: %v %v", r, err)
		}
		return r[0]
	}
	first := stored()
	for i := 0; i < 3; i++ {
		if r := b.Get("/"); r.Status != 200 {
			t.Fatalf("home: %d", r.Status)
		}
	}
	if got := stored(); got != first {
		t.Fatalf("an unchanged session was written: %+v → %+v", first, got)
	}
	// The idle deadline falls a minute behind: the next request moves it.
	app.Exec(`UPDATE sessions SET expiry = expiry - interval '61 seconds'`)
	moved := stored()
	b.Get("/")
	if got := stored(); got.Version == moved.Version || !got.Expiry.After(moved.Expiry.Add(time.Minute)) {
		t.Fatalf("an idle deadline a minute behind did not move: %+v → %+v", moved, got)
	}
	// Signing out deletes it.
	if r := b.Post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	var n int
	if app.DB.Get(&n, `SELECT count(*) FROM sessions`); n != 0 {
		t.Fatalf("%d sessions after signing out", n)
	}
	b.Login("coun@a.test")
	// The idle timeout still ends a session (expiry in the store), and so
	// does revocation on every request.
	app.Exec(`UPDATE sessions SET expiry = now() - interval '1 second'`)
	if r := b.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("an expired session was served: %d", r.Status)
	}
	b.Login("coun@a.test")
	b.Get("/")
	app.Exec(`UPDATE users SET sessions_valid_after = now() WHERE email = 'coun@a.test'`)
	if r := b.Get("/"); r.Status != http.StatusSeeOther {
		t.Fatalf("a revoked session was served: %d", r.Status)
	}
}
