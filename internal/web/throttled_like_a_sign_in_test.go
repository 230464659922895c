package web_test

import (
	"bytes"
	"encoding/json"
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

// The current password on a password change is throttled like a sign-in.
func TestPasswordChangeThrottled(t *testing.T) {
	t.Parallel()
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

// The code that turns two-factor off is throttled like a sign-in.
func TestDisableMFAThrottled(t *testing.T) {
	t.Parallel()
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

// A burst of parallel sign-ins gets no more password checks than the limit.
func TestLoginParallelBurst(t *testing.T) {
	t.Parallel()
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
