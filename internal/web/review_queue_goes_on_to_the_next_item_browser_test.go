package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// In a real browser, a counselor filters the queue to one couple, opens the
// first item, accepts it and lands on the next item of that filter (not
// back on the list); accepting the last one brings her back to the filtered
// queue with "Queue empty".
func TestBrowserReviewQueueGoesOnToTheNextItem(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora, alex, blair, sol := app.Login("cora@h.test"), app.Login("alex@h.test"), app.Login("blair@h.test"), app.Login("sol@h.test")
	first := p.letterBy(t, cora, alex, p.couple, p.partnerA)
	other := p.letterBy(t, cora, sol, p.couple2, p.partnerC) // another couple: outside the filter
	second := p.letterBy(t, cora, blair, p.couple, p.partnerB)

	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	app.SignInAs(t, ctx, "cora@h.test")
	do(chromedp.Navigate(app.URL+"/review"), chromedp.WaitVisible(`#f-couple_id`),
		chromedp.SetValue(`#f-couple_id`, fmt.Sprint(p.couple)),
		chromedp.Click(`form[action="/review"] button[type=submit]`, chromedp.NodeVisible),
		chromedp.WaitVisible(fmt.Sprintf(`a[href^="/responses/%d?"]`, first)))
	if n := eval[int](t, ctx, fmt.Sprintf(`document.querySelectorAll('a[href^="/responses/%d?"]').length`, other)); n != 0 {
		t.Fatal("the filtered queue lists another couple's work")
	}
	do(chromedp.Click(fmt.Sprintf(`a[href^="/responses/%d?"]`, first), chromedp.NodeVisible),
		chromedp.WaitVisible(`button[name=decision][value=accept]`),
		chromedp.Click(`button[name=decision][value=accept]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`.flash`))
	path := eval[string](t, ctx, `location.pathname`)
	if path != fmt.Sprintf("/responses/%d", second) {
		t.Fatalf("after accepting, at %s, want the next item /responses/%d", path, second)
	}
	if f := apptest.Text(t, ctx, ".flash"); !strings.Contains(f, "Accepted") {
		t.Errorf("flash %q", f)
	}
	// Accept the last one of the filter: back to the filtered queue.
	do(chromedp.WaitVisible(`button[name=decision][value=accept]`),
		chromedp.Click(`button[name=decision][value=accept]`, chromedp.NodeVisible),
		chromedp.WaitVisible(`#f-couple_id`), chromedp.WaitVisible(`.flash`))
	if at := eval[string](t, ctx, `location.pathname + location.search`); at != fmt.Sprintf("/review?couple_id=%d", p.couple) {
		t.Errorf("after the last item, at %s", at)
	}
	if f := apptest.Text(t, ctx, ".flash"); !strings.Contains(f, "Queue empty") {
		t.Errorf("flash %q, want Queue empty", f)
	}
	var statuses []string
	app.DB.Select(&statuses, `SELECT status FROM responses WHERE id = ANY(ARRAY[$1, $2, $3]::bigint[]) ORDER BY array_position(ARRAY[$1, $2, $3]::bigint[], id)`, first, second, other)
	if strings.Join(statuses, ",") != "accepted,accepted,submitted" {
		t.Errorf("statuses %v: the two of the filter accepted, the other still waiting", statuses)
	}
}
