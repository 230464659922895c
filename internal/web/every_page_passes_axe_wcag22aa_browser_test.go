package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/demo"
)

// axeTags are the rule sets of WCAG 2.2 level AA as axe-core names them.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

// axeSource is the vendored axe-core (docs/testing.md), checked against the
// exact version tools/axe/package-lock.json pins.
func axeSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatalf("vendored axe-core: %v (scripts/axe-update.sh)", err)
	}
	lock, err := os.ReadFile("../../tools/axe/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		t.Fatal(err)
	}
	want := l.Packages["node_modules/axe-core"].Version
	if got := regexp.MustCompile(`^/\*! axe v([0-9.]+)`).FindSubmatch(src); got == nil || string(got[1]) != want {
		t.Fatalf("vendored axe.min.js is not axe-core %s, the version tools/axe pins: run scripts/axe-update.sh", want)
	}
	return string(src)
}

// viewport is a screen the pages are checked on.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var desktopAndPhone = []viewport{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}

// emulate sets true device emulation: on the phone the layout viewport is
// 390 CSS px, the meta viewport applies and touch is on.
func emulate(v viewport) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		scale := 1.0
		if v.mobile {
			scale = 3
		}
		if _, err := cdp.Call(ctx, tg, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: v.width, Height: v.height, DeviceScaleFactor: scale, Mobile: v.mobile}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: v.mobile})
		return err
	})
}

// axeViolation is what axe reports for one rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// runAxe injects axe-core into the current page and returns its WCAG 2.2 AA
// violations, one line per element.
func runAxe(t *testing.T, ctx context.Context, src string) []string {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](src+";true")); err != nil {
		t.Fatalf("inject axe: %v", err)
	}
	tags, _ := json.Marshal(axeTags)
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: "tag", values: `+string(tags)+`}, resultTypes: ["violations"]}).then((r) => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("run axe: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe result: %v", err)
	}
	var lines []string
	for _, v := range vs {
		for _, n := range v.Nodes {
			target, _ := json.Marshal(n.Target)
			lines = append(lines, fmt.Sprintf("%s (%s): %s\n      at %s\n      %s", v.ID, v.Impact, v.Help, target,
				strings.ReplaceAll(n.Summary, "\n", "\n      ")))
		}
	}
	return lines
}

// signInDemo signs in through the login form as a demo account.
func signInDemo(t *testing.T, ctx context.Context, app *apptest.App, email string) {
	t.Helper()
	do := apptest.Steps(t, ctx)
	do(chromedp.Navigate(app.URL + "/"))
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login") {
		do(chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#f-email`))
	}
	do(chromedp.Navigate(app.URL+"/login"), chromedp.WaitVisible(`#f-email`),
		chromedp.SendKeys(`#f-email`, email), chromedp.SendKeys(`#f-password`, demo.Password),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`.pagetitle`))
}

// demoPractice is the demo practice (every state of work, three weeks of
// check-ins, sessions and measures) loaded into a test server.
func demoPractice(t *testing.T) *apptest.App {
	t.Helper()
	app := apptest.New(t)
	if _, err := demo.Seed(context.Background(), app.DB, app.Accounts, app.Audit); err != nil {
		t.Fatalf("seed the demo: %v", err)
	}
	return app
}

// demoID reads one id of the demo practice.
func demoID(t *testing.T, app *apptest.App, q string, args ...any) int64 {
	t.Helper()
	var id int64
	if err := app.DB.Get(&id, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return id
}

// rolePages are the main pages of one role ("" = signed out).
type rolePages struct {
	who   string
	paths []string
}

// mainPages lists every main page of every role in the demo practice.
func mainPages(t *testing.T, app *apptest.App) []rolePages {
	t.Helper()
	couple := demoID(t, app, `SELECT id FROM couples WHERE label = 'Rivera & Chen'`)
	// The partner's check-in of today, not yet answered.
	checkin := demoID(t, app, `SELECT r.id FROM responses r JOIN partners p ON p.id = r.partner_id
		JOIN assignments a ON a.id = r.assignment_id JOIN exercise_templates t ON t.id = a.template_id
		WHERE p.email = 'lucia@example.com' AND t.slug = 'daily-check-in' AND r.status <> 'submitted' AND r.status <> 'accepted'
		ORDER BY r.occurs_on DESC NULLS LAST LIMIT 1`)
	// A submission waiting in the counselor's review queue.
	submitted := demoID(t, app, `SELECT r.id FROM responses r JOIN couples c ON c.id = (SELECT couple_id FROM partners WHERE id = r.partner_id)
		JOIN users u ON u.id = c.counselor_id WHERE u.email = 'maya@harbor.example' AND r.status = 'submitted' ORDER BY r.id LIMIT 1`)
	builtin := demoID(t, app, `SELECT id FROM exercise_templates WHERE slug = 'daily-check-in'`)

	return []rolePages{
		{"", []string{"/login", "/forgot-password"}},
		{"lucia@example.com", []string{"/", fmt.Sprintf("/responses/%d", checkin), "/progress", "/notifications", "/settings/notifications", "/account/security"}},
		{"maya@harbor.example", []string{"/", "/caseload", fmt.Sprintf("/couples/%d", couple), fmt.Sprintf("/couples/%d/timeline", couple), fmt.Sprintf("/couples/%d/assign", couple),
			"/review", fmt.Sprintf("/responses/%d", submitted), "/library", fmt.Sprintf("/library/%d", builtin), "/library/new",
			"/notifications", "/settings/notifications"}},
		{"admin@harbor.example", []string{"/", "/admin/counselors", "/admin/couples", fmt.Sprintf("/admin/couples/%d", couple), "/admin/caseloads",
			"/admin/audit", "/admin/settings", "/admin/mail", "/notifications"}},
	}
}

// Every main page of every role, signed out, as a partner, a counselor and a
// clinic admin, at 1280 px and on a 390 px phone, passes axe-core's WCAG 2.2
// AA rules with zero violations.
func TestEveryMainPagePassesAxeWCAG22AA(t *testing.T) {
	t.Parallel()
	app := demoPractice(t)
	src := axeSource(t)
	pages := mainPages(t, app)
	for _, role := range pages {
		name := role.who
		if name == "" {
			name = "signed-out"
		}
		for _, v := range desktopAndPhone {
			t.Run(name+"/"+v.name, func(t *testing.T) {
				t.Parallel() // a tab and a session of its own; the pages are only read
				ctx := apptest.Chrome(t)
				do := apptest.Steps(t, ctx)
				if role.who != "" {
					signInDemo(t, ctx, app, role.who)
				}
				do(emulate(v))
				for _, path := range role.paths {
					do(chromedp.Navigate(app.URL+path), chromedp.WaitReady(`main`))
					if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, path) {
						t.Errorf("%s: landed on %s", path, loc)
						continue
					}
					if found := runAxe(t, ctx, src); len(found) > 0 {
						t.Errorf("%s %s: %d axe violations:\n  %s", v.name, path, len(found), strings.Join(found, "\n  "))
					}
				}
			})
		}
	}
}
