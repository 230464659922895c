package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// The whole story in a real browser: a counselor assigns an apology letter
// and a joint transparency plan; the partners write, share, revise, sign
// and submit; the counselor reviews.
func TestBrowserAssignmentStory(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	as := func(email string) { t.Helper(); app.SignInAs(t, ctx, email) }
	text := func(sel string) string { return apptest.Text(t, ctx, sel) }
	body := func() string { return text("main") }

	// The counselor assigns both exercises through the assign page.
	as("cora@h.test")
	assignPage := fmt.Sprintf("%s/couples/%d/assign", app.URL, p.couple)
	do(chromedp.Navigate(assignPage), chromedp.WaitVisible(`#f-template_id`),
		chromedp.SetValue(`#f-template_id`, fmt.Sprint(p.tpl["apology-letter"])),
		chromedp.Click(`input[name=mode][value=individual]`),
		chromedp.SetValue(`#f-partner_id`, fmt.Sprint(p.partnerA)),
		chromedp.SendKeys(`#f-instructions`, "Write it over a few evenings."),
		chromedp.Click(`main button.primary`), chromedp.WaitVisible(`.flash`))
	do(chromedp.Navigate(assignPage), chromedp.WaitVisible(`#f-template_id`),
		chromedp.SetValue(`#f-template_id`, fmt.Sprint(p.tpl["transparency-plan"])),
		chromedp.Click(`input[name=mode][value=joint]`),
		chromedp.Click(`main button.primary`), chromedp.WaitVisible(`.flash`))
	var letterID, planID int64
	pgtest.MustGet(t, app.DB, &letterID, `SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id JOIN exercise_templates t ON t.id = a.template_id WHERE t.slug = 'apology-letter'`)
	pgtest.MustGet(t, app.DB, &planID, `SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id JOIN exercise_templates t ON t.id = a.template_id WHERE t.slug = 'transparency-plan'`)
	letter := fmt.Sprintf("%s/responses/%d", app.URL, letterID)
	plan := fmt.Sprintf("%s/responses/%d", app.URL, planID)

	// A drafts; autosave keeps it; a reload finds it; A submits.
	as("alex@h.test")
	if !strings.Contains(body(), "Apology letter") || !strings.Contains(body(), "Transparency plan") {
		t.Fatalf("client home lacks the exercises:\n%s", body())
	}
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`[name="a.what_i_did"]`),
		chromedp.SendKeys(`[name="a.what_i_did"]`, "I hid the messages for months."),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelector("[data-save-state]").textContent.startsWith("Saved")`,
				chromedp.WithPollingTimeout(10*time.Second))(ctx, tg)
			return err
		}),
		chromedp.Reload(), chromedp.WaitVisible(`[name="a.what_i_did"]`))
	if v, _ := chromedp.Run(ctx, chromedp.Value(`[name="a.what_i_did"]`)); v != "I hid the messages for months." {
		t.Fatalf("draft after reload: %q", v)
	}
	do(chromedp.SendKeys(`[name="a.impact"]`, "You stopped trusting your own memory."),
		chromedp.SendKeys(`[name="a.responsibility"]`, "It was my choice, every time."),
		chromedp.SendKeys(`[name="a.changes"]`, "My phone stays open."),
		chromedp.SendKeys(`[name="a.how_you_will_see"]`, "Ask me anything; I will answer."),
		chromedp.Click(`[name="a.no_rushing"]`),
		chromedp.Click(`button[value=submit]`), chromedp.WaitVisible(`.flash`))
	if !strings.Contains(text(".flash"), "Submitted") {
		t.Fatalf("after submit: %s", text(".flash"))
	}

	// B cannot read it.
	as("blair@h.test")
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`main h1`))
	if strings.Contains(body(), "I hid the messages") || !strings.Contains(body(), "could not find") {
		t.Fatalf("partner reads an unshared letter:\n%s", body())
	}

	// A shares; B reads.
	as("alex@h.test")
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`button[value=share]`), chromedp.Click(`button[value=share]`), chromedp.WaitVisible(`.flash`))
	as("blair@h.test")
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`main h1`))
	if !strings.Contains(body(), "I hid the messages for months.") {
		t.Fatalf("partner cannot read the shared letter:\n%s", body())
	}

	// The counselor asks for a revision.
	as("cora@h.test")
	do(chromedp.Navigate(app.URL+"/review"), chromedp.WaitVisible(`main table`), chromedp.Click(`main table a.button`),
		chromedp.WaitVisible(`#f-comment`), chromedp.SendKeys(`#f-comment`, "Please say more about what you will change."),
		chromedp.Click(`button[value=revise]`), chromedp.WaitVisible(`.flash`))

	// A sees the feedback, revises and resubmits.
	as("alex@h.test")
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`.feedback`))
	if !strings.Contains(text(".feedback"), "Please say more") {
		t.Fatal("author does not see the counselor's comment")
	}
	do(chromedp.SendKeys(`[name="a.changes"]`, "Therapy on Thursdays."), chromedp.Sleep(200*time.Millisecond),
		chromedp.Click(`button[value=submit]`), chromedp.WaitVisible(`.flash`))

	// The counselor sees what changed, and accepts.
	as("cora@h.test")
	do(chromedp.Navigate(letter), chromedp.WaitVisible(`#hist-h`))
	if h := text(".history"); !strings.Contains(h, "Resubmitted") || !strings.Contains(text(".history ins"), "Therapy on Thursdays.") {
		t.Fatalf("history: %s", h)
	}
	do(chromedp.Click(`button[value=accept]`), chromedp.WaitVisible(`.flash`))
	var status string
	pgtest.MustGet(t, app.DB, &status, `SELECT status FROM responses WHERE id = $1`, letterID)
	if status != "accepted" {
		t.Fatalf("letter status %s", status)
	}

	// Both partners sign the plan; then it can be submitted.
	as("alex@h.test")
	do(chromedp.Navigate(plan), chromedp.WaitVisible(`[name="a.purpose"]`),
		chromedp.SendKeys(`[name="a.purpose"]`, "To feel safe again through openness we choose."),
		chromedp.Click(`input[name="a.checkin_rhythm"]`),
		chromedp.SetValue(`[name="a.review_date"]`, time.Now().AddDate(0, 1, 0).Format(time.DateOnly)),
		chromedp.Click(`[name="a.agree_keep"]`), chromedp.Click(`[name="a.agree_not_surveillance"]`),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Click(`button[value=sign]`), chromedp.WaitVisible(`.flash`))
	as("blair@h.test")
	do(chromedp.Navigate(plan), chromedp.WaitVisible(`.signatures`))
	if !strings.Contains(text(".signatures"), "your partner") {
		t.Fatalf("signatures: %s", text(".signatures"))
	}
	do(chromedp.Click(`button[value=sign]`), chromedp.WaitVisible(`.flash`),
		chromedp.Click(`button[value=submit]`), chromedp.WaitVisible(`#client-h`)) // submit lands on the home page
	pgtest.MustGet(t, app.DB, &status, `SELECT status FROM responses WHERE id = $1`, planID)
	if status != "submitted" {
		t.Fatalf("plan status %s:\n%s", status, body())
	}
}
