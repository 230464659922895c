package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// TestBrowserHostileXSS loads, in a real browser, the pages where one
// person reads another's free text (a shared response with payloads in its
// answers, the review comment, instructions, a template and couple label)
// and checks no payload ran: the payload would set window.__x and the
// document title. The CSP would block inline script too; this checks the
// escaping itself (the text is shown, not parsed as markup).
func TestBrowserHostileXSS(t *testing.T) {
	t.Parallel()
	f, rid, tpl := xssFixture(t)
	app := f.app
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	as := func(email string) { t.Helper(); app.SignInAs(t, ctx, email) }
	check := func(who, path string) {
		t.Helper()
		do(chromedp.Navigate(app.URL+path), chromedp.WaitVisible(`main`))
		ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__x !== undefined || document.title === 'pwned' || document.querySelector('main img[src="x"]') !== null || document.querySelector('main script') !== null`))
		if err != nil {
			t.Fatal(err)
		}
		if ran {
			t.Errorf("%s %s: the payload became markup or ran", who, path)
		}
		if txt := apptest.Text(t, ctx, "main"); !strings.Contains(txt, "<script>window.__x=1") {
			t.Errorf("%s %s: payload not shown as text", who, path)
		}
	}
	as("cora@h.test")
	check("counselor", "/responses/"+rid)
	check("counselor", "/library/"+tpl)
	as("blair@h.test")
	check("partner", "/responses/"+rid)
	as("alex@h.test")
	check("author", "/responses/"+rid)
	check("author", "/assignments/"+f.ids["xssAsg"])
	as("ada@h.test")
	check("admin", "/admin/couples")
}
