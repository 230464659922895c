package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// inviteBo has Harbor (clinic A) invite Bo, who already counsels at
// Northside (clinic B), and returns the invitation's path and token.
func inviteBo(t *testing.T, f *clinicFixture) (string, string) {
	t.Helper()
	var out struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	if r := f.admin.Do("POST", "/api/v1/counselors", map[string]any{"name": "Bo Again", "email": "coun@b.test"}, &out); r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	return "/invitations/" + out.Invitation.Token, out.Invitation.Token
}

func (f *clinicFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := f.app.DB.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// An invitation for an email that already has an account never checks a
// password: whoever holds the link (the inviting admin, say) cannot guess
// the account's password through it, nor skip its two-factor. The account
// accepts while signed in as itself, through the normal sign-in.
func TestInviteExistingAccountPage(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	// Bo has two-factor sign-in.
	bo := f.app.Browser()
	bo.Login("coun@b.test")
	secret, _ := enrol(t, bo)
	path, _ := inviteBo(t, f)
	members := `SELECT count(*) FROM memberships WHERE user_id = $1 AND active`

	// The link holder, not signed in: told to sign in, no password field.
	anon := f.app.Browser()
	r := anon.Get(path)
	if r.Status != 200 || !strings.Contains(r.Body, "This invitation is for an existing Mend account: sign in, then accept.") ||
		strings.Contains(r.Body, `type="password"`) {
		t.Fatalf("existing-account page: %d\n%s", r.Status, r.Body)
	}
	// Guessing passwords through the invitation: every answer is the same
	// 409, nothing is checked, counted, or joined.
	for _, pw := range []string{"wrong password one", apptest.Password, "wrong password two"} {
		r := anon.Post(path, url.Values{"password": {pw}, "name": {"X"}, "confirm": {pw}}, "/login")
		if r.Status != 409 || !strings.Contains(r.Body, "sign in, then accept") {
			t.Fatalf("anonymous accept with %q: %d", pw, r.Status)
		}
	}
	if n := f.count(t, members, f.counB); n != 1 {
		t.Fatalf("joined without signing in: %d memberships", n)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'invitation.accept'`); n != 0 {
		t.Fatalf("accepted %d times", n)
	}

	// The inviting admin, signed in: a clear page, and no way to accept.
	admin := f.app.Browser()
	admin.Login("admin@a.test")
	r = admin.Get(path)
	if r.Status != 200 || !strings.Contains(r.Body, `id="invite-other"`) || !strings.Contains(r.Body, "signed in as <strong>admin@a.test</strong>") ||
		strings.Contains(r.Body, `id="invite-accept"`) {
		t.Fatalf("page as another account: %d\n%s", r.Status, r.Body)
	}
	if r := admin.Post(path, nil, path); r.Status != 409 || !strings.Contains(r.Body, "different Mend account") {
		t.Fatalf("accept as another account: %d", r.Status)
	}
	// Its "sign out" comes back to the invitation's sign-in.
	if r := admin.Post("/logout", url.Values{"next": {path}}, path); r.Status != 303 || r.Location != "/login?next="+url.QueryEscape(path) {
		t.Fatalf("sign out from the invitation: %d %q", r.Status, r.Location)
	}
	if n := f.count(t, members, f.counB); n != 1 {
		t.Fatalf("joined as another account: %d memberships", n)
	}

	// Bo signs in through the normal sign-in (with his second factor) and
	// comes back to the invitation.
	r = anon.Get(path)
	if !strings.Contains(r.Body, `href="/login?next=`+url.QueryEscape(path)+`"`) {
		t.Fatalf("no sign-in link back to the invitation:\n%s", r.Body)
	}
	if r := anon.Get("/login?next=" + url.QueryEscape(path)); !strings.Contains(r.Body, `name="next" value="`+path+`"`) {
		t.Fatalf("sign-in page does not keep next:\n%s", r.Body)
	}
	r = anon.Post("/login", url.Values{"email": {"coun@b.test"}, "password": {apptest.Password}, "next": {path}}, "/login")
	if r.Status != 303 || r.Location != "/login/totp" {
		t.Fatalf("password step: %d %q", r.Status, r.Location)
	}
	if r := anon.Get(path); strings.Contains(r.Body, `id="invite-accept"`) {
		t.Fatal("Accept offered before the second factor")
	}
	r = anon.Post("/login/totp", url.Values{"code": {nextCode(secret)}}, "/login/totp")
	if r.Status != 303 || r.Location != path {
		t.Fatalf("code step: %d %q", r.Status, r.Location)
	}
	r = anon.Get(path)
	if r.Status != 200 || !strings.Contains(r.Body, `id="invite-accept"`) || strings.Contains(r.Body, `type="password"`) {
		t.Fatalf("Accept page: %d\n%s", r.Status, r.Body)
	}
	u, _ := url.Parse(f.app.URL)
	before := cookie(anon, u)
	r = anon.Post(path, nil, path)
	if r.Status != 303 || r.Location != "/" {
		t.Fatalf("accept: %d %q", r.Status, r.Location)
	}
	if after := cookie(anon, u); after == "" || after == before {
		t.Error("session id not renewed when the account joined the clinic")
	}
	if n := f.count(t, members, f.counB); n != 2 {
		t.Fatalf("memberships after accept: %d", n)
	}
	if home := anon.Get("/"); !strings.Contains(home.Body, "Harbor") || !strings.Contains(home.Body, "You joined Harbor.") {
		t.Fatalf("home after accept: %d", home.Status)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_log WHERE action = 'invitation.accept' AND clinic_id = $1 AND actor_id = $2
		AND detail LIKE '%"existing_account":true%'`, f.a, f.counB); n != 1 {
		t.Fatalf("accept audited %d times", n)
	}
	if r := anon.Get(path); r.Status != 410 {
		t.Fatalf("replay: %d", r.Status)
	}
}

func TestInviteExistingAccountAPI(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	_, token := inviteBo(t, f)
	accept := "/api/v1/invitations/" + token + "/accept"
	// Anonymous, even with the right password: 409, nothing else.
	var e map[string]any
	r := f.app.API().Do("POST", accept, map[string]string{"name": "Bo", "password": apptest.Password}, &e)
	if r.Status != 409 || e["existing_account"] != true || !strings.Contains(e["error"].(string), "bearer token") || strings.Contains(r.Body, "token\":") {
		t.Fatalf("anonymous: %d %s", r.Status, r.Body)
	}
	// Another account's token (the inviting admin's): 409.
	if r := f.admin.Do("POST", accept, map[string]string{}, nil); r.Status != 409 || !strings.Contains(r.Body, "different Mend account") {
		t.Fatalf("another account: %d %s", r.Status, r.Body)
	}
	if n := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1`, f.counB); n != 1 {
		t.Fatalf("joined: %d", n)
	}
	if n := f.count(t, `SELECT count(*) FROM login_failures`); n != 0 {
		t.Fatalf("%d failures counted: the accept path checked a password", n)
	}
	// Bo's own token: accepted without a password, no new token.
	bo := f.app.Login("coun@b.test")
	var out struct {
		Token       string `json:"token"`
		Memberships []struct {
			ClinicID int64 `json:"clinic_id"`
			Role     string
		} `json:"memberships"`
	}
	r = bo.Do("POST", accept, map[string]string{}, &out)
	if r.Status != 200 || out.Token != "" || len(out.Memberships) != 2 {
		t.Fatalf("accept with the invited account's token: %d %s", r.Status, r.Body)
	}
	if r := bo.Do("POST", accept, map[string]string{}, nil); r.Status != 410 {
		t.Fatalf("replay: %d", r.Status)
	}
	// Now in two clinics, Bo names one for Harbor's routes.
	bo.Clinic = fmt.Sprint(f.a)
	if r := bo.Do("GET", "/api/v1/caseload", nil, nil); r.Status != 200 {
		t.Fatalf("Harbor caseload: %d %s", r.Status, r.Body)
	}
}

// The sign-in's "next" only ever leads to a path on this site.
func TestLoginNextOnlyLocal(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	for next, want := range map[string]string{
		"https://evil.example/": "/", "//evil.example/x": "/", "/\\evil.example": "/", "/\\/evil.example": "/", "http:/evil.example": "/",
		"javascript:alert(1)": "/", "evil.example": "/", "/a\r\nLocation: //evil.example": "/", " /admin": "/", "/%2F/evil.example": "/",
		"/login": "/", "/logout": "/", "/login/totp": "/", "/caseload?x=1": "/caseload?x=1", "/invitations/abc": "/invitations/abc",
	} {
		b := app.Browser()
		r := b.Post("/login", url.Values{"email": {"coun@a.test"}, "password": {apptest.Password}, "next": {next}}, "/login")
		if r.Status != 303 || r.Location != want {
			t.Errorf("next %q: %d %q, want %q", next, r.Status, r.Location, want)
		}
		// Already signed in, the sign-in page goes there too (or home).
		if r := b.Get("/login?next=" + url.QueryEscape(next)); r.Status != 303 || r.Location != want {
			t.Errorf("signed in, /login?next=%q: %d %q, want %q", next, r.Status, r.Location, want)
		}
	}
	// A typed-in next is escaped on the page, never markup.
	if r := app.Browser().Get("/login?next=" + url.QueryEscape(`/x"><script>alert(1)</script>`)); strings.Contains(r.Body, "<script>alert") ||
		!strings.Contains(r.Body, `name="next"`) {
		t.Fatal("next not kept escaped")
	}
}
