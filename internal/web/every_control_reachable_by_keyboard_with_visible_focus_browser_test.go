package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/mend-clinic/mend/internal/apptest"
)

// tabStep, evaluated after each Tab, marks the focused control as reached
// (a radio marks its whole group: Tab enters a group once) and reports
// where focus is — "out" past the last control (the next Tab wraps to the
// first), "again" back on a control reached before (the walk has come
// round; a date input keeps focus while Tab moves through its day, month
// and year, so staying on the same one is not coming round) — and what is
// wrong with the focus: no visible ring at 3:1 (focusProblem) or a control
// that is not on screen.
const tabStep = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return JSON.stringify({at: "out"});
	if (el === window.__kbdLast) return JSON.stringify({at: "same"});
	window.__kbdLast = el;
	if (el.dataset.kbdSeen) return JSON.stringify({at: "again"});
	const group = el.type === "radio" && el.name && el.form ? [...el.form.querySelectorAll("input[type=radio]")].filter((r) => r.name === el.name) : [el];
	group.forEach((g) => { g.dataset.kbdSeen = "1"; });
	let problem = ` + focusProblem + `;
	const r = el.getBoundingClientRect();
	if (!problem && (r.width < 1 || r.height < 1 || r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth)) {
		problem = "focused but not on screen (" + Math.round(r.left) + "," + Math.round(r.top) + " " + Math.round(r.width) + "x" + Math.round(r.height) + "): " + el.outerHTML.slice(0, 120);
	}
	return JSON.stringify({at: "new", problem});
})()`

// unreached lists the controls a person could use (visible, enabled, in the
// tab order) that the Tab walk never reached.
const unreached = `[...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]")]
	.filter((el) => !el.disabled && el.tabIndex >= 0 && el.type !== "hidden"
		&& el.checkVisibility({checkVisibilityCSS: true}) && !el.dataset.kbdSeen)
	.map((el) => el.outerHTML.slice(0, 120)).join("\n")`

// On every main page of every role, at 1280 px and on a 390 px phone, Tab
// reaches every control a mouse could use, each one scrolls onto the screen
// when focused, and each shows a focus ring of 3:1 or more.
func TestEveryControlIsReachableByKeyboardWithVisibleFocus(t *testing.T) {
	t.Parallel()
	app := demoPractice(t)
	for _, role := range mainPages(t, app) {
		for _, v := range desktopAndPhone {
			name := role.who
			if name == "" {
				name = "signed-out"
			}
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
					var problems []string
					steps, outs := 0, 0
					for ; steps < 400; steps++ {
						do(chromedp.KeyEvent(kb.Tab))
						out, err := chromedp.Run(ctx, chromedp.Evaluate[string](tabStep))
						if err != nil {
							t.Fatalf("%s: %v", path, err)
						}
						var st struct {
							At      string `json:"at"`
							Problem string `json:"problem"`
						}
						if err := json.Unmarshal([]byte(out), &st); err != nil {
							t.Fatal(err)
						}
						if st.At == "out" {
							outs++
						}
						if st.At == "again" || outs == 2 {
							break
						}
						if st.Problem != "" {
							problems = append(problems, st.Problem)
						}
					}
					if steps == 400 {
						problems = append(problems, "Tab never came round after 400 presses")
					}
					left, err := chromedp.Run(ctx, chromedp.Evaluate[string](unreached))
					if err != nil {
						t.Fatal(err)
					}
					if left != "" {
						problems = append(problems, "never reached by Tab:\n      "+strings.ReplaceAll(left, "\n", "\n      "))
					}
					if len(problems) > 0 {
						t.Errorf("%s (%s, %d Tab stops):\n    %s", path, v.name, steps, strings.Join(problems, "\n    "))
					}
				}
			})
		}
	}
}
