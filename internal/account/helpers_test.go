package account_test

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/pgtest"
)

const password = "correct-horse-battery-staple-42"

func init() { auth.UseTestCost() }

// accounts is the account service on a fresh database with one clinic.
type accounts struct {
	t      *testing.T
	ctx    context.Context
	db     *sqlx.DB
	svc    *account.Service
	clinic int64
}

func newAccounts(t *testing.T) *accounts {
	d := pgtest.NewDB(t)
	a := &accounts{t: t, ctx: context.Background(), db: d, svc: account.NewService(d, audit.New(make([]byte, 32)), nil)}
	a.clinic = a.mustClinic("Harbor Counseling")
	return a
}

func (a *accounts) mustClinic(name string) int64 {
	a.t.Helper()
	id, err := a.svc.CreateClinic(a.ctx, actor.System, name)
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

func (a *accounts) mustUser(role, email, name string) int64 {
	a.t.Helper()
	id, err := a.svc.CreateUser(a.ctx, actor.System, account.NewUser{ClinicID: a.clinic, Role: role, Email: email, Name: name, Password: password})
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

// audited counts the audit events of an action about a user.
func (a *accounts) audited(action string, userID int64) int {
	a.t.Helper()
	var n int
	if err := a.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1 AND object_id = $2`, action, userID); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// fields returns the per-field messages of an Invalid error (nil otherwise).
func fields(err error) map[string]string {
	if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
		return e.Fields
	}
	return nil
}
