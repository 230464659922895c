package web_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// In a real browser, at desktop width and on a 390 px phone: the counselor
// opens the couple's page and reads the CSI-4 trend: the chart image loads
// (server-rendered, no script), the table beside it has both partners'
// scores, their bands and the gap, the alert is listed, nothing scrolls
// sideways; then turns on the couple's shared chart with the form's button.
func TestBrowserCounselorReadsCoupleTrend(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	for _, s := range [][2]int{{15, 16}, {14, 12}, {16, 11}} {
		a := p.assignMeasure(t, cora, "csi-4", nil)
		answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "csi-4", s[0], ""))
		answerMeasure(t, blair, p.response(t, a, p.partnerB).ID, measureAnswers(t, "csi-4", s[1], ""))
	}
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	p.app.SignInAs(t, ctx, "cora@h.test")
	for _, width := range []int64{1200, 390} {
		do(chromedp.EmulateViewport(width, 900), chromedp.Navigate(fmt.Sprintf("%s/couples/%d#measures", p.app.URL, p.couple)),
			chromedp.WaitVisible(`#measure-csi-4 img.chart`))
		loaded := eval[bool](t, ctx, `(() => { const i = document.querySelector("#measure-csi-4 img.chart");
			return i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().right <= window.innerWidth; })()`)
		if !loaded {
			t.Errorf("at %d px the chart did not load within the screen", width)
		}
		// textContent: on a phone the column heads are hidden and each cell
		// is labelled by its data-label instead (checked below).
		table := eval[string](t, ctx, `document.querySelector("#measure-csi-4 table").textContent`)
		for _, s := range []string{"Alex", "Blair", "Gap", "16", "11", "Notable relationship dissatisfaction", "5"} {
			if !strings.Contains(table, s) {
				t.Errorf("at %d px the table lacks %q: %s", width, s, table)
			}
		}
		if labels := eval[string](t, ctx, `[...document.querySelectorAll("#measure-csi-4 td")].map(td => td.dataset.label).join(",")`); !strings.Contains(labels, "Alex,Blair,Gap") {
			t.Errorf("the cells are not labelled by partner: %s", labels)
		}
		if alerts := apptest.Text(t, ctx, "#measures .alert"); !strings.Contains(alerts, "crossed the distress cut-off") || !strings.Contains(alerts, "moved apart") {
			t.Errorf("at %d px the alerts read %q", width, alerts)
		}
		if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
			t.Errorf("at %d px the page scrolls sideways", width)
		}
		if dir := os.Getenv("MEND_SCREENSHOTS"); dir != "" {
			if png, err := chromedp.Run(ctx, chromedp.Screenshot(`#measures`)); err == nil {
				os.WriteFile(fmt.Sprintf("%s/couple-measures-%d.png", dir, width), png, 0o644)
			}
		}
	}
	do(chromedp.Click(`form.measure-share button`), chromedp.WaitVisible(`.flash`))
	if flash := apptest.Text(t, ctx, ".flash"); !strings.Contains(flash, "shared progress chart") {
		t.Errorf("after sharing: %q", flash)
	}
	var shared bool
	p.app.DB.Get(&shared, `SELECT shared FROM measure_sharing WHERE couple_id = $1`, p.couple)
	if !shared {
		t.Error("the button did not share the chart")
	}
	// The partner now reads both lines on their own page, on a phone too.
	p.app.SignInAs(t, ctx, "alex@h.test")
	do(chromedp.EmulateViewport(390, 844), chromedp.Click(`a[href="/progress"]`), chromedp.WaitVisible(`#measure-csi-4 img.chart`))
	if table := eval[string](t, ctx, `document.querySelector("#measure-csi-4 table").textContent`); !strings.Contains(table, "Blair") || !strings.Contains(table, "11") {
		t.Errorf("Alex's shared table: %s", table)
	}
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth`) {
		t.Error("the progress page scrolls sideways at 390 px")
	}
}
