package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// apiLoginTOTP signs in through the API with a TOTP code.
func apiLoginTOTP(t *testing.T, app *apptest.App, email, code string) *apptest.API {
	t.Helper()
	c := app.API()
	var out struct{ Token string }
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": apptest.Password, "totp": code}, &out); r.Status != 200 {
		t.Fatalf("api login %s: %d %s", email, r.Status, r.Body)
	}
	c.Token = out.Token
	return c
}

// chooseClinic picks a clinic in a browser signed in to several.
func chooseClinic(t *testing.T, b *apptest.Browser, clinic int64) {
	t.Helper()
	if r := b.Post("/clinics", url.Values{"clinic_id": {itoa(clinic)}}, "/clinics"); r.Status != 303 {
		t.Fatalf("choose clinic: %d", r.Status)
	}
}

// parallel sends n identical JSON requests at once (plain net/http: the
// apptest client must not fail a test from another goroutine) and returns
// how many got each status; every 429 must carry a Retry-After.
func parallel(t *testing.T, app *apptest.App, n int, method, path, token string, body any) map[int]int {
	t.Helper()
	js, _ := json.Marshal(body)
	var mu sync.Mutex
	got := map[int]int{}
	var noRetry, failed int
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(method, app.URL+path, bytes.NewReader(js))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			<-start
			res, err := http.DefaultClient.Do(req)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			res.Body.Close()
			got[res.StatusCode]++
			if res.StatusCode == 429 && res.Header.Get("Retry-After") == "" {
				noRetry++
			}
		}()
	}
	close(start)
	wg.Wait()
	if failed > 0 || noRetry > 0 {
		t.Fatalf("%d requests failed, %d 429s without Retry-After", failed, noRetry)
	}
	return got
}

