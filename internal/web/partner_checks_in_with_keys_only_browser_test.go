package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/demo"
)

// focusProblem says what is wrong with the focused element's focus
// indicator ("" when there is none): there must be a focused element, it
// must match :focus-visible, and its outline must be at least 2 px and keep
// 3:1 against the background it is drawn on (WCAG 2.4.7, 1.4.11).
const focusProblem = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return "nothing is focused";
	const what = el.outerHTML.slice(0, 120);
	if (!el.matches(":focus-visible")) return "not :focus-visible: " + what;
	const cs = getComputedStyle(el);
	if (cs.outlineStyle === "none" || parseFloat(cs.outlineWidth) < 2) return "no visible outline on " + what;
	const rgb = (c) => c.match(/[\d.]+/g).map(Number);
	let bg = [255, 255, 255];
	for (let n = el.parentElement; n; n = n.parentElement) {
		const c = rgb(getComputedStyle(n).backgroundColor);
		if (c.length < 4 || c[3] > 0) { bg = c; break; }
	}
	const lum = (c) => {
		const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
		return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
	};
	const [hi, lo] = [lum(rgb(cs.outlineColor)), lum(bg)].sort((a, b) => b - a);
	const ratio = (hi + 0.05) / (lo + 0.05);
	if (ratio < 3) return "focus ring " + cs.outlineColor + " on rgb(" + bg.slice(0, 3) + ") is " + ratio.toFixed(2) + ":1 on " + what;
	return "";
})()`

// A partner signs in, opens today's check-in, answers and submits it with
// the keyboard alone (Tab, arrows, Space, Enter), and every element focused
// on the way shows a focus ring that can be seen.
func TestPartnerChecksInWithKeysOnly(t *testing.T) {
	t.Parallel()
	app := demoPractice(t)
	checkin := demoID(t, app, `SELECT r.id FROM responses r JOIN partners p ON p.id = r.partner_id
		JOIN assignments a ON a.id = r.assignment_id JOIN exercise_templates t ON t.id = a.template_id
		WHERE p.email = 'lucia@example.com' AND t.slug = 'daily-check-in' AND r.status <> 'submitted' AND r.status <> 'accepted'
		ORDER BY r.occurs_on DESC NULLS LAST LIMIT 1`)
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	key := func(keys string) {
		t.Helper()
		do(chromedp.KeyEvent(keys))
		if p, err := chromedp.Run(ctx, chromedp.Evaluate[string](focusProblem)); err != nil || p != "" {
			t.Fatalf("after %q: %s %v", keys, p, err)
		}
	}
	// tabTo presses Tab until the focused element matches sel, checking the
	// focus ring of every element it passes.
	tabTo := func(sel string) {
		t.Helper()
		for range 60 {
			key(kb.Tab)
			if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement.matches(%q)`, sel))); on {
				return
			}
		}
		t.Fatalf("Tab never reaches %s", sel)
	}
	typeText := func(s string) { t.Helper(); do(chromedp.KeyEvent(s)) }
	waitFor := func(sel string) { t.Helper(); do(chromedp.WaitVisible(sel)) }

	do(chromedp.Navigate(app.URL + "/login"))
	waitFor(`#f-email`)
	tabTo(`#f-email`)
	typeText("lucia@example.com")
	tabTo(`#f-password`)
	typeText(demo.Password)
	typeText(kb.Enter) // submits: the next page has no focus yet
	waitFor(`.pagetitle`)

	link := fmt.Sprintf(`a[href="/responses/%d"]`, checkin)
	tabTo(link)
	typeText(kb.Enter) // submits: the next page has no focus yet
	waitFor(`[name="a.trust"]`)

	tabTo(`[name="a.trust"]`)
	key(" ")                              // 1
	key(strings.Repeat(kb.ArrowRight, 6)) // 7
	tabTo(`[name="a.mood"]`)              // the mood's first choice
	key(" ")
	tabTo(`[name="a.appreciation"]`)
	typeText("You made dinner when I was late.")
	tabTo(`button[value=submit]`)
	typeText(kb.Enter) // submits: the next page has no focus yet
	waitFor(`.flash`)
	if f := apptest.Text(t, ctx, ".flash"); !strings.Contains(f, "Submitted") {
		t.Fatalf("after submitting with the keyboard: %s", f)
	}
	var got struct {
		Status  string `db:"status"`
		Answers string `db:"answers"`
	}
	if err := app.DB.Get(&got, `SELECT r.status, s.answers::text AS answers
		FROM responses r JOIN submissions s ON s.response_id = r.id WHERE r.id = $1 ORDER BY s.id DESC LIMIT 1`, checkin); err != nil {
		t.Fatal(err)
	}
	if got.Status != "submitted" || !strings.Contains(got.Answers, `"trust": 7`) || !strings.Contains(got.Answers, "You made dinner when I was late.") {
		t.Fatalf("submitted with keys: %+v", got)
	}
}
