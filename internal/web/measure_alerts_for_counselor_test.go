package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/measure"
)

// The counselor is alerted, in the app and in the digest's counts, when a
// score crosses the cut-off into distress, worsens by the reliable-change
// figure or more since the first or the previous score (PHQ-9: 6 points),
// or the partners move apart (for the CSI, which has no verified figure:
// onto opposite sides of the cut-off). Nobody else is told.
func TestMeasureAlertsForCounselor(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	start := time.Now().Add(-time.Minute)
	alerts := func() []string {
		var ks []string
		p.app.DB.Select(&ks, `SELECT kind || ':' || measure || ':' || CASE WHEN partner_id = $1 THEN 'A' ELSE 'B' END FROM measure_alerts ORDER BY id`, p.partnerA)
		return ks
	}
	phq := func(score int) {
		t.Helper()
		a := p.assign(t, cora, map[string]any{"template_id": p.tpl["phq-9"], "mode": "individual", "partner_id": p.partnerA})
		answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "phq-9", score, ""))
	}
	phq(3)
	phq(8) // 5 worse: less than the reliable-change figure, still mild
	if got := alerts(); len(got) != 0 {
		t.Fatalf("alerts after 3 → 8: %v", got)
	}
	phq(9)  // 6 worse than the first, 1 worse than the previous: a drop
	phq(10) // into the moderate band: crossing the cut-off (and still 7 worse than the first)
	phq(4)  // better: nothing
	want := "drop:phq-9:A,distress:phq-9:A,drop:phq-9:A"
	if got := strings.Join(alerts(), ","); got != want {
		t.Fatalf("PHQ-9 alerts %s, want %s", got, want)
	}
	// The CSI-4: both fine, then Blair falls below the cut-off while Alex
	// stays above it: distress, and the partners now apart.
	csi := func(a, b int) {
		t.Helper()
		asg := p.assignMeasure(t, cora, "csi-4", nil)
		answerMeasure(t, alex, p.response(t, asg, p.partnerA).ID, measureAnswers(t, "csi-4", a, ""))
		answerMeasure(t, blair, p.response(t, asg, p.partnerB).ID, measureAnswers(t, "csi-4", b, ""))
	}
	csi(15, 16)
	csi(15, 13)
	csi(14, 12) // still apart, Blair still in distress: nothing new
	want += ",distress:csi-4:B,apart:csi-4:B"
	if got := strings.Join(alerts(), ","); got != want {
		t.Fatalf("alerts %s, want %s", got, want)
	}

	// In the app: the counselor's notices, worded; the partners have none.
	var items struct {
		Items []struct {
			Kind, Text, Link string
		} `json:"items"`
	}
	cora.Do("GET", "/api/v1/notifications?limit=50", nil, &items)
	got := map[string]int{}
	for _, it := range items.Items {
		if strings.HasPrefix(it.Kind, "measure.") {
			got[it.Kind]++
			if !strings.Contains(it.Text, "Alex & Blair") || it.Link != fmt.Sprintf("/couples/%d#measures", p.couple) {
				t.Errorf("notice %+v", it)
			}
		}
	}
	if got["measure.distress"] != 2 || got["measure.drop"] != 2 || got["measure.apart"] != 1 {
		t.Errorf("counselor's measure notices: %v", got)
	}
	for _, who := range []string{"alex@h.test", "blair@h.test", "ada@h.test"} {
		var n int
		p.app.DB.Get(&n, `SELECT count(*) FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = $1 AND n.kind LIKE 'measure.%'`, who)
		if n != 0 {
			t.Errorf("%s was told of %d measure alerts", who, n)
		}
	}
	// The couple page lists them; the digest can count them.
	b := p.app.Browser()
	b.Login("cora@h.test")
	if page := b.Get(fmt.Sprintf("/couples/%d", p.couple)).Body; !strings.Contains(page, "Blair&#39;s score crossed the distress cut-off") ||
		!strings.Contains(page, "the partners&#39; scores moved apart") {
		t.Errorf("the couple page lacks the alerts")
	}
	var coraID int64
	p.app.DB.Get(&coraID, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	counts, err := measure.AlertCounts(context.Background(), p.app.DB, p.clinic, coraID, start)
	if err != nil || counts[measure.AlertDistress] != 2 || counts[measure.AlertDrop] != 2 || counts[measure.AlertApart] != 1 {
		t.Errorf("digest counts %v %v", counts, err)
	}
	if later, _ := measure.AlertCounts(context.Background(), p.app.DB, p.clinic, coraID, time.Now().Add(time.Minute)); later[measure.AlertDistress] != 0 {
		t.Errorf("counts since later: %v", later)
	}
}
