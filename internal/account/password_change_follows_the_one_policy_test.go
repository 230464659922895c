package account_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/auth"
)

// A password change needs the current password (a wrong one is counted
// and audited, an empty one is not), follows the one password policy, must
// be typed twice and differ from the current one; only then is the hash
// replaced, every other session and API token ended, and the change audited.
func TestPasswordChangeFollowsTheOnePolicy(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	id := a.mustUser("client", "alex@h.test", "Alex Rivera")
	me := actor.Actor{UserID: id, ClinicID: a.clinic, Roles: []string{"client"}, IP: "192.0.2.7"}
	a.db.MustExec(`INSERT INTO api_tokens (user_id, token_hash, expires_at) VALUES ($1, '\x01', now() + interval '1 day')`, id)
	const next = "a-brand-new-passphrase-7"
	cases := []struct {
		name                   string
		current, next, confirm string
		field                  string
	}{
		{"no current password", "", next, next, "current"},
		{"wrong current password", "not-my-password-at-all", next, next, "current"},
		{"too short", password, "short", "short", "password"},
		{"guessable from the name", password, "alex rivera alex rivera", "alex rivera alex rivera", "password"},
		{"typed differently twice", password, next, next + "x", "confirm"},
		{"the current one again", password, password, password, "password"},
	}
	for _, c := range cases {
		err := a.svc.ChangePassword(a.ctx, me, c.current, c.next, c.confirm)
		if f := fields(err); f[c.field] == "" {
			t.Errorf("%s: %v, want a message beside %q", c.name, err, c.field)
		}
	}
	if n := a.audited("password.change_failed", id); n != 1 {
		t.Errorf("%d password.change_failed events, want 1 (the wrong password, not the empty one)", n)
	}
	var hash string
	a.db.Get(&hash, `SELECT password_hash FROM users WHERE id = $1`, id)
	if !auth.VerifyPassword(hash, password) {
		t.Fatal("a refused change replaced the password")
	}

	var before time.Time
	a.db.Get(&before, `SELECT now()`)
	if err := a.svc.ChangePassword(a.ctx, me, password, next, next); err != nil {
		t.Fatalf("valid change: %v", err)
	}
	a.db.Get(&hash, `SELECT password_hash FROM users WHERE id = $1`, id)
	if !auth.VerifyPassword(hash, next) || auth.VerifyPassword(hash, password) {
		t.Error("the new password is not the one that verifies")
	}
	var tokens int
	var revoked bool
	a.db.Get(&tokens, `SELECT count(*) FROM api_tokens WHERE user_id = $1`, id)
	a.db.Get(&revoked, `SELECT sessions_valid_after >= $2 FROM users WHERE id = $1`, id, before)
	if tokens != 0 || !revoked {
		t.Errorf("after the change: %d API tokens left, sessions ended: %v", tokens, revoked)
	}
	if n := a.audited("password.change", id); n != 1 {
		t.Errorf("%d password.change events, want 1", n)
	}
}
