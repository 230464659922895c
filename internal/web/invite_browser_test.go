package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// A counselor who already has a Mend account (at Northside) opens Harbor's
// invitation in a browser: it sends them through the normal sign-in, back
// to the invitation, where one click adds Harbor to their account.
func TestBrowserInviteExistingAccount(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	app := f.app
	path, _ := inviteBo(t, f)
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	do(chromedp.Navigate(app.URL+path), chromedp.WaitVisible(`#invite-existing`))
	if page := apptest.Text(t, ctx, "main"); !strings.Contains(page, "Harbor") || strings.Contains(page, "Choose a password") {
		t.Fatalf("invitation page:\n%s", page)
	}
	do(chromedp.Click(`#invite-signin`), chromedp.WaitVisible(`#f-email`),
		chromedp.SendKeys(`#f-email`, "coun@b.test"), chromedp.SendKeys(`#f-password`, apptest.Password),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`#invite-accept`))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, path) {
		t.Fatalf("after sign-in at %s, want the invitation", loc)
	}
	do(chromedp.Click(`#invite-accept`), chromedp.WaitVisible(`.pagetitle`))
	if clinic := apptest.Text(t, ctx, ".who .clinic"); clinic != "Harbor" {
		t.Fatalf("landed in %q, want Harbor", clinic)
	}
	if n := f.count(t, `SELECT count(*) FROM memberships WHERE user_id = $1 AND active`, f.counB); n != 2 {
		t.Fatalf("memberships: %d", n)
	}
}
