package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// At 1280 px (and on a phone) the admin's couple card keeps its "New link"
// and "Revoke link" buttons inside it, with long partner addresses: the
// card wraps instead of letting them spill out.
func TestBrowserCoupleCardHoldsItsButtons(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := apptest.Chrome(t)
	var cora int64
	app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	do := apptest.Steps(t, ctx)
	do(app.LoginSteps("ada@h.test"),
		chromedp.Navigate(app.URL+"/admin/couples/new"), chromedp.WaitVisible(`#f-label`),
		chromedp.SendKeys(`#f-label`, "Rivera-Montgomery & Chen-Abernathy"),
		chromedp.SetValue(`#f-counselor_id`, itoa(cora)),
		chromedp.SendKeys(`#f-p0_name`, "Lucia Esperanza Rivera-Montgomery"), chromedp.SendKeys(`#f-p0_email`, "lucia.esperanza.rivera-montgomery@example-family-mail.test"),
		chromedp.SendKeys(`#f-p1_name`, "Daniel Chen-Abernathy"), chromedp.SendKeys(`#f-p1_email`, "daniel.chen-abernathy.personal@example-family-mail.test"),
		chromedp.Click(`main button.primary`), chromedp.WaitVisible(`#link-0`))
	for _, width := range []int64{1280, 1024, 390} {
		do(chromedp.EmulateViewport(width, 900), chromedp.Reload(), chromedp.WaitVisible(`table.partners`))
		out := eval[[]string](t, ctx, `(() => {
			const card = document.querySelector('table.partners').closest('.panel').getBoundingClientRect();
			const bad = [];
			const buttons = document.querySelectorAll('table.partners button');
			if (buttons.length < 4) bad.push('only ' + buttons.length + ' buttons');
			for (const b of buttons) {
				const r = b.getBoundingClientRect();
				if (r.left < card.left || r.right > card.right) bad.push(b.textContent + ' ' + r.left + '..' + r.right + ' outside ' + card.left + '..' + card.right);
			}
			if (document.documentElement.scrollWidth > window.innerWidth) bad.push('page scrolls sideways: ' + document.documentElement.scrollWidth);
			return bad;
		})()`)
		if len(out) > 0 {
			t.Errorf("at %d px: %v", width, out)
		}
	}
}
