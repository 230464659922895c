package web_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Each partner's scores are theirs and their counselor's: the other
// partner reads none until the counselor shares the couple's chart, and
// then only the couple measures' lines (never the PHQ-9 or GAD-7, never an
// answer); another counselor, another couple's client and another clinic
// read nothing; an admin reads how many were completed, never a score.
// Pages, API, charts and counts alike; every read of scores is audited.
func TestMeasureScoresPrivateToPartnerAndCounselor(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	csi := p.assignMeasure(t, cora, "csi-4", nil)
	answerMeasure(t, alex, p.response(t, csi, p.partnerA).ID, measureAnswers(t, "csi-4", 10, ""))
	answerMeasure(t, blair, p.response(t, csi, p.partnerB).ID, measureAnswers(t, "csi-4", 16, ""))
	phq := p.assignMeasure(t, cora, "phq-9", nil)
	answerMeasure(t, alex, p.response(t, phq, p.partnerA).ID, measureAnswers(t, "phq-9", 12, ""))
	answerMeasure(t, blair, p.response(t, phq, p.partnerB).ID, measureAnswers(t, "phq-9", 4, ""))

	type want struct{ csiA, csiB, phqA, phqB []int }
	check := func(who string, m measuresJSON, w want) {
		t.Helper()
		got := want{m.scoresOf("csi-4", p.partnerA), m.scoresOf("csi-4", p.partnerB), m.scoresOf("phq-9", p.partnerA), m.scoresOf("phq-9", p.partnerB)}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s reads %+v, want %+v", who, got, w)
		}
	}
	// Off by default: each partner their own.
	ma := p.measures(t, alex)
	if ma.Shared == nil || *ma.Shared {
		t.Fatalf("sharing should start off: %+v", ma.Shared)
	}
	check("Alex", ma, want{csiA: []int{10}, phqA: []int{12}})
	check("Blair", p.measures(t, blair), want{csiB: []int{16}, phqB: []int{4}})
	check("Cora", p.measures(t, cora), want{[]int{10}, []int{16}, []int{12}, []int{4}})

	pages := func(email string) map[string]string {
		b := p.app.Browser()
		b.Login(email)
		out := map[string]string{}
		for _, path := range []string{"/progress", fmt.Sprintf("/couples/%d", p.couple), fmt.Sprintf("/couples/%d/measures/csi-4/chart.svg", p.couple),
			fmt.Sprintf("/couples/%d/measures/phq-9/chart.svg", p.couple)} {
			r := b.Get(path)
			out[path] = fmt.Sprint(r.Status) + " " + r.Body
		}
		return out
	}
	csiSVG, phqSVG := fmt.Sprintf("/couples/%d/measures/csi-4/chart.svg", p.couple), fmt.Sprintf("/couples/%d/measures/phq-9/chart.svg", p.couple)
	pa := pages("alex@h.test")
	if !strings.Contains(pa["/progress"], "<strong>10</strong>") || strings.Contains(pa["/progress"], "<strong>16</strong>") ||
		strings.Contains(pa["/progress"], "<strong>4</strong>") || strings.Contains(pa["/progress"], ">Blair</th>") {
		t.Errorf("Alex's progress page shows Blair's scores:\n%s", pa["/progress"])
	}
	if !strings.HasPrefix(pa[csiSVG], "200") || strings.Contains(pa[csiSVG], "Blair") || strings.Count(pa[csiSVG], "<circle") != 1 {
		t.Errorf("Alex's CSI-4 chart: %s", pa[csiSVG])
	}
	if cp := pa[fmt.Sprintf("/couples/%d", p.couple)]; !strings.HasPrefix(cp, "404") && !strings.HasPrefix(cp, "403") {
		t.Errorf("a partner opens the couple page")
	}
	pc := pages("cora@h.test")
	page := pc[fmt.Sprintf("/couples/%d", p.couple)]
	for _, s := range []string{`id="measure-csi-4"`, `id="measure-phq-9"`, "<strong>10</strong>", "<strong>16</strong>", "<strong>12</strong>", "<strong>4</strong>",
		fmt.Sprintf(`src="/couples/%d/measures/csi-4/chart.svg"`, p.couple)} {
		if !strings.Contains(page, s) {
			t.Errorf("the counselor's couple page lacks %s", s)
		}
	}
	if !strings.Contains(pc[csiSVG], "Alex") || !strings.Contains(pc[csiSVG], "Blair") || !strings.Contains(pc[phqSVG], "Blair") {
		t.Errorf("the counselor's charts lack a partner")
	}

	// Nobody else reads a score; the admin reads counts.
	for _, email := range []string{"carl@h.test", "sol@h.test", "finn@n.test"} {
		api := p.app.Login(email)
		if r := api.Do("GET", fmt.Sprintf("/api/v1/couples/%d/measures", p.couple), nil, nil); r.Status != 404 && r.Status != 403 {
			t.Errorf("%s reads the couple's measures: %d %s", email, r.Status, r.Body)
		}
		for path, body := range pages(email) {
			if strings.HasPrefix(body, "200") && strings.Contains(path, p2s(p.couple)) {
				t.Errorf("%s opens %s", email, path)
			}
		}
	}
	ada := p.app.Login("ada@h.test")
	var counts measuresJSON
	r := ada.Do("GET", fmt.Sprintf("/api/v1/couples/%d/measures", p.couple), nil, &counts)
	if r.Status != 200 || strings.Contains(r.Body, `"score"`) || strings.Contains(r.Body, `"points"`) || strings.Contains(r.Body, `"shared"`) || len(counts.Items) != 2 {
		t.Fatalf("admin's measures: %d %s", r.Status, r.Body)
	}
	for _, it := range counts.Items {
		if len(it.Series) != 2 || it.Series[0].Completed != 1 || it.Series[1].Completed != 1 {
			t.Errorf("admin's counts of %s: %+v", it.Measure, it.Series)
		}
	}
	pd := pages("ada@h.test")
	adminPage := pd[fmt.Sprintf("/couples/%d", p.couple)]
	if !strings.Contains(adminPage, "Completed measures") || strings.Contains(adminPage, "measure-table") || strings.Contains(adminPage, "chart.svg") ||
		strings.Contains(adminPage, "<strong>16</strong>") || strings.Contains(adminPage, "dissatisfaction") {
		t.Errorf("the admin's couple page shows scores:\n%s", adminPage)
	}
	if !strings.HasPrefix(pd[csiSVG], "404") {
		t.Errorf("the admin opens a chart: %.60s", pd[csiSVG])
	}
	// The audit trail the admin reads records reads of scores by ids, never a score.
	audit := ada.Do("GET", "/api/v1/audit?action=response.read", nil, nil)
	if audit.Status != 200 || strings.Contains(audit.Body, `"score"`) || strings.Contains(audit.Body, "Notable") {
		t.Errorf("audit of measure reads: %s", audit.Body)
	}

	// Shared: both lines of the CSI-4 for each partner, never the PHQ-9.
	b := p.app.Browser()
	b.Login("cora@h.test")
	if r := b.Post(fmt.Sprintf("/couples/%d/measures/sharing", p.couple), map[string][]string{"shared": {"on"}}, fmt.Sprintf("/couples/%d", p.couple)); r.Status != 303 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	check("Alex (shared)", p.measures(t, alex), want{csiA: []int{10}, csiB: []int{16}, phqA: []int{12}})
	check("Blair (shared)", p.measures(t, blair), want{csiA: []int{10}, csiB: []int{16}, phqB: []int{4}})
	pa = pages("alex@h.test")
	if !strings.Contains(pa[csiSVG], "Blair") || strings.Contains(pa[phqSVG], "Blair") || !strings.Contains(pa["/progress"], "<strong>16</strong>") ||
		strings.Contains(pa["/progress"], "<strong>4</strong>") {
		t.Errorf("Alex's shared view: CSI-4 chart has Blair %v, PHQ-9 chart has Blair %v", strings.Contains(pa[csiSVG], "Blair"), strings.Contains(pa[phqSVG], "Blair"))
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'measure.sharing' AND (detail::jsonb->>'shared')::boolean`)
	if n != 1 {
		t.Errorf("%d sharing events audited", n)
	}
	// A partner cannot share; the admin cannot; off again hides Blair's line.
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/couples/%d/measures/sharing", p.couple), map[string]bool{"shared": false}, nil); r.Status != 403 {
		t.Errorf("a partner changes sharing: %d", r.Status)
	}
	if r := ada.Do("PUT", fmt.Sprintf("/api/v1/couples/%d/measures/sharing", p.couple), map[string]bool{"shared": false}, nil); r.Status != 403 {
		t.Errorf("the admin changes sharing: %d", r.Status)
	}
	if r := cora.Do("PUT", fmt.Sprintf("/api/v1/couples/%d/measures/sharing", p.couple), map[string]any{}, nil); r.Status != 422 || !strings.Contains(r.Body, `"shared"`) {
		t.Errorf("sharing without a value: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("PUT", fmt.Sprintf("/api/v1/couples/%d/measures/sharing", p.couple), map[string]bool{"shared": false}, nil); r.Status != 200 {
		t.Fatalf("unshare: %d", r.Status)
	}
	check("Alex (unshared)", p.measures(t, alex), want{csiA: []int{10}, phqA: []int{12}})

	// Every read of scores is audited: the counselor's, and a partner's own.
	var reads int
	p.app.DB.Get(&reads, `SELECT count(*) FROM audit_log e JOIN users u ON u.id = e.actor_id
		WHERE e.action = 'response.read' AND e.detail::jsonb->>'view' LIKE 'measures%' AND u.email IN ('cora@h.test', 'alex@h.test')`)
	if reads < 4 {
		t.Errorf("%d audited reads of scores", reads)
	}
}

func p2s(id int64) string { return fmt.Sprintf("/couples/%d", id) }

// The caseload shows each partner's latest CSI-4 and its direction, to the
// couple's counselor only.
func TestCaseloadShowsLatestCSI4AndDirection(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	for _, s := range [][2]int{{10, 16}, {14, 12}} {
		a := p.assignMeasure(t, cora, "csi-4", nil)
		answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "csi-4", s[0], ""))
		answerMeasure(t, blair, p.response(t, a, p.partnerB).ID, measureAnswers(t, "csi-4", s[1], ""))
	}
	b := p.app.Browser()
	b.Login("cora@h.test")
	page := b.Get("/caseload").Body
	for _, s := range []string{"Alex <strong>14</strong>", "↑4", "up 4", "Blair <strong>12</strong>", "↓4", "down 4", "below cut-off"} {
		if !strings.Contains(page, s) {
			t.Errorf("caseload lacks %q", s)
		}
	}
	c := p.app.Browser()
	c.Login("carl@h.test")
	if body := c.Get("/caseload").Body; strings.Contains(body, "<strong>14</strong>") {
		t.Error("another counselor's caseload shows the scores")
	}
}
