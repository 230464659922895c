package web_test

import (
	"net/url"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// Failures and recovery codes of a known account reach the admins of
// every clinic it belongs to; unknown emails stay installation-level.
func TestAccountEventsVisibleToMemberClinics(t *testing.T) {
	t.Parallel()
	app, a, b := setup(t)
	var cora int64
	app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'coun@a.test'`)
	app.Member(cora, b, "counselor")
	cb := app.Browser()
	cb.Login("coun@a.test")
	chooseClinic(t, cb, a)
	secret, codes := enrol(t, cb)

	postLogin(app.Browser(), "coun@a.test", "wrong password!!")
	postLogin(app.Browser(), "nobody@a.test", "wrong password!!")
	b2 := app.Browser()
	postLogin(b2, "coun@a.test", apptest.Password)
	b2.Post("/login/totp", url.Values{"code": {"000000"}}, "/login/totp")
	if r := b2.Post("/login/totp", url.Values{"code": {codes[1]}}, "/login/totp"); r.Status != 303 || r.Location != "/clinics" {
		t.Fatalf("recovery code sign-in: %d %q", r.Status, r.Location)
	}
	_ = secret

	type item struct {
		ActorID *int64 `json:"actor_id"`
		Action  string `json:"action"`
	}
	for _, admin := range []string{"admin@a.test", "admin@b.test"} {
		api := app.Login(admin)
		for _, action := range []string{"login.failed", "login.mfa_failed", "recovery_code.used", "login", "mfa.enrol"} {
			var out struct{ Items []item }
			if r := api.Do("GET", "/api/v1/audit?action="+action+"&actor="+itoa(cora), nil, &out); r.Status != 200 {
				t.Fatalf("%s audit: %d", admin, r.Status)
			}
			if len(out.Items) == 0 {
				t.Errorf("%s does not see Cora's %s", admin, action)
			}
		}
		var out struct{ Items []item }
		api.Do("GET", "/api/v1/audit?action=login.failed", nil, &out)
		for _, it := range out.Items {
			if it.ActorID == nil {
				t.Errorf("%s sees the unknown email's failure", admin)
			}
		}
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND clinic_id IS NULL AND actor_id IS NULL`)
	if n != 1 {
		t.Fatalf("unknown email's failure: %d installation-level rows", n)
	}
	// A clinic the account does not belong to sees nothing of it.
	c := app.Clinic("Elsewhere")
	app.User(c, "clinic_admin", "admin@c.test", "Cy Admin")
	var out struct{ Items []item }
	app.Login("admin@c.test").Do("GET", "/api/v1/audit?actor="+itoa(cora), nil, &out)
	if len(out.Items) != 0 {
		t.Fatalf("another clinic sees %d of Cora's events", len(out.Items))
	}
}
