package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

func setup(t *testing.T) (*apptest.App, int64, int64) {
	app := apptest.New(t)
	a := app.Clinic("Harbor")
	b := app.Clinic("Northside")
	app.User(a, "clinic_admin", "admin@a.test", "Ada Admin")
	app.User(a, "counselor", "coun@a.test", "Cora Counselor")
	app.User(a, "client", "client@a.test", "Cliff Client")
	app.User(b, "clinic_admin", "admin@b.test", "Bea Admin")
	return app, a, b
}

func TestLoginPagesPerRole(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	for _, c := range []struct{ email, want string }{
		{"admin@a.test", "Your practice"},
		{"coun@a.test", "Your caseload"},
		{"client@a.test", "Your space"},
	} {
		b := app.Browser()
		if r := b.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/login" {
			t.Fatalf("signed-out / = %d %q", r.Status, r.Location)
		}
		b.Login(c.email)
		r := b.Get("/")
		if r.Status != 200 || !strings.Contains(r.Body, c.want) || !strings.Contains(r.Body, "Harbor") {
			t.Errorf("%s home: %d, want %q and the clinic name", c.email, r.Status, c.want)
		}
		if r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("signed-in page cacheable: %q", r.Header.Get("Cache-Control"))
		}
	}
}

func TestLoginFailureRevealsNothing(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	wrongPw := b.Post("/login", url.Values{"email": {"admin@a.test"}, "password": {"not the password!"}}, "/login")
	unknown := b.Post("/login", url.Values{"email": {"nobody@a.test"}, "password": {"not the password!"}}, "/login")
	if wrongPw.Status != 401 || unknown.Status != 401 {
		t.Fatalf("statuses %d %d", wrongPw.Status, unknown.Status)
	}
	msg := "Email or password is incorrect."
	if !strings.Contains(wrongPw.Body, msg) || !strings.Contains(unknown.Body, msg) {
		t.Fatal("messages differ or missing")
	}
	if !strings.Contains(unknown.Body, `value="nobody@a.test"`) {
		t.Error("typed email was not kept")
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'login.failed'`)
	if n != 2 {
		t.Errorf("failed logins audited: %d, want 2", n)
	}
}

func TestCSRFRequired(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	// A login without a token is refused.
	r := b.PostRaw("/login", url.Values{"email": {"admin@a.test"}, "password": {apptest.Password}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("login without CSRF: %d", r.Status)
	}
	b.Login("admin@a.test")
	// A foreign token is refused; the session stays signed in.
	r = b.PostRaw("/logout", url.Values{"csrf_token": {"forged-token"}})
	if r.Status != http.StatusForbidden {
		t.Fatalf("logout with a foreign token: %d", r.Status)
	}
	if b.Get("/").Status != 200 {
		t.Fatal("session lost after refused logout")
	}
	// With the token, logout works and the session is gone.
	if r := b.Post("/logout", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := b.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("after logout / = %d", r.Status)
	}
}

func TestSessionFixationAndExpiry(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	b.Get("/login")
	u, _ := url.Parse(app.URL)
	before := cookie(b, u)
	b.Login("coun@a.test")
	after := cookie(b, u)
	if before == "" || after == "" || before == after {
		t.Fatalf("session id not renewed at login: %q → %q", before, after)
	}
	// Expire the session in the store (idle or absolute deadline passed).
	app.Exec(`UPDATE sessions SET expiry = now() - interval '1 second'`)
	if r := b.Get("/"); r.Status != http.StatusSeeOther || r.Location != "/login" {
		t.Fatalf("expired session still served: %d", r.Status)
	}
}

func TestRevokedEverywhere(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("coun@a.test")
	api := app.Login("coun@a.test")
	app.Exec(`UPDATE users SET sessions_valid_after = now() WHERE email = 'coun@a.test'`)
	if r := b.Get("/"); r.Status != http.StatusSeeOther {
		t.Errorf("page session survived revocation: %d", r.Status)
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Errorf("token survived revocation: %d", r.Status)
	}
}

func cookie(b *apptest.Browser, u *url.URL) string {
	for _, c := range b.C.Jar.Cookies(u) {
		if c.Name == "mend_session" {
			return c.Value
		}
	}
	return ""
}

func TestAPIAuth(t *testing.T) {
	t.Parallel()
	app, a, b := setup(t)
	c := app.API()
	var bad map[string]string
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "admin@a.test", "password": "wrong password!!"}, &bad); r.Status != 401 || bad["error"] == "" {
		t.Fatalf("bad login: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/v1/auth/login", "{not json", nil); r.Status != 400 {
		t.Fatalf("malformed body: %d", r.Status)
	}
	if r := c.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("me without token: %d", r.Status)
	}
	api := app.Login("admin@a.test")
	var me struct {
		User struct {
			ID          int64
			Email, Name string
		}
		Memberships []struct {
			ClinicID   int64  `json:"clinic_id"`
			ClinicName string `json:"clinic_name"`
			Role       string
		}
	}
	if r := api.Do("GET", "/api/v1/me", nil, &me); r.Status != 200 || me.User.Email != "admin@a.test" || len(me.Memberships) != 1 || me.Memberships[0].ClinicID != a {
		t.Fatalf("me: %d %s", r.Status, r.Body)
	}
	if strings.Contains(api.Do("GET", "/api/v1/me", nil, nil).Body, "password") {
		t.Fatal("me leaks the password hash")
	}
	// Several clinics: the header names one; a clinic the user is not in is refused.
	var uid int64
	app.DB.Get(&uid, `SELECT id FROM users WHERE email = 'admin@a.test'`)
	app.Member(uid, b, "counselor")
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Fatalf("me with two clinics and no header: %d", r.Status)
	}
	api.Clinic = "999999"
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 403 {
		t.Fatalf("foreign clinic header: %d", r.Status)
	}
	if r := api.Do("POST", "/api/v1/auth/logout", nil, nil); r.Status != 403 {
		t.Fatalf("logout with a foreign clinic header: %d", r.Status)
	}
	api.Clinic = ""
	if r := api.Do("POST", "/api/v1/auth/logout", nil, nil); r.Status != 204 {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("token alive after logout: %d", r.Status)
	}
}

func TestMultiClinicPicker(t *testing.T) {
	t.Parallel()
	app, a, b := setup(t)
	var uid int64
	app.DB.Get(&uid, `SELECT id FROM users WHERE email = 'coun@a.test'`)
	app.Member(uid, b, "counselor")
	br := app.Browser()
	r := br.Post("/login", url.Values{"email": {"coun@a.test"}, "password": {apptest.Password}}, "/login")
	if r.Location != "/clinics" {
		t.Fatalf("login with two clinics goes to %q", r.Location)
	}
	if r := br.Get("/"); r.Location != "/clinics" {
		t.Fatalf("home before choosing: %d %q", r.Status, r.Location)
	}
	page := br.Get("/clinics").Body
	if !strings.Contains(page, "Harbor") || !strings.Contains(page, "Northside") {
		t.Fatal("picker does not list both clinics")
	}
	if r := br.Post("/clinics", url.Values{"clinic_id": {"424242"}}, "/clinics"); r.Status != 422 {
		t.Fatalf("foreign clinic chosen: %d", r.Status)
	}
	if r := br.Post("/clinics", url.Values{"clinic_id": {itoa(b)}}, "/clinics"); r.Status != 303 {
		t.Fatalf("choose: %d", r.Status)
	}
	home := br.Get("/").Body
	if !strings.Contains(home, "Northside") || !strings.Contains(home, "Switch clinic") {
		t.Fatal("home does not show the chosen clinic")
	}
	_ = a
}

func TestHealthzHeadersAndLimits(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	c := app.API()
	if r := c.Do("GET", "/healthz", nil, nil); r.Status != 200 || !strings.Contains(r.Body, "ok") {
		t.Fatalf("healthz: %d %s", r.Status, r.Body)
	}
	r := app.Browser().Get("/login")
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-Id"} {
		if r.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Error("CSP lacks frame-ancestors")
	}
	big := `{"email":"` + strings.Repeat("a", 2<<20) + `"}`
	if r := c.Do("POST", "/api/v1/auth/login", big, nil); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB body: %d", r.Status)
	}
	var e map[string]string
	if r := c.Do("GET", "/api/v1/nope", nil, &e); r.Status != 404 || e["error"] == "" {
		t.Fatalf("unknown API path: %d %s", r.Status, r.Body)
	}
	if r := app.Browser().Get("/nope"); r.Status != 404 || !strings.Contains(r.Body, "could not find") {
		t.Fatalf("unknown page: %d", r.Status)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLoginEmptyFields(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	r := app.Browser().Post("/login", url.Values{"email": {"admin@a.test"}, "password": {""}}, "/login")
	if r.Status != 422 || !strings.Contains(r.Body, "Enter your password.") || !strings.Contains(r.Body, `value="admin@a.test"`) {
		t.Fatalf("empty password: %d", r.Status)
	}
}
