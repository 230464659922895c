package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/audit"
)

// --- Audit page and API ---

func TestAuditAPIFiltersAndPagination(t *testing.T) {
	t.Parallel()
	app, a, b := setup(t)
	ctx := context.Background()
	var coun int64
	app.DB.Get(&coun, `SELECT id FROM users WHERE email = 'coun@a.test'`)
	for i := 0; i < 5; i++ {
		app.Audit.LogNow(ctx, app.DB, actor.Actor{UserID: coun, ClinicID: a}, audit.Event{Action: "test.read", ObjectType: "response", ObjectID: int64(i + 1), CoupleID: 42})
	}
	app.Audit.LogNow(ctx, app.DB, actor.Actor{UserID: 1, ClinicID: b}, audit.Event{Action: "test.read", CoupleID: 42})
	api := app.Login("admin@a.test")
	type item struct {
		Seq       int64   `json:"seq"`
		ActorID   *int64  `json:"actor_id"`
		ActorName *string `json:"actor_name"`
		Action    string  `json:"action"`
		CoupleID  *int64  `json:"couple_id"`
		IP        string  `json:"ip"`
		RequestID string  `json:"request_id"`
	}
	var out struct {
		Items []item  `json:"items"`
		Next  *string `json:"next"`
	}
	r := api.Do("GET", "/api/v1/audit?couple_id=42&limit=2", nil, &out)
	if r.Status != 200 || len(out.Items) != 2 || out.Next == nil {
		t.Fatalf("page 1: %d %s", r.Status, r.Body)
	}
	if out.Items[0].ActorName == nil || *out.Items[0].ActorName != "Cora Counselor" || out.Items[0].Action != "test.read" {
		t.Fatalf("item: %s", r.Body)
	}
	got := []int64{out.Items[0].Seq, out.Items[1].Seq}
	for out.Next != nil {
		next := *out.Next
		out.Items, out.Next = nil, nil
		api.Do("GET", "/api/v1/audit?couple_id=42&limit=2&after="+url.QueryEscape(next), nil, &out)
		for _, it := range out.Items {
			got = append(got, it.Seq)
		}
	}
	if len(got) != 5 { // clinic b's row is not visible
		t.Fatalf("all pages: %v", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] >= got[i-1] {
			t.Fatalf("not newest first: %v", got)
		}
	}
	out.Items = nil
	api.Do("GET", "/api/v1/audit?actor="+strconv.FormatInt(coun, 10)+"&action=test.read&from=2000-01-01&to="+time.Now().Format("2006-01-02"), nil, &out)
	if len(out.Items) != 5 {
		t.Fatalf("actor+action+dates: %d", len(out.Items))
	}
	// The admin's own login is there, with an IP and request id; no content fields.
	out.Items = nil
	r = api.Do("GET", "/api/v1/audit?action=login", nil, &out)
	if len(out.Items) == 0 || out.Items[0].IP == "" || out.Items[0].RequestID == "" || strings.Contains(r.Body, "detail") {
		t.Fatalf("login rows: %s", r.Body)
	}
	for _, q := range []string{"actor=x", "couple_id=-1", "limit=0", "limit=201", "after=abc", "from=yesterday", "to=2024-13-01"} {
		var e map[string]any
		if r := api.Do("GET", "/api/v1/audit?"+q, nil, &e); r.Status != 400 || e["error"] == nil {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}
	// Another clinic's admin sees none of clinic a's rows.
	out.Items = nil
	app.Login("admin@b.test").Do("GET", "/api/v1/audit?couple_id=42", nil, &out)
	if len(out.Items) != 1 {
		t.Fatalf("clinic b sees %d couple-42 rows, want its 1", len(out.Items))
	}
}

func TestAuditForbiddenForCounselorAndClient(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	for _, email := range []string{"coun@a.test", "client@a.test"} {
		if r := app.Login(email).Do("GET", "/api/v1/audit", nil, nil); r.Status != 403 {
			t.Errorf("%s API: %d", email, r.Status)
		}
		b := app.Browser()
		b.Login(email)
		if r := b.Get("/admin/audit"); r.Status != 403 {
			t.Errorf("%s page: %d", email, r.Status)
		}
		if strings.Contains(b.Get("/").Body, `href="/admin/audit"`) {
			t.Errorf("%s sees the Audit nav entry", email)
		}
	}
	if r := app.API().Do("GET", "/api/v1/audit", nil, nil); r.Status != 401 {
		t.Errorf("anonymous: %d", r.Status)
	}
}

func TestAuditPage(t *testing.T) {
	t.Parallel()
	app, a, _ := setup(t)
	ctx := context.Background()
	for i := 0; i < 60; i++ {
		app.Audit.LogNow(ctx, app.DB, actor.Actor{ClinicID: a}, audit.Event{Action: "test.bulk", ObjectType: "thing", ObjectID: int64(i)})
	}
	b := app.Browser()
	b.Login("admin@a.test")
	r := b.Get("/admin/audit")
	if r.Status != 200 || !strings.Contains(r.Body, "test.bulk") || !strings.Contains(r.Body, `href="/admin/audit"`) {
		t.Fatalf("audit page: %d", r.Status)
	}
	m := regexp.MustCompile(`href="(/admin/audit\?[^"]*after=[A-Za-z0-9_-]+[^"]*)"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no Older link")
	}
	older := b.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if older.Status != 200 || !strings.Contains(older.Body, "Ada Admin") { // the admin's login, by name
		t.Fatalf("older page: %d", older.Status)
	}
	r = b.Get("/admin/audit?action=login&person=Ada&from=abc")
	if r.Status != 400 || !strings.Contains(r.Body, `value="abc"`) || !strings.Contains(r.Body, `value="Ada"`) || !strings.Contains(r.Body, `value="login" selected`) {
		t.Fatalf("bad filter: %d", r.Status)
	}
	// Reading the trail is not itself audited.
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action LIKE 'audit%'`)
	if n != 0 {
		t.Fatalf("audit reads audited: %d", n)
	}
}

// --- Throttling ---

func postLogin(b *apptest.Browser, email, pw string) apptest.Response {
	return b.Post("/login", url.Values{"email": {email}, "password": {pw}}, "/login")
}

func TestThrottleAccount(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	for _, email := range []string{"admin@a.test", "nobody@a.test"} {
		b := app.Browser()
		for i := 0; i < 5; i++ {
			if r := postLogin(b, email, "wrong password!!"); r.Status != 401 {
				t.Fatalf("%s attempt %d: %d", email, i+1, r.Status)
			}
		}
		r := postLogin(b, email, "wrong password!!")
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" ||
			!strings.Contains(r.Body, "Too many attempts. Try again in 1 minute.") || !strings.Contains(r.Body, `value="`+email+`"`) {
			t.Fatalf("%s 6th attempt: %d %q", email, r.Status, r.Header.Get("Retry-After"))
		}
		if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %d", ra)
		}
	}
	// Locked: even the right password answers 429, on the page and the API.
	if r := postLogin(app.Browser(), "admin@a.test", apptest.Password); r.Status != 429 {
		t.Fatalf("right password while locked: %d", r.Status)
	}
	var e map[string]any
	r := app.API().Do("POST", "/api/v1/auth/login", map[string]string{"email": "ADMIN@a.test", "password": apptest.Password}, &e)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" || e["error"] == nil {
		t.Fatalf("API while locked: %d %s", r.Status, r.Body)
	}
	// The lockout grows: expire it, fail five more times, wait longer.
	app.Exec(`UPDATE login_lockouts SET locked_until = now() - interval '1 second'`)
	b := app.Browser()
	for i := 0; i < 5; i++ {
		postLogin(b, "admin@a.test", "wrong password!!")
	}
	r = postLogin(b, "admin@a.test", "wrong password!!")
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 429 || ra <= 60 || ra > 120 {
		t.Fatalf("second lockout: %d Retry-After %q", r.Status, r.Header.Get("Retry-After"))
	}
	// Success clears the account's counter (the IP's is cleared here only
	// to stay under its own limit).
	app.Exec(`DELETE FROM login_failures WHERE key LIKE 'ip:%'`)
	b.Login("coun@a.test")
	for i := 0; i < 4; i++ {
		postLogin(app.Browser(), "client@a.test", "wrong password!!")
	}
	app.Browser().Login("client@a.test")
	for i := 0; i < 4; i++ {
		if r := postLogin(app.Browser(), "client@a.test", "wrong password!!"); r.Status != 401 {
			t.Fatalf("counter not cleared by success: %d", r.Status)
		}
	}
}

