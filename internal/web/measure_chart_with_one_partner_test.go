package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// Until the other partner answers, a measure's chart has one line: one
// partner in the legend, no gap, and the table one column of scores.
func TestMeasureChartWithOnePartnerOnly(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	for _, s := range []int{9, 12} {
		a := p.assignMeasure(t, cora, "csi-4", nil)
		answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "csi-4", s, ""))
	}
	b := p.app.Browser()
	b.Login("cora@h.test")
	svg := b.Get(fmt.Sprintf("/couples/%d/measures/csi-4/chart.svg", p.couple))
	if svg.Status != 200 || !strings.HasPrefix(svg.Header.Get("Content-Type"), "image/svg+xml") {
		t.Fatalf("chart: %d %s", svg.Status, svg.Header.Get("Content-Type"))
	}
	body := svg.Body
	if strings.Count(body, "<polyline") != 1 || strings.Count(body, "<circle") != 2 || strings.Contains(body, "<rect x=\"") && strings.Count(body, `width="9"`) != 0 ||
		!strings.Contains(body, ">Alex</text>") || strings.Contains(body, "Blair") || strings.Contains(body, `stroke-dasharray="2 3"`) {
		t.Errorf("one-partner chart:\n%s", body)
	}
	if !strings.Contains(body, "Cut-off 13.5") || !strings.Contains(body, "<title") {
		t.Errorf("the chart lacks its cut-off or title")
	}
	page := b.Get(fmt.Sprintf("/couples/%d", p.couple)).Body
	i := strings.Index(page, `id="measure-csi-4"`)
	table := page[i : i+strings.Index(page[i:], "</table>")]
	if strings.Count(table, `<th scope="col">`) != 2 || strings.Contains(table, "Gap") || strings.Count(table, "<tr>") != 3 {
		t.Errorf("one-partner table:\n%s", table)
	}
	// No scores at all: an empty chart that says so (and reveals nothing).
	empty := b.Get(fmt.Sprintf("/couples/%d/measures/gad-7/chart.svg", p.couple))
	if empty.Status != 200 || !strings.Contains(empty.Body, "No scores to show yet") {
		t.Errorf("empty chart: %d %s", empty.Status, empty.Body)
	}
}
