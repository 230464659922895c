package account_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/apperr"
)

// What a request reads of its caller is the active account with its active
// memberships only, by clinic name; a switched-off membership comes back
// when it is added again; an unknown role is refused; a deactivated
// account is not signed in at all.
func TestMembershipsAreWhatARequestSees(t *testing.T) {
	t.Parallel()
	a := newAccounts(t)
	id := a.mustUser("counselor", "sam@h.test", "Sam Lee")
	north := a.mustClinic("Anchor Point")
	if err := account.AddMembership(a.ctx, a.db, id, north, "clinic_admin"); err != nil {
		t.Fatal(err)
	}
	if err := account.AddMembership(a.ctx, a.db, id, north, "janitor"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown role: %v, want invalid", err)
	}
	u, ms, err := a.svc.WithMemberships(a.ctx, id)
	if err != nil || u.ID != id {
		t.Fatalf("WithMemberships: %v %+v", err, u)
	}
	if len(ms) != 2 || ms[0].ClinicName != "Anchor Point" || ms[1].ClinicName != "Harbor Counseling" {
		t.Fatalf("memberships %+v, want Anchor Point then Harbor Counseling", ms)
	}
	if roles, name := account.RolesIn(ms, north); len(roles) != 1 || roles[0] != "clinic_admin" || name != "Anchor Point" {
		t.Errorf("roles in Anchor Point: %v %q", roles, name)
	}

	a.db.MustExec(`UPDATE memberships SET active = false WHERE user_id = $1 AND clinic_id = $2`, id, north)
	if _, ms, _ := a.svc.WithMemberships(a.ctx, id); len(ms) != 1 || ms[0].ClinicID != a.clinic {
		t.Errorf("a switched-off membership is still read: %+v", ms)
	}
	if err := account.AddMembership(a.ctx, a.db, id, north, "clinic_admin"); err != nil {
		t.Fatal(err)
	}
	if _, ms, _ := a.svc.WithMemberships(a.ctx, id); len(account.Clinics(ms)) != 2 {
		t.Errorf("adding the membership again did not switch it back on: %+v", ms)
	}

	a.db.MustExec(`UPDATE users SET active = false WHERE id = $1`, id)
	if _, _, err := a.svc.WithMemberships(a.ctx, id); !apperr.Is(err, apperr.Unauthorized) {
		t.Errorf("deactivated account: %v, want unauthorized", err)
	}
}

// Addresses are stored in one canonical form and names are bounded.
func TestEmailAndNameChecks(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{" Alex@Example.COM ": "alex@example.com", "a.b+c@mail.example.org": "a.b+c@mail.example.org"} {
		if got, err := account.NormalizeEmail(in); err != nil || got != want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "alex", "alex@localhost", "Alex <alex@example.com>", "a@b.c" + string(make([]byte, 260))} {
		if _, err := account.NormalizeEmail(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("NormalizeEmail(%q) accepted", bad)
		}
	}
	if n, err := account.CheckName("  Alex Rivera "); err != nil || n != "Alex Rivera" {
		t.Errorf("CheckName trims: %q, %v", n, err)
	}
	for _, bad := range []string{" ", "a\x00b", string([]rune{0x61, 0xfffd})[:1] + "\xff"} {
		if _, err := account.CheckName(bad); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("CheckName(%q) accepted", bad)
		}
	}
}