func TestThrottleIPAndSpoofedForwardedFor(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	for i := 0; i < 20; i++ {
		form := url.Values{"email": {"u" + strconv.Itoa(i) + "@a.test"}, "password": {"wrong password!!"}, "csrf_token": {b.CSRF("/login")}}
		req, _ := http.NewRequest("POST", app.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// A different spoofed client address on every attempt changes nothing.
		req.Header.Set("X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1))
		req.Header.Set("X-Real-IP", "198.51.100."+strconv.Itoa(i+1))
		res, err := b.C.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 401 {
			t.Fatalf("attempt %d: %d", i+1, res.StatusCode)
		}
	}
	var ips []string
	app.DB.Select(&ips, `SELECT DISTINCT key FROM login_failures WHERE key LIKE 'ip:%'`)
	if len(ips) != 1 || !strings.HasPrefix(ips[0], "ip:127.0.0.1") {
		t.Fatalf("IP keys %v: the forwarded header was believed", ips)
	}
	// The 21st failure from this IP, on a fresh account, is refused, even
	// with a fresh spoofed header and the right password.
	api := app.API()
	var e map[string]any
	r := api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun@a.test", "password": apptest.Password}, &e)
	if r.Status != 429 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("21st from the IP: %d %s", r.Status, r.Body)
	}
	if r := postLogin(app.Browser(), "client@a.test", apptest.Password); r.Status != 429 {
		t.Fatalf("page from the IP: %d", r.Status)
	}
}

// --- TOTP ---

var secretRe = regexp.MustCompile(`<code class="mfa-secret">([A-Z2-7]+)</code>`)
var codeRe = regexp.MustCompile(`<li><code>([a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4})</code></li>`)

// enrol turns TOTP on for a signed-in browser; returns the secret and recovery codes.
func enrol(t *testing.T, b *apptest.Browser) (string, []string) {
	t.Helper()
	r := b.Get("/account/security")
	m := secretRe.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil || !strings.Contains(r.Body, `src="data:image/png;base64,`) {
		t.Fatalf("enrol page: %d\n%s", r.Status, r.Body)
	}
	secret := m[1]
	if r := b.Post("/account/security/enrol", url.Values{"code": {"123"}}, "/account/security"); r.Status != 422 || !strings.Contains(r.Body, `value="123"`) {
		t.Fatalf("wrong enrol code: %d", r.Status)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	r = b.Post("/account/security/enrol", url.Values{"code": {code}}, "/account/security")
	var codes []string
	for _, m := range codeRe.FindAllStringSubmatch(r.Body, -1) {
		codes = append(codes, m[1])
	}
	if r.Status != 200 || len(codes) != 10 {
		t.Fatalf("confirm: %d, %d codes", r.Status, len(codes))
	}
	if strings.Contains(b.Get("/account/security").Body, codes[0]) {
		t.Fatal("recovery codes shown twice")
	}
	return secret, codes
}

// nextCode is the code of the next 30-second step (accepted for clock
// drift): the step used to confirm enrolment cannot be used again.
func nextCode(secret string) string {
	c, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	return c
}

func TestTOTPEnrolAndLogin(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("coun@a.test")
	secret, codes := enrol(t, b)
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'mfa.enrol'`)
	if n != 1 {
		t.Fatal("enrol not audited")
	}

	// The password alone no longer signs in.
	b2 := app.Browser()
	r := postLogin(b2, "coun@a.test", apptest.Password)
	if r.Status != 303 || r.Location != "/login/totp" {
		t.Fatalf("password step: %d %q", r.Status, r.Location)
	}
	if r := b2.Get("/"); r.Status != 303 || r.Location != "/login" {
		t.Fatalf("signed in before the code: %d %q", r.Status, r.Location)
	}
	if r := b2.Post("/login/totp", url.Values{"code": {"000000"}}, "/login/totp"); r.Status != 401 {
		t.Fatalf("wrong code: %d", r.Status)
	}
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'login.mfa_failed'`)
	if n != 1 {
		t.Fatal("failed code not audited")
	}
	code := nextCode(secret)
	if r := b2.Post("/login/totp", url.Values{"code": {code}}, "/login/totp"); r.Status != 303 || r.Location != "/" {
		t.Fatalf("right code: %d %q", r.Status, r.Location)
	}
	if r := b2.Get("/"); r.Status != 200 {
		t.Fatalf("home after TOTP: %d", r.Status)
	}
	// The same code (same time step) is refused the second time.
	b3 := app.Browser()
	postLogin(b3, "coun@a.test", apptest.Password)
	if r := b3.Post("/login/totp", url.Values{"code": {code}}, "/login/totp"); r.Status != 401 {
		t.Fatalf("reused code: %d", r.Status)
	}
	// A recovery code works once.
	if r := b3.Post("/login/totp", url.Values{"code": {codes[3]}}, "/login/totp"); r.Status != 303 {
		t.Fatalf("recovery code: %d", r.Status)
	}
	b4 := app.Browser()
	postLogin(b4, "coun@a.test", apptest.Password)
	if r := b4.Post("/login/totp", url.Values{"code": {codes[3]}}, "/login/totp"); r.Status != 401 {
		t.Fatalf("recovery code reused: %d", r.Status)
	}
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'recovery_code.used'`)
	if n != 1 {
		t.Fatal("recovery code use not audited")
	}
	// Without a pending password step the code page sends you to /login.
	if r := app.Browser().Get("/login/totp"); r.Status != 303 || r.Location != "/login" {
		t.Fatalf("code page without password: %d", r.Status)
	}

	// Disable needs a current code.
	if r := b2.Post("/account/security/disable", url.Values{"code": {"000000"}}, "/account/security"); r.Status != 422 {
		t.Fatalf("disable with a wrong code: %d", r.Status)
	}
	app.Exec(`UPDATE user_totp SET last_step = 0`) // as if a minute had passed
	code, _ = totp.GenerateCode(secret, time.Now())
	if r := b2.Post("/account/security/disable", url.Values{"code": {code}}, "/account/security"); r.Status != 303 {
		t.Fatalf("disable: %d", r.Status)
	}
	app.Browser().Login("coun@a.test") // password only again
}

func TestTOTPAPILogin(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	b := app.Browser()
	b.Login("client@a.test") // optional for clients
	secret, _ := enrol(t, b)
	api := app.API()
	var e map[string]any
	r := api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "client@a.test", "password": apptest.Password}, &e)
	if r.Status != 401 || e["mfa_required"] != true || e["error"] != "two-factor code required" {
		t.Fatalf("without totp: %d %s", r.Status, r.Body)
	}
	r = api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "client@a.test", "password": apptest.Password, "totp": "000000"}, nil)
	if r.Status != 401 {
		t.Fatalf("wrong totp: %d", r.Status)
	}
	code := nextCode(secret)
	var ok struct{ Token string }
	r = api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "client@a.test", "password": apptest.Password, "totp": code}, &ok)
	if r.Status != 200 || ok.Token == "" {
		t.Fatalf("right totp: %d %s", r.Status, r.Body)
	}
	r = api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "client@a.test", "password": apptest.Password, "totp": code}, nil)
	if r.Status != 401 {
		t.Fatalf("reused totp: %d", r.Status)
	}
}

func TestMFARequiredForStaff(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	admin := app.Browser()
	admin.Login("admin@a.test")
	r := admin.Post("/admin/settings", url.Values{"require_staff_mfa": {"on"}}, "/admin/settings")
	if r.Status != 303 {
		t.Fatalf("save settings: %d %s", r.Status, r.Body)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'clinic.settings'`)
	if n != 1 {
		t.Fatal("setting change not audited")
	}
	// The admin (staff, no TOTP) is now sent to enrol from every page...
	if r := admin.Get("/"); r.Status != 303 || r.Location != "/account/security" {
		t.Fatalf("admin home: %d %q", r.Status, r.Location)
	}
	if r := admin.Get("/account/security"); r.Status != 200 || !strings.Contains(r.Body, "requires two-factor") {
		t.Fatalf("enrol page: %d", r.Status)
	}
	coun := app.Browser()
	coun.Login("coun@a.test")
	if r := coun.Get("/"); r.Status != 303 || r.Location != "/account/security" {
		t.Fatalf("counselor home: %d %q", r.Status, r.Location)
	}
	var e map[string]any
	if r := app.Login("coun@a.test").Do("GET", "/api/v1/audit", nil, &e); r.Status != 403 || !strings.Contains(e["error"].(string), "two-factor") {
		t.Fatalf("counselor API: %d %s", r.Status, r.Body)
	}
	// ...clients are not.
	cl := app.Browser()
	cl.Login("client@a.test")
	if r := cl.Get("/"); r.Status != 200 {
		t.Fatalf("client home: %d", r.Status)
	}
	// Another clinic is unaffected.
	other := app.Browser()
	other.Login("admin@b.test")
	if r := other.Get("/"); r.Status != 200 {
		t.Fatalf("clinic b admin: %d", r.Status)
	}
	// Once enrolled, the counselor gets through, and cannot turn it off.
	enrol(t, coun)
	if r := coun.Get("/"); r.Status != 200 {
		t.Fatalf("enrolled counselor: %d", r.Status)
	}
	if r := coun.Post("/account/security/disable", url.Values{"code": {"000000"}}, "/account/security"); r.Status != 422 || !strings.Contains(r.Body, "cannot be turned off") {
		t.Fatalf("disable while required: %d", r.Status)
	}
	// Signing out stays possible while not enrolled.
	if r := admin.Post("/logout", nil, "/account/security"); r.Status != 303 || r.Location != "/login" {
		t.Fatalf("logout: %d %q", r.Status, r.Location)
	}
}
