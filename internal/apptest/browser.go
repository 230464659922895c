package apptest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is the one headless Chromium a test binary shares: starting one
// costs about a second of CPU (far more on a busy machine), so every test
// gets a tab in a browser context of its own (its own cookies and storage,
// like a fresh profile) instead of a browser of its own.
var browser struct {
	once   sync.Once
	ctx    context.Context // has the browser; tests' contexts are its children
	cancel func()
	dir    string
	err    error
}

func browserPath() string {
	if p := os.Getenv("MEND_BROWSER"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func startBrowser(path string) {
	browser.dir, browser.err = os.MkdirTemp("", "mend-chromium-")
	if browser.err != nil {
		return
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
		chromedp.UserDataDir(browser.dir),
		chromedp.WindowSize(1200, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	browser.ctx = ctx
	browser.cancel = func() { cancelCtx(); cancelAlloc(); os.RemoveAll(browser.dir) }
	if err := chromedp.Do(ctx); err != nil {
		browser.err = fmt.Errorf("start chromium: %w", err)
	}
}

// CloseBrowser stops the shared Chromium, if a test started it. A test
// package with browser tests calls it from TestMain after m.Run.
func CloseBrowser() {
	if browser.cancel != nil {
		browser.cancel()
	}
}

// Chrome returns a chromedp context driving a new tab, in a browser context
// of its own, of the test binary's shared headless Chromium (Debian's
// chromium), or skips the test when no browser is installed. With
// MEND_BROWSER_TESTS=1 (CI) a missing browser fails instead. Tests that use
// it may run in parallel: tabs are independent.
func Chrome(t testing.TB) context.Context {
	t.Helper()
	path := browserPath()
	if path == "" {
		if os.Getenv("MEND_BROWSER_TESTS") == "1" {
			t.Fatal("MEND_BROWSER_TESTS=1 but no Chromium found (apt-get install chromium)")
		}
		t.Skip("no Chromium: browser test skipped")
	}
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	ctx, cancelCtx := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	// A guard against a hung page, not a time limit: tests run in parallel
	// on a shared machine, and a long story under -race took over 90 s.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelCtx() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
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
