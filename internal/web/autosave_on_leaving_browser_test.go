package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// Typing and leaving the page at once keeps every word: leaving sends the
// draft right away, before the autosave delay is up.
func TestBrowserTypingThenLeavingKeepsTheWords(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora := app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	do(app.LoginSteps("alex@h.test"))
	do(chromedp.Navigate(fmt.Sprintf("%s/responses/%d", app.URL, rid)), chromedp.WaitVisible(`[name="a.what_i_did"]`),
		chromedp.SendKeys(`[name="a.what_i_did"]`, "Every last word counts"),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(`.mainnav a[href="/"]`), chromedp.WaitVisible(`.pagetitle`))
	var answers []byte
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		app.DB.Get(&answers, `SELECT answers FROM responses WHERE id = $1`, rid)
		if strings.Contains(string(answers), "Every last word counts") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got map[string]any
	json.Unmarshal(answers, &got)
	if got["what_i_did"] != "Every last word counts" {
		t.Fatalf("after leaving 0.3 s after typing, the draft holds %q", got["what_i_did"])
	}
}
