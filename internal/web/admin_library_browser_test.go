package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// An admin creates a couple in the browser, copies partner A's invitation
// link, and the partner accepts it and lands on the client home.
func TestBrowserCoupleInvitationAccepted(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := apptest.Chrome(t)
	var cora int64
	app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	do := apptest.Steps(t, ctx)
	do(app.LoginSteps("ada@h.test"),
		chromedp.Navigate(app.URL+"/admin/couples/new"), chromedp.WaitVisible(`#f-label`),
		chromedp.SendKeys(`#f-label`, "Rivera & Chen"),
		chromedp.SetValue(`#f-counselor_id`, itoa(cora)),
		chromedp.SendKeys(`#f-p0_name`, "Lucia Rivera"), chromedp.SendKeys(`#f-p0_email`, "lucia@rivera.test"),
		chromedp.SendKeys(`#f-p1_name`, "Daniel Chen"), chromedp.SendKeys(`#f-p1_email`, "daniel@chen.test"),
		chromedp.Click(`main button.primary`), chromedp.WaitVisible(`#link-0`))
	link, err := chromedp.Run(ctx, chromedp.Value(`#link-0`))
	if err != nil || !strings.Contains(link, "/invitations/") {
		t.Fatalf("invitation link %q: %v", link, err)
	}
	if title := apptest.Text(t, ctx, "main h1"); !strings.Contains(title, "Rivera & Chen") {
		t.Fatalf("couple page title %q", title)
	}
	// Sign out, then accept as Lucia.
	do(chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#f-email`),
		chromedp.Navigate(link), chromedp.WaitVisible(`#f-name`))
	if page := apptest.Text(t, ctx, "main"); !strings.Contains(page, "Harbor") {
		t.Fatalf("accept page does not name the clinic:\n%s", page)
	}
	do(chromedp.SendKeys(`#f-name`, "Lucia Rivera"),
		chromedp.SendKeys(`#f-password`, "harbor lantern morning tide"),
		chromedp.SendKeys(`#f-confirm`, "harbor lantern morning tide"),
		chromedp.Click(`main button[type=submit]`), chromedp.WaitVisible(`#client-h`))
	if who := apptest.Text(t, ctx, ".pagetitle"); !strings.Contains(who, "Lucia Rivera") {
		t.Fatalf("landed on %q", who)
	}
	// The link was one-time.
	do(chromedp.Click(`form[action="/logout"] button`), chromedp.WaitVisible(`#f-email`), chromedp.Navigate(link), chromedp.WaitVisible(`main h1`))
	if page := apptest.Text(t, ctx, "main"); !strings.Contains(strings.ToLower(page), "already") && !strings.Contains(strings.ToLower(page), "used") {
		t.Fatalf("replayed link page:\n%s", page)
	}
}

// A counselor builds a custom template with three field types in the form
// builder (no JavaScript needed) and previews it.
func TestBrowserBuildTemplateAndPreview(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	do(app.LoginSteps("cora@h.test"),
		chromedp.Navigate(app.URL+"/library/new"), chromedp.WaitVisible(`#f-title`),
		chromedp.SendKeys(`#f-title`, "Evening walk"),
		chromedp.SetValue(`#f-category`, "reconnect"),
		chromedp.SetValue(`#f-suggested_mode`, "each"),
		chromedp.SendKeys(`#f-description`, "A short reflection after a walk together."),
		chromedp.SendKeys(`#f-instructions`, "Walk for twenty minutes, then answer."),
		chromedp.SendKeys(`[name="s0.title"]`, "After the walk"),
		chromedp.SetValue(`[name="s0.f0.type"]`, "short_text"),
		chromedp.SendKeys(`[name="s0.f0.label"]`, "Where did you walk?"),
		chromedp.Click(`button[value="add_field:0"]`), chromedp.WaitVisible(`[name="s0.f1.label"]`),
		// Only the type's own settings are shown: choose it, then "Change type".
		chromedp.SetValue(`[name="s0.f1.type"]`, "scale"),
		chromedp.SendKeys(`[name="s0.f1.label"]`, "How close did you feel?"),
		chromedp.Click(`button[value="retype:0:1"]`), chromedp.WaitVisible(`[name="s0.f1.min"]`),
		chromedp.SetValue(`[name="s0.f1.min"]`, "1"),
		chromedp.SetValue(`[name="s0.f1.max"]`, "5"),
		chromedp.Click(`button[value="add_field:0"]`), chromedp.WaitVisible(`[name="s0.f2.label"]`),
		chromedp.SetValue(`[name="s0.f2.type"]`, "single_choice"),
		chromedp.SendKeys(`[name="s0.f2.label"]`, "How was the mood?"),
		chromedp.Click(`button[value="retype:0:2"]`), chromedp.WaitVisible(`[name="s0.f2.options"]`),
		chromedp.SetValue(`[name="s0.f2.options"]`, "Easy\nTense\nWarm"),
		chromedp.Click(`.actions button[value=preview]`), chromedp.WaitVisible(`#preview`))
	preview := apptest.Text(t, ctx, "#preview")
	for _, want := range []string{"Where did you walk?", "How close did you feel?", "How was the mood?", "Tense"} {
		if !strings.Contains(preview, want) {
			t.Fatalf("preview lacks %q:\n%s", want, preview)
		}
	}
	// What was typed survived the add-field round trips.
	if v, _ := chromedp.Run(ctx, chromedp.Value(`[name="s0.f0.label"]`)); v != "Where did you walk?" {
		t.Fatalf("first field label after re-render: %q", v)
	}
	do(chromedp.Click(`.actions button[value=save]`), chromedp.WaitVisible(`.flash`))
	page := apptest.Text(t, ctx, "main")
	if !strings.Contains(page, "Evening walk") || !strings.Contains(page, "How close did you feel?") {
		t.Fatalf("saved template page:\n%s", page)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM exercise_templates WHERE title = 'Evening walk' AND visibility = 'private'`)
	if n != 1 {
		t.Fatalf("%d templates saved", n)
	}
}
