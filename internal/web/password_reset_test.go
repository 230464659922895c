package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/apptest"
)

var resetLinkRe = regexp.MustCompile(`/password-reset/([A-Za-z0-9_-]{40,})`)

type resetJSON struct {
	Reset struct {
		Token     string    `json:"token"`
		URL       string    `json:"url"`
		ExpiresAt time.Time `json:"expires_at"`
	} `json:"reset"`
}

const newPassword = "lantern orchard violet tide"

func TestPasswordResetCounselorPage(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	app := f.app
	// Cora is signed in elsewhere, in a browser and with an API token.
	cora, coraAPI := app.Browser(), app.Login("coun1@a.test")
	cora.Login("coun1@a.test")

	ab := app.Browser()
	ab.Login("admin@a.test")
	if !strings.Contains(ab.Get("/admin/counselors").Body, fmt.Sprintf(`action="/admin/counselors/%d/password-reset"`, f.coun1)) {
		t.Fatal("no Reset password button on the counselors page")
	}
	r := ab.Post(fmt.Sprintf("/admin/counselors/%d/password-reset", f.coun1), nil, "/admin/counselors")
	if r.Status != 303 || r.Location != "/admin/counselors" {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	page := ab.Get("/admin/counselors").Body
	m := resetLinkRe.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Password-reset link") || !strings.Contains(page, `data-copy="link-0"`) {
		t.Fatalf("no copyable reset link:\n%s", page)
	}
	token := m[1]
	if strings.Contains(ab.Get("/admin/counselors").Body, token) {
		t.Fatal("reset link shown twice")
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'password_reset.create' AND clinic_id = $1 AND object_id = $2`, f.a, f.coun1); n != 1 {
		t.Fatalf("issue audited %d times", n)
	}
	if n := f.count(t, `SELECT count(*) FROM password_resets WHERE token_hash = convert_to($1, 'UTF8')`, token); n != 0 {
		t.Fatal("token stored in clear")
	}

	path := "/password-reset/" + token
	rb := app.Browser()
	r = rb.Get(path)
	if r.Status != 200 || !strings.Contains(r.Body, "coun1@a.test") || !strings.Contains(r.Body, "Harbor") || strings.Contains(r.Body, `name="code"`) ||
		strings.Contains(r.Body, "Rivera") {
		t.Fatalf("reset page: %d\n%s", r.Status, r.Body)
	}
	if r := rb.Post(path, url.Values{"password": {"password1234"}, "confirm": {"password1234"}}, path); r.Status != 422 || !strings.Contains(r.Body, `id="e-password"`) {
		t.Fatalf("common password: %d", r.Status)
	}
	if r := rb.Post(path, url.Values{"password": {newPassword}, "confirm": {"something else"}}, path); r.Status != 422 || !strings.Contains(r.Body, `id="e-confirm"`) {
		t.Fatalf("mismatch: %d", r.Status)
	}
	r = rb.Post(path, url.Values{"password": {newPassword}, "confirm": {newPassword}}, path)
	if r.Status != 303 || r.Location != "/" {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if home := rb.Get("/"); home.Status != 200 || !strings.Contains(home.Body, "Your caseload") || !strings.Contains(home.Body, "Your password was changed") {
		t.Fatalf("signed in after reset: %d", home.Status)
	}
	// Every other session and token of the account ended.
	if r := cora.Get("/"); r.Status != 303 || r.Location != "/login" {
		t.Fatalf("old session survived the reset: %d", r.Status)
	}
	if r := coraAPI.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("old token survived the reset: %d", r.Status)
	}
	api := app.API()
	if r := api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun1@a.test", "password": apptest.Password}, nil); r.Status != 401 {
		t.Fatalf("old password: %d", r.Status)
	}
	if r := api.Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun1@a.test", "password": newPassword}, nil); r.Status != 200 {
		t.Fatalf("new password: %d", r.Status)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'password_reset.use' AND clinic_id = $1 AND actor_id = $2`, f.a, f.coun1); n != 1 {
		t.Fatalf("use audited %d times", n)
	}
	// One-time.
	if r := app.Browser().Get(path); r.Status != 410 || !strings.Contains(r.Body, "already been used") {
		t.Fatalf("replay: %d", r.Status)
	}
	if r := app.Browser().Post(path, url.Values{"password": {"another passphrase here"}, "confirm": {"another passphrase here"}}, "/login"); r.Status != 410 {
		t.Fatalf("replay post: %d", r.Status)
	}

	// A new link revokes the pending one (API).
	var r1, r2 resetJSON
	issue := fmt.Sprintf("/api/v1/counselors/%d/password-reset", f.coun1)
	f.admin.Do("POST", issue, nil, &r1)
	if res := f.admin.Do("POST", issue, nil, &r2); res.Status != 201 || r2.Reset.Token == "" {
		t.Fatalf("issue again: %d %s", res.Status, res.Body)
	}
	if r := app.Browser().Get("/password-reset/" + r1.Reset.Token); r.Status != 410 || !strings.Contains(r.Body, "replaced") {
		t.Fatalf("revoked link: %d", r.Status)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'password_reset.revoke'`); n != 1 {
		t.Fatalf("revocation audited %d times", n)
	}
	// Expired.
	app.Exec(`UPDATE password_resets SET expires_at = now() - interval '1 minute' WHERE revoked_at IS NULL AND used_at IS NULL`)
	if r := app.Browser().Get("/password-reset/" + r2.Reset.Token); r.Status != 410 || !strings.Contains(r.Body, "expired") {
		t.Fatalf("expired link: %d", r.Status)
	}
	if r := app.Browser().Get("/password-reset/not-a-real-token"); r.Status != 404 || !strings.Contains(r.Body, "not valid") {
		t.Fatalf("unknown link: %d", r.Status)
	}
}

// A reset never bypasses two-factor: the page asks for a current code or a
// recovery code, a wrong one fails and is throttled like a sign-in.
func TestPasswordResetPartnerKeepsTwoFactor(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	app := f.app
	p0 := f.coupleA.Partners[0]
	if r, _ := acceptAPI(app, p0.Invitation.Token, "Ana Rivera", apptest.Password); r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	ana := app.Browser()
	ana.Login("ana@x.test")
	secret, codes := enrol(t, ana)

	// The couple's page offers the reset for the partner who joined.
	ab := app.Browser()
	ab.Login("admin@a.test")
	cp := fmt.Sprintf("/couples/%d", f.coupleA.ID)
	if !strings.Contains(ab.Get(cp).Body, fmt.Sprintf(`action="/admin/couples/%d/partners/%d/password-reset"`, f.coupleA.ID, p0.ID)) {
		t.Fatal("no Reset password button on the couple's page")
	}
	var out resetJSON
	r := f.admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/password-reset", f.coupleA.ID, p0.ID), nil, &out)
	if r.Status != 201 || out.Reset.Token == "" || out.Reset.URL != app.URL+"/password-reset/"+out.Reset.Token ||
		time.Until(out.Reset.ExpiresAt) < 23*time.Hour || time.Until(out.Reset.ExpiresAt) > 25*time.Hour {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	path := "/password-reset/" + out.Reset.Token
	rb := app.Browser()
	if r := rb.Get(path); !strings.Contains(r.Body, `name="code"`) || !strings.Contains(r.Body, "Two-factor sign-in stays on") {
		t.Fatalf("reset page without a code field:\n%s", r.Body)
	}
	form := func(code string) url.Values {
		return url.Values{"password": {newPassword}, "confirm": {newPassword}, "code": {code}}
	}
	var hashBefore string
	app.DB.Get(&hashBefore, `SELECT password_hash FROM users WHERE email = 'ana@x.test'`)
	// No code: asked for it, not counted.
	if r := rb.Post(path, form(""), path); r.Status != 422 || !strings.Contains(r.Body, `id="e-code"`) {
		t.Fatalf("no code: %d", r.Status)
	}
	if n := f.count(t, `SELECT count(*) FROM login_failures WHERE key LIKE 'email:%'`); n != 0 {
		t.Fatalf("a missing code was counted: %d", n)
	}
	// Wrong codes: 401, audited, then throttled even with the right code.
	for i := 0; i < 5; i++ {
		if r := rb.Post(path, form("000000"), path); r.Status != 401 || !strings.Contains(r.Body, `id="e-code"`) {
			t.Fatalf("wrong code %d: %d", i+1, r.Status)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'password_reset.failed' AND clinic_id = $1`, f.a); n != 5 {
		t.Fatalf("failures audited %d times", n)
	}
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	code, _ := totp.GenerateCode(secret, time.Now())
	r = rb.Post(path, form(code), path)
	if ra, _ := strconv.Atoi(r.Header.Get("Retry-After")); r.Status != 429 || ra < 1 || !strings.Contains(r.Body, "Too many attempts") {
		t.Fatalf("sixth attempt: %d %q", r.Status, r.Header.Get("Retry-After"))
	}
	// The password did not change through any of this.
	var hash string
	app.DB.Get(&hash, `SELECT password_hash FROM users WHERE email = 'ana@x.test'`)
	if hash != hashBefore {
		t.Fatal("the password changed without the right code")
	}
	app.Exec(`DELETE FROM login_lockouts`)
	app.Exec(`DELETE FROM login_failures`)
	if r := rb.Post(path, form(code), path); r.Status != 303 {
		t.Fatalf("reset with the right code: %d %s", r.Status, r.Body)
	}
	if r := ana.Get("/"); r.Status != 303 {
		t.Fatalf("the partner's other session survived: %d", r.Status)
	}
	// Two-factor is still on: the new password alone does not sign in.
	var e map[string]any
	if r := app.API().Do("POST", "/api/v1/auth/login", map[string]string{"email": "ana@x.test", "password": newPassword}, &e); r.Status != 401 || e["mfa_required"] != true {
		t.Fatalf("two-factor after the reset: %d %s", r.Status, r.Body)
	}

	// Through the API: the code is "totp", a recovery code works too.
	f.admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/password-reset", f.coupleA.ID, p0.ID), nil, &out)
	use := "/api/v1/password-resets/" + out.Reset.Token
	if r := app.API().Do("POST", use, map[string]string{"password": "a second new passphrase"}, &e); r.Status != 401 || e["mfa_required"] != true {
		t.Fatalf("API reset without a code: %d %s", r.Status, r.Body)
	}
	if r := app.API().Do("POST", use, map[string]string{"password": "short", "totp": codes[0]}, nil); r.Status != 422 || !strings.Contains(r.Body, `"password"`) {
		t.Fatalf("API reset with a weak password: %d %s", r.Status, r.Body)
	}
	var tok struct{ Token string }
	if r := app.API().Do("POST", use, map[string]string{"password": "a second new passphrase", "totp": codes[0]}, &tok); r.Status != 200 || tok.Token == "" {
		t.Fatalf("API reset: %d %s", r.Status, r.Body)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'recovery_code.used' AND clinic_id = $1`, f.a); n != 1 {
		t.Fatalf("recovery code use visible to the clinic %d times", n)
	}
}

// Who may issue a reset, for whom.
func TestPasswordResetScope(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	app := f.app
	p0, p1 := f.coupleA.Partners[0], f.coupleA.Partners[1]
	acceptAPI(app, p0.Invitation.Token, "Ana Rivera", apptest.Password)
	var adminA int64
	app.DB.Get(&adminA, `SELECT id FROM users WHERE email = 'admin@a.test'`)
	counselorReset := func(id int64) string { return fmt.Sprintf("/api/v1/counselors/%d/password-reset", id) }
	partnerReset := func(pid int64) string {
		return fmt.Sprintf("/api/v1/couples/%d/partners/%d/password-reset", f.coupleA.ID, pid)
	}

	// Another clinic's admin: 404 on this clinic's people, page and API.
	adminB := app.Login("admin@b.test")
	for _, p := range []string{counselorReset(f.coun1), partnerReset(p0.ID)} {
		if r := adminB.Do("POST", p, nil, nil); r.Status != 404 {
			t.Errorf("admin B %s: %d", p, r.Status)
		}
	}
	bb := app.Browser()
	bb.Login("admin@b.test")
	if r := bb.Post(fmt.Sprintf("/admin/counselors/%d/password-reset", f.coun1), nil, "/admin/counselors"); r.Status != 404 {
		t.Errorf("admin B page: %d", r.Status)
	}
	if r := bb.Post(fmt.Sprintf("/admin/couples/%d/partners/%d/password-reset", f.coupleA.ID, p0.ID), nil, "/admin/counselors"); r.Status != 404 {
		t.Errorf("admin B partner page: %d", r.Status)
	}
	// A counselor or a client: 403.
	if r := app.Login("coun1@a.test").Do("POST", counselorReset(f.coun2), nil, nil); r.Status != 403 {
		t.Errorf("counselor: %d", r.Status)
	}
	if r := app.Login("ana@x.test").Do("POST", partnerReset(p1.ID), nil, nil); r.Status != 403 {
		t.Errorf("client: %d", r.Status)
	}
	if n := f.count(t, `SELECT count(*) FROM password_resets`); n != 0 {
		t.Fatalf("%d resets issued by callers who may not", n)
	}
	// A partner who has not joined gets an invitation, not a reset.
	if r := f.admin.Do("POST", partnerReset(p1.ID), nil, nil); r.Status != 409 || !strings.Contains(r.Body, "not joined") {
		t.Errorf("partner not joined: %d %s", r.Status, r.Body)
	}
	// A client's user id is not a counselor's.
	var ana int64
	app.DB.Get(&ana, `SELECT id FROM users WHERE email = 'ana@x.test'`)
	if r := f.admin.Do("POST", counselorReset(ana), nil, nil); r.Status != 404 {
		t.Errorf("client as counselor: %d", r.Status)
	}
	// Not one's own.
	app.Member(adminA, f.a, "counselor")
	if r := f.admin.Do("POST", counselorReset(adminA), nil, nil); r.Status != 409 || !strings.Contains(r.Body, "your own password") {
		t.Errorf("own reset: %d %s", r.Status, r.Body)
	}
	// Someone who also belongs to a clinic where this admin is not an
	// admin: refused (the link would open that clinic), without naming it.
	app.Member(f.coun2, f.b, "counselor")
	r := f.admin.Do("POST", counselorReset(f.coun2), nil, nil)
	if r.Status != 409 || !strings.Contains(r.Body, "another clinic") || strings.Contains(r.Body, "Northside") {
		t.Errorf("member of another clinic: %d %s", r.Status, r.Body)
	}
	// ...allowed when the admin runs that clinic too.
	app.Member(adminA, f.b, "clinic_admin")
	f.admin.Clinic = fmt.Sprint(f.a) // now in two clinics
	if r := f.admin.Do("POST", counselorReset(f.coun2), nil, nil); r.Status != 201 {
		t.Errorf("member of a clinic the admin also runs: %d %s", r.Status, r.Body)
	}
	// A link stops working when the membership is switched off, and a
	// deactivated counselor gets none.
	coun3 := app.User(f.a, "counselor", "coun3@a.test", "Cleo Counselor")
	var out resetJSON
	if r := f.admin.Do("POST", counselorReset(coun3), nil, &out); r.Status != 201 {
		t.Fatalf("issue: %d %s", r.Status, r.Body)
	}
	if r := f.admin.Do("PATCH", fmt.Sprintf("/api/v1/counselors/%d", coun3), map[string]any{"active": false}, nil); r.Status != 200 {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	if r := app.Browser().Get("/password-reset/" + out.Reset.Token); r.Status != 410 {
		t.Errorf("link of a deactivated counselor: %d", r.Status)
	}
	if r := f.admin.Do("POST", counselorReset(coun3), nil, nil); r.Status != 409 || !strings.Contains(r.Body, "deactivated") {
		t.Errorf("deactivated counselor: %d %s", r.Status, r.Body)
	}
}
