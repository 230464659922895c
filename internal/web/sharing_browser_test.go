package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// In a real browser, before writing a word: a revealed-together exercise
// says so at the top, above the first field (not under the submit button);
// "review before sharing" work says why it cannot be shared yet where the
// share choice would be; and a resubmission asks again, ticked with the
// last choice, so unticking it keeps the new text from the partner.
func TestBrowserSharingIsExplainedBeforeWriting(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora, alex := app.Login("cora@h.test"), app.Login("alex@h.test")
	together := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each", "reveal": "together"})
	held := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"review_before_sharing": true})
	shared := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	sid := p.response(t, shared, p.partnerA).ID
	api := fmt.Sprintf("/api/v1/responses/%d", sid)
	alex.Do("PUT", api, map[string]any{"answers": letter, "version": 1}, nil)
	alex.Do("POST", api+"/submit", map[string]any{"shared": true}, nil)
	cora.Do("POST", api+"/review", map[string]any{"decision": "revise", "comment": "Say more."}, nil)

	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	app.SignInAs(t, ctx, "alex@h.test")

	// Reveal together: the explanation comes first.
	do(chromedp.Navigate(fmt.Sprintf("%s/responses/%d", app.URL, p.response(t, together, p.partnerA).ID)),
		chromedp.WaitVisible(`.reveal-note`))
	if note := apptest.Text(t, ctx, ".reveal-note"); !strings.Contains(note, "revealed together") || !strings.Contains(note, "once you have both submitted") {
		t.Fatalf("reveal note: %q", note)
	}
	first, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const note = document.querySelector('.reveal-note').getBoundingClientRect();
		const field = document.querySelector('form.exercise textarea, form.exercise input:not([type=hidden])').getBoundingClientRect();
		const submit = document.querySelector('button[value=submit]').getBoundingClientRect();
		return note.bottom <= field.top && note.bottom <= submit.top && note.top < window.innerHeight;
	})()`))
	if !first {
		t.Fatal("the reveal-together explanation is not above the first field, in the first screen")
	}

	// Review before sharing: no share box, the reason in its place.
	do(chromedp.Navigate(fmt.Sprintf("%s/responses/%d", app.URL, p.response(t, held, p.partnerA).ID)), chromedp.WaitVisible(`.share-later`))
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('input[name=share]').length`)); n != 0 {
		t.Fatal("a share box on review-before-sharing work")
	}
	if !strings.Contains(apptest.Text(t, ctx, ".share-later"), "once they have accepted it") {
		t.Fatal("the share control does not say why it is unavailable")
	}

	// The revision: asked again, ticked; Alex unticks and resubmits.
	do(chromedp.Navigate(fmt.Sprintf("%s/responses/%d", app.URL, sid)), chromedp.WaitVisible(`input[name=share]`))
	if on, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[name=share]').checked`)); !on {
		t.Fatal("the share box is not pre-set to the last choice")
	}
	do(chromedp.SetValue(`[name="a.what_i_did"]`, "A REVISED TEXT I KEEP FOR NOW"),
		chromedp.Click(`input[name=share]`), chromedp.Click(`button[value=submit]`), chromedp.WaitVisible(`.flash`))
	blair := app.Login("blair@h.test")
	if r := blair.Do("GET", api, nil, nil); r.Status != 200 || strings.Contains(r.Body, "A REVISED TEXT") || !strings.Contains(r.Body, "I hid the messages.") {
		t.Fatalf("Blair after the unshared resubmission: %d %s", r.Status, r.Body)
	}
}
