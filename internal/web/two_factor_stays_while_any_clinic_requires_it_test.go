package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// "require two-factor for staff" cannot be undone from another clinic.
func TestDisableMFARefusedWhileAnyStaffClinicRequires(t *testing.T) {
	t.Parallel()
	app, a, b := setup(t)
	var cora int64
	app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'coun@a.test'`)
	app.Member(cora, b, "counselor") // Cora also counsels at Northside
	cb := app.Browser()
	cb.Login("coun@a.test")
	chooseClinic(t, cb, b)
	secret, _ := enrol(t, cb)
	admin := app.Browser()
	admin.Login("admin@a.test")
	if r := admin.Post("/admin/settings", url.Values{"require_staff_mfa": {"on"}}, "/admin/settings"); r.Status != 303 {
		t.Fatalf("require: %d", r.Status)
	}
	// Working in Northside, which does not require it: still refused, naming Harbor.
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	code, _ := totp.GenerateCode(secret, time.Now())
	r := cb.Post("/account/security/disable", url.Values{"code": {code}}, "/account/security")
	if r.Status != 422 || !strings.Contains(r.Body, "Harbor requires two-factor sign-in for its staff, so it cannot be turned off.") {
		t.Fatalf("page disable from the other clinic: %d\n%s", r.Status, r.Body)
	}
	api := apiLoginTOTP(t, app, "coun@a.test", nextCode(secret))
	api.Clinic = itoa(b)
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	var e map[string]any
	r = api.Do("POST", "/api/v1/me/totp/disable", map[string]string{"code": code}, &e)
	if r.Status != 409 || !strings.Contains(fmt.Sprint(e["error"]), "Harbor") || e["clinic_id"] != float64(a) {
		t.Fatalf("API disable from the other clinic: %d %s", r.Status, r.Body)
	}
	var on int
	app.DB.Get(&on, `SELECT count(*) FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL`, cora)
	if on != 1 {
		t.Fatal("two-factor was turned off")
	}
	// A client of a clinic that requires it for staff may turn it off.
	cl := app.Browser()
	cl.Login("client@a.test")
	csecret, _ := enrol(t, cl)
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	ccode, _ := totp.GenerateCode(csecret, time.Now())
	if r := cl.Post("/account/security/disable", url.Values{"code": {ccode}}, "/account/security"); r.Status != 303 {
		t.Fatalf("client disable: %d", r.Status)
	}
	// Once Harbor no longer requires it, Cora may too (audited once per clinic).
	app.Exec(`UPDATE clinics SET require_staff_mfa = false`) // (the admin would have to enrol first)
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	if r := api.Do("POST", "/api/v1/me/totp/disable", map[string]string{"code": code}, nil); r.Status != 204 {
		t.Fatalf("API disable: %d %s", r.Status, r.Body)
	}
	var n int
	app.DB.Get(&n, `SELECT count(DISTINCT clinic_id) FROM audit_log WHERE action = 'mfa.disable' AND actor_id = $1`, cora)
	if n != 2 {
		t.Fatalf("mfa.disable visible to %d clinics, want 2", n)
	}
}
