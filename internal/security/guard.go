package security

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Outcome is how a guarded attempt ended.
type Outcome int

const (
	// Failed: the credential was wrong (or the check broke). The try stays
	// counted and may lock the account.
	Failed Outcome = iota
	// Passed: the credential was right but nothing is finished (a password
	// before its second factor, a form with other mistakes): the try is
	// taken back.
	Passed
	// SignedIn: the person proved who they are and the change is done: the
	// try is taken back and the account's failures and lockout are cleared.
	SignedIn
)

// Guard is the one way a credential (a password, a two-factor code, a
// reset request) is checked under the throttle: Attempt begins the try
// (refusing it with TooMany when the account or IP must wait), runs the
// check, and ends the try as the check's Outcome says. Built once per
// service at start-up.
type Guard struct{ t *Throttle }

// NewGuard returns a guard over the database's throttle.
func NewGuard(d *sqlx.DB) *Guard { return &Guard{t: NewThrottle(d)} }

// Attempt runs check as one attempt for key (an email, or a prefixed key
// of its own) from ip. A refused attempt returns TooMany(wait) and check
// does not run. Otherwise the attempt is ended by check's Outcome and
// check's error is returned.
func (g *Guard) Attempt(ctx context.Context, key, ip string, check func() (Outcome, error)) error {
	att, wait, err := g.t.Begin(ctx, key, ip)
	if err != nil {
		return err
	}
	if wait > 0 {
		return TooMany(wait)
	}
	out, err := check()
	var end error
	switch out {
	case Passed:
		end = att.Release(ctx)
	case SignedIn:
		end = att.Succeed(ctx)
	default:
		end = att.Fail(ctx)
	}
	if err != nil {
		return err
	}
	return end
}
