package account_test

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/security"
)

// account.SignIn is the one password sign-in (pages and API): it answers
// the user for the right password, one answer for any wrong one, counts
// failures until the account is locked (even the right password is then
// refused), and asks for the second factor of an account that has one.
func TestSignInIsThrottledAndAsksForTheSecondFactor(t *testing.T) {
	app := apptest.New(t)
	ctx := context.Background()
	clinic := app.Clinic("Harbor")
	uid := app.User(clinic, "counselor", "maya@harbor.test", "Maya")
	a := actor.Actor{IP: "192.0.2.10"}
	s := app.Accounts

	u, err := s.SignIn(ctx, a, account.Credentials{Email: "Maya@Harbor.test", Password: apptest.Password})
	if err != nil || u.ID != uid {
		t.Fatalf("right password: user %d, %v; want %d", u.ID, err, uid)
	}
	failures := func() int {
		var n int
		if err := app.DB.Get(&n, `SELECT count(*) FROM login_failures WHERE key = $1`, security.AccountKey("maya@harbor.test")); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := failures(); n != 0 {
		t.Fatalf("%d failures left after a sign-in, want 0", n)
	}

	// A wrong password and an unknown email get the same answer.
	_, wrong := s.SignIn(ctx, a, account.Credentials{Email: "maya@harbor.test", Password: "not the password"})
	_, unknown := s.SignIn(ctx, a, account.Credentials{Email: "nobody@harbor.test", Password: "not the password"})
	if wrong != account.ErrBadLogin || unknown != account.ErrBadLogin {
		t.Fatalf("wrong password %v, unknown email %v: want ErrBadLogin for both", wrong, unknown)
	}
	if n := failures(); n != 1 {
		t.Fatalf("%d failures counted after one wrong password, want 1", n)
	}
	for i := 1; i < security.MaxPerAccount; i++ {
		if _, err := s.SignIn(ctx, a, account.Credentials{Email: "maya@harbor.test", Password: "still wrong"}); err != account.ErrBadLogin {
			t.Fatalf("wrong password %d: %v", i+1, err)
		}
	}
	_, err = s.SignIn(ctx, a, account.Credentials{Email: "maya@harbor.test", Password: apptest.Password})
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.TooMany || ae.Data["retry_after"] == nil {
		t.Fatalf("right password of a locked account: %v, want TooMany with retry_after", err)
	}

	// Two-factor: the right password alone is not a sign-in.
	lea := app.User(clinic, "counselor", "lea@harbor.test", "Lea")
	m := app.Services.MFA
	en, err := m.Pending(ctx, lea, "lea@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(en.Secret, time.Now())
	codes, err := m.Confirm(ctx, actor.Actor{UserID: lea}, code)
	if err != nil {
		t.Fatal(err)
	}
	b := actor.Actor{IP: "192.0.2.11"}
	u, err = s.SignIn(ctx, b, account.Credentials{Email: "lea@harbor.test", Password: apptest.Password})
	if err != account.ErrCodeRequired || u.ID != lea {
		t.Fatalf("password without code: user %d, %v; want ErrCodeRequired with the user", u.ID, err)
	}
	var leaFailures int
	app.DB.Get(&leaFailures, `SELECT count(*) FROM login_failures WHERE key = $1`, security.AccountKey("lea@harbor.test"))
	if leaFailures != 0 {
		t.Fatalf("a right password waiting for its code counted as %d failures, want 0", leaFailures)
	}
	if _, err := s.SignIn(ctx, b, account.Credentials{Email: "lea@harbor.test", Password: apptest.Password, Code: "000000"}); err != account.ErrWrongCode {
		t.Fatalf("wrong code: %v, want ErrWrongCode", err)
	}
	app.DB.Get(&leaFailures, `SELECT count(*) FROM login_failures WHERE key = $1`, security.AccountKey("lea@harbor.test"))
	if leaFailures != 1 {
		t.Fatalf("a wrong code counted as %d failures, want 1", leaFailures)
	}
	u, err = s.SignIn(ctx, b, account.Credentials{Email: "lea@harbor.test", Password: apptest.Password, Code: codes[0]})
	if err != nil || u.ID != lea {
		t.Fatalf("password and recovery code: user %d, %v", u.ID, err)
	}
	app.DB.Get(&leaFailures, `SELECT count(*) FROM login_failures WHERE key = $1`, security.AccountKey("lea@harbor.test"))
	if leaFailures != 0 {
		t.Fatalf("%d failures left after a finished sign-in, want 0", leaFailures)
	}
}
