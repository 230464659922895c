package account_test

import (
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
)

// An account is created only with a valid email, name, role and a password
// that follows the policy, each refusal named beside its field; an email
// registered already (in any case) is a conflict on the email field, a
// missing clinic is not found, and a created account is audited.
func TestRegisteredEmailIsAConflict(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	id := a.mustUser("counselor", "Maya@Harbor.test", "Maya Ortiz")
	var email string
	a.db.Get(&email, `SELECT email FROM users WHERE id = $1`, id)
	if email != "maya@harbor.test" {
		t.Errorf("email stored as %q, want it lower-case", email)
	}
	if n := a.audited("user.create", id); n != 1 {
		t.Errorf("%d user.create events, want 1", n)
	}

	_, err := a.svc.CreateUser(a.ctx, actor.System, account.NewUser{ClinicID: a.clinic, Role: "client", Email: " MAYA@harbor.test ", Password: password})
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Conflict || e.Fields["email"] == "" {
		t.Errorf("second account for one email: %v, want a conflict on the email field", err)
	}

	bad := []struct {
		name  string
		in    account.NewUser
		field string
	}{
		{"no email", account.NewUser{Role: "client", Password: password}, "email"},
		{"malformed email", account.NewUser{Role: "client", Email: "not-an-address", Password: password}, "email"},
		{"name too long", account.NewUser{Role: "client", Email: "long@h.test", Name: strings.Repeat("x", 201), Password: password}, "name"},
		{"unknown role", account.NewUser{Role: "superuser", Email: "role@h.test", Password: password}, "role"},
		{"common password", account.NewUser{Role: "client", Email: "weak@h.test", Password: "password1234"}, "password"},
	}
	for _, c := range bad {
		c.in.ClinicID = a.clinic
		if _, err := a.svc.CreateUser(a.ctx, actor.System, c.in); fields(err)[c.field] == "" {
			t.Errorf("%s: %v, want a message beside %q", c.name, err, c.field)
		}
	}
	_, err = a.svc.CreateUser(a.ctx, actor.System, account.NewUser{ClinicID: a.clinic + 1000, Role: "client", Email: "lost@h.test", Password: password})
	if !apperr.Is(err, apperr.NotFound) {
		t.Errorf("account in a missing clinic: %v, want not found", err)
	}
	var n int
	a.db.Get(&n, `SELECT count(*) FROM users`)
	if n != 1 {
		t.Errorf("%d users after the refusals, want 1", n)
	}
}

// A clinic's time zone must be one Mend knows; an unknown one is named
// beside the time_zone field and no clinic is made.
func TestClinicZoneMustBeKnown(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	_, err := a.svc.AddClinic(a.ctx, actor.System, account.NewClinic{Name: "Northside", TimeZone: "Mars/Olympus_Mons"})
	if f := fields(err); !strings.Contains(f["time_zone"], "Mars/Olympus_Mons") {
		t.Errorf("unknown zone: %v, want it named beside time_zone", err)
	}
	id, err := a.svc.AddClinic(a.ctx, actor.System, account.NewClinic{Name: "Northside", TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	var zone string
	a.db.Get(&zone, `SELECT time_zone FROM clinics WHERE id = $1`, id)
	var n int
	a.db.Get(&n, `SELECT count(*) FROM clinics`)
	if zone != "Europe/Berlin" || n != 2 {
		t.Errorf("clinic zone %q, %d clinics; want Europe/Berlin and 2", zone, n)
	}
}
