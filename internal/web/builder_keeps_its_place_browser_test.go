package web_test

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// On a long template, "Add a field" brings the page back at the new field
// (its question focused), not at the top, and "Preview" shows the preview
// beside the form at 1280 px, where the counselor is looking.
func TestBrowserBuilderKeepsItsPlace(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	do(chromedp.EmulateViewport(1280, 900), app.LoginSteps("cora@h.test"),
		chromedp.Navigate(app.URL+"/library/new"), chromedp.WaitVisible(`#f-title`))
	const n = 10
	for j := 1; j <= n; j++ {
		do(chromedp.Click(`button[value="add_field:0"]`, chromedp.NodeVisible),
			chromedp.WaitVisible(fmt.Sprintf(`[name="s0.f%d.label"]`, j)))
	}
	last := fmt.Sprintf("s0.f%d", n)
	got := eval[map[string]any](t, ctx, fmt.Sprintf(`(() => {
		const f = document.getElementById(%q).getBoundingClientRect();
		return {scrollY: window.scrollY, top: f.top, bottom: f.bottom, height: window.innerHeight,
			page: document.documentElement.scrollHeight, focused: document.activeElement && document.activeElement.name || '', hash: location.hash, tag: document.activeElement.tagName};
	})()`, last))
	if got["page"].(float64) < 3000 {
		t.Fatalf("the template is not long: %v", got)
	}
	if got["scrollY"].(float64) < 1000 || got["top"].(float64) < -1 || got["top"].(float64) > got["height"].(float64) {
		t.Errorf("after adding a field the page is not at it: %v", got)
	}
	if got["focused"] != last+".label" {
		t.Errorf("focus on %v, want the new field's question", got)
	}

	// Fill it in and preview: the preview is beside the form and in view.
	do(chromedp.SendKeys(`#f-title`, "Long reflection"), chromedp.SetValue(`#f-category`, "reconnect"),
		chromedp.SendKeys(`[name="s0.title"]`, "Part one"))
	for j := 0; j <= n; j++ {
		do(chromedp.SendKeys(fmt.Sprintf(`[name="s0.f%d.label"]`, j), fmt.Sprintf("Question %d", j)))
	}
	do(chromedp.Click(`.lib-builder > .actions button[value="preview"]`, chromedp.NodeVisible), chromedp.WaitVisible(`#preview`))
	pos := eval[map[string]any](t, ctx, `(() => {
		const form = document.querySelector('form.lib-builder').getBoundingClientRect();
		const pv = document.getElementById('preview').getBoundingClientRect();
		return {formRight: form.right, pvLeft: pv.left, pvTop: pv.top, pvBottom: pv.bottom, height: window.innerHeight};
	})()`)
	if pos["pvLeft"].(float64) < pos["formRight"].(float64) {
		t.Errorf("the preview is not beside the form at 1280 px: %v", pos)
	}
	if pos["pvTop"].(float64) > pos["height"].(float64) || pos["pvBottom"].(float64) < 0 {
		t.Errorf("the preview is out of view: %v", pos)
	}
	// On a phone it is stacked below the form.
	do(chromedp.EmulateViewport(390, 844))
	phone := eval[map[string]any](t, ctx, `(() => {
		const form = document.querySelector('form.lib-builder').getBoundingClientRect();
		const pv = document.getElementById('preview').getBoundingClientRect();
		return {formBottom: form.bottom, pvTop: pv.top};
	})()`)
	if phone["pvTop"].(float64) < phone["formBottom"].(float64) {
		t.Errorf("the preview is not below the form on a phone: %v", phone)
	}
}
