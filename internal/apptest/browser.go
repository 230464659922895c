package apptest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chrome returns a chromedp context driving headless Chromium (Debian's
// chromium), or skips the test when no browser is installed. With
// MEND_BROWSER_TESTS=1 (CI) a missing browser fails instead.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("MEND_BROWSER")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("MEND_BROWSER_TESTS") == "1" {
			t.Fatal("MEND_BROWSER_TESTS=1 but no Chromium found (apt-get install chromium)")
		}
		t.Skip("no Chromium: browser test skipped")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// LoginSteps signs in through the real login form and waits for the home page.
func (a *App) LoginSteps(email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(`#f-email`),
		chromedp.SendKeys(`#f-email`, email),
		chromedp.SendKeys(`#f-password`, Password),
		chromedp.Click(`main button[type=submit]`),
		chromedp.WaitVisible(`.pagetitle`),
	)
}

// Text returns the text of the first element matching sel.
func Text(t testing.TB, ctx context.Context, sel string) string {
	t.Helper()
	// A node can be replaced while it is read (a navigation finishing):
	// read again rather than fail on that race.
	var err error
	for range 5 {
		var s string
		if s, err = chromedp.Run(ctx, chromedp.Text(sel)); err == nil {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("text of %s: %v", sel, err)
	return ""
}

// Steps returns a runner of browser steps that fails the test on the first error.
func Steps(t testing.TB, ctx context.Context) func(steps ...chromedp.Action[chromedp.Void]) {
	return func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
	}
}

// SignInAs signs out whoever the browser is signed in as, then signs in as email.
func (a *App) SignInAs(t testing.TB, ctx context.Context, email string) {
	t.Helper()
	do := Steps(t, ctx)
	do(chromedp.Navigate(a.URL + "/"))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login") {
		do(chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#f-email`))
	}
	do(a.LoginSteps(email))
}
