package clinic_test

import (
	"context"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/clinic"
)

// clinic.Service.Couple itself blanks what a caller may not see: a partner
// (even one who is a counselor elsewhere) gets names, never the partners'
// emails or invitation states; the admin and the couple's counselor get both.
func TestOnlyStaffGetPartnerEmails(t *testing.T) {
	app := apptest.New(t)
	ctx := context.Background()
	cl := app.Clinic("Harbor")
	adminID := app.User(cl, "clinic_admin", "admin@h.test", "Admin")
	maya := app.User(cl, "counselor", "maya@h.test", "Maya")
	sam := app.User(cl, "counselor", "sam@h.test", "Sam") // also a partner of Maya's couple
	ana := app.User(cl, "client", "ana@h.test", "Ana")
	app.Member(sam, cl, "client")
	admin := actor.Actor{UserID: adminID, ClinicID: cl, Roles: []string{actor.RoleAdmin}}
	cp, _, err := app.Services.Clinic.CreateCouple(ctx, admin, clinic.NewCouple{Label: "Rivera", CounselorID: maya,
		Partners: []clinic.NewPartner{{Name: "Ana", Email: "ana@h.test"}, {Name: "Sam", Email: "sam.home@h.test"}}})
	if err != nil {
		t.Fatal(err)
	}
	app.Exec(`UPDATE partners SET user_id = $1 WHERE id = (SELECT min(id) FROM partners WHERE couple_id = $2)`, ana, cp.ID)
	app.Exec(`UPDATE partners SET user_id = $1 WHERE id = (SELECT max(id) FROM partners WHERE couple_id = $2)`, sam, cp.ID)

	for _, c := range []struct {
		who    string
		a      actor.Actor
		emails bool
	}{
		{"admin", admin, true},
		{"the couple's counselor", actor.Actor{UserID: maya, ClinicID: cl, Roles: []string{actor.RoleCounselor}}, true},
		{"a partner", actor.Actor{UserID: ana, ClinicID: cl, Roles: []string{actor.RoleClient}}, false},
		{"a partner who counsels other couples", actor.Actor{UserID: sam, ClinicID: cl, Roles: []string{actor.RoleCounselor, actor.RoleClient}}, false},
	} {
		got, err := app.Services.Clinic.Couple(ctx, c.a, cp.ID)
		if err != nil {
			t.Fatalf("%s: %v", c.who, err)
		}
		if len(got.Partners) != 2 {
			t.Fatalf("%s: %d partners", c.who, len(got.Partners))
		}
		for _, p := range got.Partners {
			if p.Name == "" {
				t.Errorf("%s: a partner without a name", c.who)
			}
			if (p.Email != "") != c.emails {
				t.Errorf("%s: partner %s email %q, want emails shown: %v", c.who, p.Name, p.Email, c.emails)
			}
			if !c.emails && p.Invitation != nil {
				t.Errorf("%s: partner %s invitation state %+v shown", c.who, p.Name, p.Invitation)
			}
		}
	}
}
