package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// In a real browser: Alex signs the joint plan; Blair edits it and her
// confirmation says "Alex will need to sign again"; Alex opens it and reads
// "1 field changed since you signed on …" with the words removed and added
// marked in text as well as by style; a stale save then shows the conflict
// screen with each field marked "Differs" or "Same in both", Alex's typing
// still in the form. Both screens pass axe (WCAG 2.2 AA) on a desktop and a
// phone.
func TestBrowserJointPlanChangedSinceSigned(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora, alex, blair := app.Login("cora@h.test"), app.Login("alex@h.test"), app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	api := fmt.Sprintf("/api/v1/responses/%d", rid)
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	if r := alex.Do("PUT", api, map[string]any{"answers": plan, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("Alex's draft: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", api+"/sign", map[string]any{"version": 2}, nil); r.Status != 200 {
		t.Fatalf("Alex signs: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("%s/responses/%d", app.URL, rid)
	src := axeSource(t)
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	axeBoth := func(what string) {
		t.Helper()
		for _, v := range desktopAndPhone {
			do(emulate(v))
			if found := runAxe(t, ctx, src); len(found) > 0 {
				t.Errorf("%s, %s: %d axe violations:\n  %s", what, v.name, len(found), strings.Join(found, "\n  "))
			}
		}
		do(emulate(desktopAndPhone[0]))
	}

	// Blair edits one answer and saves: she is told Alex must sign again.
	app.SignInAs(t, ctx, "blair@h.test")
	do(chromedp.Navigate(page), chromedp.WaitVisible(`[name="a.if_crossed"]`),
		chromedp.SetValue(`[name="a.if_crossed"]`, "We tell each other the same day."),
		chromedp.Click(`button[value=save]`), chromedp.WaitVisible(`.flash`))
	if f := apptest.Text(t, ctx, ".flash"); !strings.Contains(f, "Alex will need to sign again") {
		t.Fatalf("Blair's confirmation: %q", f)
	}

	// Alex opens the plan: what changed since he signed, word by word.
	app.SignInAs(t, ctx, "alex@h.test")
	do(chromedp.Navigate(page), chromedp.WaitVisible(`.since-signed`))
	if s := apptest.Text(t, ctx, ".since-signed-summary"); !strings.Contains(s, "1 field changed since you signed on") || !strings.Contains(s, "(version 2)") {
		t.Fatalf("summary: %q", s)
	}
	del, ins := apptest.Text(t, ctx, ".since-signed dd.diff del"), apptest.Text(t, ctx, ".since-signed dd.diff ins")
	if !strings.Contains(del, "[removed:") || !strings.Contains(del, "within a") || !strings.Contains(ins, "[added:") || !strings.Contains(ins, "the same") {
		t.Fatalf("the diff: removed %q, added %q", del, ins)
	}
	if label := apptest.Text(t, ctx, ".since-signed dt"); !strings.Contains(label, "boundary is crossed") {
		t.Fatalf("changed field's label: %q", label)
	}
	axeBoth("changed since you signed")

	// Meanwhile Blair saves again; Alex's save of the page he has open is
	// stale: the conflict screen marks each field.
	plan["if_crossed"] = "We tell each other the same day."
	plan["non_negotiables"] = []string{"No contact", "No secret accounts"}
	if r := blair.Do("PUT", api, map[string]any{"answers": plan, "version": 3}, nil); r.Status != 200 {
		t.Fatalf("Blair's second save: %d %s", r.Status, r.Body)
	}
	do(chromedp.SetValue(`[name="a.pause_signal"]`, "Orange"),
		chromedp.Click(`button[value=save]`), chromedp.WaitVisible(`.conflict-fields`))
	var differs, same []string
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.conflict-fields dt')].map(dt => dt.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	for _, dt := range got {
		switch {
		case strings.HasSuffix(dt, "Differs"):
			differs = append(differs, dt)
		case strings.HasSuffix(dt, "Same in both"):
			same = append(same, dt)
		default:
			t.Errorf("a field with no mark: %q", dt)
		}
	}
	if len(differs) != 2 || !strings.Contains(strings.Join(differs, "|"), "non-negotiables") || !strings.Contains(strings.Join(differs, "|"), "pause") || len(same) < 5 {
		t.Fatalf("marks: differs %q, same %q", differs, same)
	}
	if v, _ := chromedp.Run(ctx, chromedp.Value(`[name="a.pause_signal"]`)); v != "Orange" {
		t.Fatalf("Alex's typing lost: %q", v)
	}
	if d := apptest.Text(t, ctx, ".conflict-fields dd.diff ins"); !strings.Contains(d, "[only in yours:") || !strings.Contains(d, "Orange") {
		t.Fatalf("conflict diff: %q", d)
	}
	axeBoth("conflict screen")
}
