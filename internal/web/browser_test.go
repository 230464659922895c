package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// TestMain stops the Chromium that this package's browser tests share
// (apptest.Chrome gives each test a tab of its own in it).
func TestMain(m *testing.M) {
	code := m.Run()
	apptest.CloseBrowser()
	os.Exit(code)
}

// A counselor signs in with a real browser and lands on the counselor home.
func TestBrowserCounselorLogin(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	clinic := app.Clinic("Harbor Counseling")
	app.User(clinic, "counselor", "maya@harbor.test", "Maya Ortiz")
	ctx := apptest.Chrome(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/"), chromedp.WaitVisible(`#f-email`)); err != nil {
		t.Fatal(err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/login") {
		t.Errorf("signed-out visitor sent to %s, want /login", loc)
	}
	if err := chromedp.Do(ctx, app.LoginSteps("maya@harbor.test")); err != nil {
		t.Fatal(err)
	}
	title := apptest.Text(t, ctx, ".pagetitle")
	panel := apptest.Text(t, ctx, "#counselor-h")
	clinicName := apptest.Text(t, ctx, ".who .clinic")
	if !strings.Contains(title, "Maya Ortiz") || panel != "Your caseload" || clinicName != "Harbor Counseling" {
		t.Fatalf("home shows %q / %q / %q", title, panel, clinicName)
	}
}