// Item: "require two-factor for staff" cannot be undone from another clinic.
func TestDisableMFARefusedWhileAnyStaffClinicRequires(t *testing.T) {
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

// Item: the current password on a password change is throttled like a sign-in.
func TestPasswordChangeThrottled(t *testing.T) {
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("coun@a.test")
	var hash string
	app.DB.Get(&hash, `SELECT password_hash FROM users WHERE email = 'coun@a.test'`)
	change := func(current string) apptest.Response {
		return b.Post("/account/password", url.Values{"current": {current}, "password": {newPassword}, "confirm": {newPassword}}, "/account/password")
	}
	if r := change(""); r.Status != 422 { // blank: not counted
		t.Fatalf("blank current: %d", r.Status)
	}
	for i := 0; i < 5; i++ {
		if r := change("wrong password!!"); r.Status != 422 || !strings.Contains(r.Body, "not your current password") {
			t.Fatalf("wrong current %d: %d", i+1, r.Status)
		}
	}
	r := change(apptest.Password)
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 429 || ra < 1 || !strings.Contains(r.Body, "Too many attempts. Try again in 1 minute.") {
		t.Fatalf("sixth attempt (right password): %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	var now string
	app.DB.Get(&now, `SELECT password_hash FROM users WHERE email = 'coun@a.test'`)
	if now != hash {
		t.Fatal("password changed while locked")
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'password.change_failed'`)
	if n != 5 {
		t.Fatalf("failures audited %d times", n)
	}
	// The lockout is the account's: signing in is locked too.
	if r := postLogin(app.Browser(), "coun@a.test", apptest.Password); r.Status != 429 {
		t.Fatalf("login while locked: %d", r.Status)
	}

	// The API, in a parallel burst: never more than 5 passwords checked.
	app.Exec(`DELETE FROM login_lockouts`)
	app.Exec(`DELETE FROM login_failures`)
	api := app.Login("coun@a.test")
	got := parallel(t, app, 20, "POST", "/api/v1/me/password", api.Token, map[string]string{"current": "wrong password!!", "password": newPassword})
	if got[422] != 5 || got[429] != 15 {
		t.Fatalf("parallel wrong current passwords: %v, want 5×422 and 15×429", got)
	}
	var e map[string]any
	if r := api.Do("POST", "/api/v1/me/password", map[string]string{"current": apptest.Password, "password": newPassword}, &e); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("API while locked: %d %s", r.Status, r.Body)
	}
	// Unlocked, the right password works and answers a new token.
	app.Exec(`DELETE FROM login_lockouts`)
	var out struct{ Token string }
	if r := api.Do("POST", "/api/v1/me/password", map[string]string{"current": apptest.Password, "password": newPassword}, &out); r.Status != 200 || out.Token == "" {
		t.Fatalf("API change: %d %s", r.Status, r.Body)
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("old token after change: %d", r.Status)
	}
	api.Token = out.Token
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Fatalf("new token: %d", r.Status)
	}
}

// Item: the code that turns two-factor off is throttled like a sign-in.
func TestDisableMFAThrottled(t *testing.T) {
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("client@a.test")
	secret, _ := enrol(t, b)
	for i := 0; i < 5; i++ {
		if r := b.Post("/account/security/disable", url.Values{"code": {"000000"}}, "/account/security"); r.Status != 422 {
			t.Fatalf("wrong code %d: %d", i+1, r.Status)
		}
	}
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	code, _ := totp.GenerateCode(secret, time.Now())
	r := b.Post("/account/security/disable", url.Values{"code": {code}}, "/account/security")
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, "Too many attempts") {
		t.Fatalf("right code while locked: %d", r.Status)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'mfa.disable_failed'`)
	if n != 5 {
		t.Fatalf("failures audited %d times", n)
	}
	app.Exec(`DELETE FROM login_lockouts`)
	api := apiLoginTOTP(t, app, "client@a.test", nextCode(secret))
	for i := 0; i < 5; i++ {
		if r := api.Do("POST", "/api/v1/me/totp/disable", map[string]string{"code": "000000"}, nil); r.Status != 422 {
			t.Fatalf("API wrong code %d: %d", i+1, r.Status)
		}
	}
	if r := api.Do("POST", "/api/v1/me/totp/disable", map[string]string{"code": code}, nil); r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("API right code while locked: %d %s", r.Status, r.Body)
	}
	app.DB.Get(&n, `SELECT count(*) FROM user_totp WHERE confirmed_at IS NOT NULL`)
	if n != 1 {
		t.Fatal("two-factor turned off while locked")
	}
}

// Item: a burst of parallel sign-ins gets no more password checks than the limit.
func TestLoginParallelBurst(t *testing.T) {
	app, _, _ := setup(t)
	got := parallel(t, app, 20, "POST", "/api/v1/auth/login", "", map[string]string{"email": "coun@a.test", "password": "wrong password!!"})
	if got[401] != 5 || got[429] != 15 {
		t.Fatalf("parallel wrong passwords: %v, want 5×401 and 15×429", got)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'login.failed'`)
	if n != 5 {
		t.Fatalf("%d failures checked and audited, want 5", n)
	}
	if r := app.API().Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun@a.test", "password": apptest.Password}, nil); r.Status != 429 {
		t.Fatalf("right password after the burst: %d", r.Status)
	}
}

// Item: failures and recovery codes of a known account reach the admins of
// every clinic it belongs to; unknown emails stay installation-level.
func TestAccountEventsVisibleToMemberClinics(t *testing.T) {
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

// Item: with several clinics and no Mend-Clinic header, routes that only
// need a sign-in answer 400 like the others, except the clinic-free ones.
func TestSignedInRoutesNeedClinicWhenSeveral(t *testing.T) {
	f := clinicSetup(t)
	f.app.Member(f.coun1, f.b, "counselor")
	api := f.app.Login("coun1@a.test")
	for _, p := range []string{fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), "/api/v1/counts"} {
		var e map[string]string
		if r := api.Do("GET", p, nil, &e); r.Status != 400 || !strings.Contains(e["error"], "Mend-Clinic") {
			t.Errorf("%s without Mend-Clinic: %d %s", p, r.Status, r.Body)
		}
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Errorf("me: %d", r.Status)
	}
	api.Clinic = itoa(f.a)
	for _, p := range []string{fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), "/api/v1/counts"} {
		if r := api.Do("GET", p, nil, nil); r.Status != 200 {
			t.Errorf("%s with Mend-Clinic: %d %s", p, r.Status, r.Body)
		}
	}
	api.Clinic = itoa(f.b)
	if r := api.Do("GET", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), nil, nil); r.Status != 404 {
		t.Errorf("clinic A's couple in clinic B: %d", r.Status)
	}
	api.Clinic = ""
	if r := api.Do("POST", "/api/v1/auth/logout", nil, nil); r.Status != 204 {
		t.Errorf("logout: %d", r.Status)
	}
	// One clinic: no header needed.
	if r := f.app.Login("coun2@a.test").Do("GET", "/api/v1/counts", nil, nil); r.Status != 200 {
		t.Errorf("one clinic: %d", r.Status)
	}
}
