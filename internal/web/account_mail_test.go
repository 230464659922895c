package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// "Forgot password?" answers the same whether or not the address has an
// account, mails only a real one, and is throttled like a sign-in.
func TestForgotPasswordAnswersTheSameForEveryAddress(t *testing.T) {
	t.Parallel()
	p := practiceOn(t, apptest.NewWithMail(t))
	app := p.app
	known := app.Browser().Post("/forgot-password", url.Values{"email": {"alex@h.test"}}, "/forgot-password")
	unknown := app.Browser().Post("/forgot-password", url.Values{"email": {"nobody@h.test"}}, "/forgot-password")
	clean := func(s string) string { return csrfValue.ReplaceAllString(s, "") }
	if known.Status != 200 || unknown.Status != 200 || clean(known.Body) != clean(strings.ReplaceAll(unknown.Body, "nobody@h.test", "alex@h.test")) {
		t.Fatalf("answers differ: %d / %d", known.Status, unknown.Status)
	}
	var k, u map[string]string
	ra := app.API().Do("POST", "/api/v1/auth/forgot-password", map[string]string{"email": "blair@h.test"}, &k)
	rb := app.API().Do("POST", "/api/v1/auth/forgot-password", map[string]string{"email": "nobody@h.test"}, &u)
	if ra.Status != 202 || rb.Status != 202 || k["status"] != u["status"] {
		t.Fatalf("API answers differ: %d %v / %d %v", ra.Status, k, rb.Status, u)
	}
	m := waitFor(t, app.Mail, "alex@h.test", "Choose a new password")
	if !strings.Contains(m.Text, "Someone asked to reset") || strings.Contains(known.Body, "/password-reset/") {
		t.Errorf("the link must reach the mailbox only:\n%s", m.Text)
	}
	waitFor(t, app.Mail, "blair@h.test", "Choose a new password")
	waitJobsDone(t, app.DB) // every mail that was going to be sent has been
	if n := len(app.Mail.To("nobody@h.test")); n != 0 {
		t.Errorf("%d mails to an address without an account", n)
	}
	// A malformed address is named beside the field, what was typed kept.
	bad := app.Browser().Post("/forgot-password", url.Values{"email": {"not-an-address"}}, "/forgot-password")
	if bad.Status != 422 || !strings.Contains(bad.Body, `value="not-an-address"`) {
		t.Errorf("malformed: %d", bad.Status)
	}
	// Throttled per address, on a counter of its own (sign-in still works).
	var last apptest.Response
	for range 6 {
		last = app.API().Do("POST", "/api/v1/auth/forgot-password", map[string]string{"email": "sol@h.test"}, nil)
	}
	if last.Status != 429 || last.Header.Get("Retry-After") == "" {
		t.Errorf("sixth request: %d, want 429 with Retry-After", last.Status)
	}
	app.Login("sol@h.test")
}

var csrfValue = regexp.MustCompile(`name="csrf_token" value="[^"]+"`)

// A clinic-issued reset is told: the session it begins is marked in the
// audit trail, the person is mailed about the new sign-in, and their next
// sign-in with the password says "your clinic reset your password".
func TestSignInAfterClinicResetIsTold(t *testing.T) {
	t.Parallel()
	p := practiceOn(t, apptest.NewWithMail(t))
	app := p.app
	ada := app.Login("ada@h.test")
	mustOK(t, ada.Do("POST", "/api/v1/couples/"+itoa(p.couple)+"/partners/"+itoa(p.partnerA)+"/password-reset", nil, nil))
	m := waitFor(t, app.Mail, "alex@h.test", "Choose a new password")
	link := firstLink(t, m, "/password-reset/")
	b := app.Browser()
	path := strings.TrimPrefix(link, app.URL)
	if r := b.Post(path, url.Values{"password": {"a-brand-new-passphrase-7"}, "confirm": {"a-brand-new-passphrase-7"}}, path); r.Status != 303 {
		t.Fatalf("reset: %d\n%s", r.Status, r.Body)
	}
	var detail string
	app.DB.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'login' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`, p.userID(t, "alex@h.test"))
	if !strings.Contains(detail, `"via":"password_reset"`) || !strings.Contains(detail, `"reset_by_clinic"`) {
		t.Errorf("the session begun through the reset is not marked: %s", detail)
	}
	if s := waitFor(t, app.Mail, "alex@h.test", "A new sign-in"); !strings.Contains(s.Text, "reset by Harbor") {
		t.Errorf("sign-in mail:\n%s", s.Text)
	}
	b2 := app.Browser()
	if r := b2.Post("/login", url.Values{"email": {"alex@h.test"}, "password": {"a-brand-new-passphrase-7"}}, "/login"); r.Status != 303 {
		t.Fatalf("login: %d", r.Status)
	}
	if home := b2.Get("/").Body; !strings.Contains(home, "Harbor reset your password on") {
		t.Errorf("next sign-in does not tell the reset:\n%s", home)
	}
	b3 := app.Browser()
	b3.Post("/login", url.Values{"email": {"alex@h.test"}, "password": {"a-brand-new-passphrase-7"}}, "/login")
	if home := b3.Get("/").Body; strings.Contains(home, "reset your password") {
		t.Error("the notice is shown again")
	}
	waitJobsDone(t, app.DB) // every mail that was going to be sent has been
	n := 0
	for _, m := range app.Mail.To("alex@h.test") {
		if strings.Contains(m.Subject, "A new sign-in") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d sign-in-after-reset mails, want 1", n)
	}
}

// A person who forgot their password gets a link by mail, chooses a new
// password in the browser and is signed in.
func TestBrowserForgotPasswordMailResetSignIn(t *testing.T) {
	t.Parallel()
	p := practiceOn(t, apptest.NewWithMail(t))
	app := p.app
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	do(chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`#f-email`),
		chromedp.Click(`a[href="/forgot-password"]`), chromedp.WaitVisible(`#f-email`),
		chromedp.SendKeys(`#f-email`, "blair@h.test"), chromedp.Click(`main button[type=submit]`),
		chromedp.WaitVisible(`.flash`))
	if msg := apptest.Text(t, ctx, ".flash"); !strings.Contains(msg, "If a Mend account uses that address") {
		t.Fatalf("answer: %q", msg)
	}
	m := waitFor(t, app.Mail, "blair@h.test", "Choose a new password")
	link := firstLink(t, m, "/password-reset/")
	do(chromedp.Navigate(link), chromedp.WaitVisible(`#f-password`),
		chromedp.SendKeys(`#f-password`, "river-stones-and-quiet-hours"), chromedp.SendKeys(`#f-confirm`, "river-stones-and-quiet-hours"),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`.pagetitle`))
	if title := apptest.Text(t, ctx, ".pagetitle"); !strings.Contains(title, "Blair") {
		t.Fatalf("after the reset: %q", title)
	}
	// Signed out, the new password signs in; the old one no longer does.
	do(chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#f-email`),
		chromedp.SendKeys(`#f-email`, "blair@h.test"), chromedp.SendKeys(`#f-password`, "river-stones-and-quiet-hours"),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`.pagetitle`))
	if r := app.API().Do("POST", "/api/v1/auth/login", map[string]string{"email": "blair@h.test", "password": apptest.Password}, nil); r.Status != 401 {
		t.Errorf("old password: %d", r.Status)
	}
}
