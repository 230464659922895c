package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// Staff who use only the API can enrol in two-factor sign-in through it
// when their clinic requires it: everything else answers 403 saying how.
func TestAPIOnlyStaffEnrolTwoFactor(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	clinic := app.Clinic("Harbor")
	app.User(clinic, "counselor", "cora@h.test", "Cora")
	app.Exec(`UPDATE clinics SET require_staff_mfa = true`)
	cora := app.Login("cora@h.test")
	var e map[string]any
	if r := cora.Do("GET", "/api/v1/caseload", nil, &e); r.Status != 403 || !strings.Contains(e["error"].(string), "/api/v1/me/totp") {
		t.Fatalf("before enrolling: %d %s", r.Status, r.Body)
	}
	var en struct {
		Secret string `json:"secret"`
		URL    string `json:"otpauth_url"`
	}
	if r := cora.Do("POST", "/api/v1/me/totp", nil, &en); r.Status != 200 || en.Secret == "" || !strings.HasPrefix(en.URL, "otpauth://totp/") {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	var again struct{ Secret string }
	cora.Do("POST", "/api/v1/me/totp", nil, &again)
	if again.Secret != en.Secret {
		t.Error("a second start changed the pending secret")
	}
	var fe struct{ Fields map[string]string }
	if r := cora.Do("POST", "/api/v1/me/totp/confirm", map[string]string{"code": "000000"}, &fe); r.Status != 422 || fe.Fields["code"] == "" {
		t.Fatalf("wrong code: %d %s", r.Status, r.Body)
	}
	code, _ := totp.GenerateCode(en.Secret, time.Now())
	var ok struct {
		Codes []string `json:"recovery_codes"`
	}
	if r := cora.Do("POST", "/api/v1/me/totp/confirm", map[string]string{"code": code}, &ok); r.Status != 200 || len(ok.Codes) != 10 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("GET", "/api/v1/caseload", nil, nil); r.Status != 200 {
		t.Errorf("after enrolling: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", "/api/v1/me/totp", nil, nil); r.Status != 409 {
		t.Errorf("start when on: %d", r.Status)
	}
}
