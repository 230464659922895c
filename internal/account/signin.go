package account

import (
	"context"
	"errors"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/security"
)

// Credentials are what a person types to sign in: Code is the two-factor
// code (or a recovery code), empty on the password step of the pages.
type Credentials struct {
	Email    string
	Password string
	Code     string
}

// ErrCodeRequired answers a right password of an account with two-factor
// on when no code came with it: the caller asks for the code (the pages
// with their second step, the API with "mfa_required").
var ErrCodeRequired = &apperr.Error{Code: apperr.Unauthorized, Message: "two-factor code required", Data: map[string]any{"mfa_required": true}}

// ErrWrongCode answers a wrong or already used two-factor code.
var ErrWrongCode = &apperr.Error{Code: apperr.Unauthorized, Message: "The two-factor code is not correct or was already used.",
	Data: map[string]any{"mfa_required": true}}

// SignIn is the one sign-in with a password, for the pages and the API:
// throttled and counted before the password is checked (a locked account
// gets TooMany even for the right password), a wrong password or code
// counted as a failure (ErrBadLogin, ErrWrongCode), a right password
// without the code its account needs taken back (ErrCodeRequired, with the
// user, so the pages can ask for the code), and a finished sign-in clears
// the account's failures. The caller then records the sign-in (SignedIn).
func (s *Service) SignIn(ctx context.Context, a actor.Actor, c Credentials) (User, error) {
	var u User
	err := s.guard.Attempt(ctx, c.Email, a.IP, func() (security.Outcome, error) {
		var err error
		if u, err = s.Authenticate(ctx, a, c.Email, c.Password); err != nil {
			return security.Failed, err
		}
		return s.secondFactor(ctx, a, u, c.Code, true)
	})
	return u, err
}

// SignInCode is the second step of a page sign-in: the code of the user
// whose password was right (SignIn answered ErrCodeRequired), under the
// same throttle.
func (s *Service) SignInCode(ctx context.Context, a actor.Actor, u User, code string) error {
	return s.guard.Attempt(ctx, u.Email, a.IP, func() (security.Outcome, error) {
		return s.secondFactor(ctx, a, u, code, false)
	})
}

// secondFactor checks code for u when u has two-factor on. An empty code
// on the password step is not a failure (the password was right).
func (s *Service) secondFactor(ctx context.Context, a actor.Actor, u User, code string, passwordStep bool) (security.Outcome, error) {
	if s.MFA == nil {
		return security.SignedIn, nil
	}
	on, err := s.MFA.Enabled(ctx, u.ID)
	if err != nil {
		return security.Failed, err
	}
	if !on {
		return security.SignedIn, nil
	}
	if code == "" && passwordStep {
		return security.Passed, ErrCodeRequired
	}
	a.UserID = u.ID
	if err := s.MFA.Verify(ctx, a, code); errors.Is(err, security.ErrBadCode) {
		return security.Failed, ErrWrongCode
	} else if err != nil {
		return security.Failed, err
	}
	return security.SignedIn, nil
}
