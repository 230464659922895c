package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// phq9Story is one practice where Alex and Blair each answer a PHQ-9 and
// Alex answers item 9 (thoughts of being better off dead or of self-harm)
// with selfHarm. It returns everything Blair can see afterwards, with what
// differs between any two runs (times, tokens) masked.
func phq9Story(t *testing.T, selfHarm string) (*practice, asgJSON, map[string]string) {
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	csi := p.assignMeasure(t, cora, "csi-4", nil)
	answerMeasure(t, alex, p.response(t, csi, p.partnerA).ID, measureAnswers(t, "csi-4", 12, ""))
	answerMeasure(t, blair, p.response(t, csi, p.partnerB).ID, measureAnswers(t, "csi-4", 15, ""))
	// The counselor shares the couple's chart: the PHQ-9 still never shows.
	if r := cora.Do("PUT", fmt.Sprintf("/api/v1/couples/%d/measures/sharing", p.couple), map[string]bool{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	a := p.assignMeasure(t, cora, "phq-9", nil)
	// The same total either way: item 9's points come off another item.
	answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "phq-9", 8, selfHarm))
	answerMeasure(t, blair, p.response(t, a, p.partnerB).ID, measureAnswers(t, "phq-9", 5, ""))

	b := p.app.Browser()
	b.Login("blair@h.test")
	views := map[string]string{}
	for _, path := range []string{"/", "/progress", "/notifications", fmt.Sprintf("/assignments/%d", a.ID),
		fmt.Sprintf("/couples/%d/measures/phq-9/chart.svg", p.couple), fmt.Sprintf("/couples/%d/measures/csi-4/chart.svg", p.couple),
		fmt.Sprintf("/responses/%d", p.response(t, a, p.partnerA).ID)} {
		r := b.Get(path)
		views["page "+path] = fmt.Sprint(r.Status) + " " + r.Body
	}
	for _, path := range []string{"/api/v1/assignments", fmt.Sprintf("/api/v1/assignments/%d", a.ID), fmt.Sprintf("/api/v1/couples/%d/measures", p.couple),
		"/api/v1/counts", "/api/v1/notifications", fmt.Sprintf("/api/v1/couples/%d", p.couple),
		fmt.Sprintf("/api/v1/responses/%d", p.response(t, a, p.partnerA).ID), fmt.Sprintf("/api/v1/couples/%d/measures?measure=phq-9", p.couple)} {
		r := blair.Do("GET", path, nil, nil)
		views["api "+path] = fmt.Sprint(r.Status) + " " + r.Body
	}
	for k, v := range views {
		views[k] = maskVolatile(v)
	}
	return p, a, views
}

var volatile = []*regexp.Regexp{
	regexp.MustCompile(`\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})`), // RFC 3339 times
	regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2} \d{4}(, \d{2}:\d{2})?`),   // page dates and times
	regexp.MustCompile(`\d{4}-\d{2}-\d{2}`),                             // dates
	regexp.MustCompile(`\d{1,2} [A-Z][a-z]{2}\b`),                       // chart day labels
	regexp.MustCompile(`(name="csrf_token" value|content|nonce)="[^"]*"`),
	regexp.MustCompile(`"next":"[^"]*"`),
}

func maskVolatile(s string) string {
	for _, re := range volatile {
		s = re.ReplaceAllString(s, "…")
	}
	return s
}

// A non-zero answer to the PHQ-9's item 9 is a safety concern: the
// counselor is alerted at once, in the app and by the neutral safety mail,
// exactly as for the safety check. The other partner sees nothing of it in
// any form: every page and API body Blair can open is the same, byte for
// byte (times masked), whether Alex answered "Nearly every day" or "Not at
// all": no score, no flag, no count, no order, no timestamp differs.
func TestPHQ9SelfHarmAlertsCounselorAndStaysInvisibleToPartner(t *testing.T) {
	t.Parallel()
	p, a, concerning := phq9Story(t, "Nearly every day")
	_, _, calm := phq9Story(t, "")
	rid := p.response(t, a, p.partnerA).ID

	var concern []string
	p.app.DB.Select(&concern, `SELECT unnest(concern_fields) FROM responses WHERE id = $1`, rid)
	if len(concern) != 1 || concern[0] != "phq9_9" {
		t.Fatalf("concern fields %v", concern)
	}
	var kinds []string
	p.app.DB.Select(&kinds, `SELECT n.kind FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'cora@h.test'
		AND n.response_id = $1`, rid)
	if strings.Join(kinds, ",") != "safety.concern" {
		t.Errorf("counselor told %v, want safety.concern", kinds)
	}
	var mails int
	p.app.DB.Get(&mails, `SELECT count(*) FROM river_job WHERE args->>'kind' = 'safety_alert'
		AND (args->>'user_id')::bigint = (SELECT id FROM users WHERE email = 'cora@h.test')`)
	if mails != 1 {
		t.Errorf("%d safety mails queued for the counselor, want 1 (at once)", mails)
	}
	cora := p.app.Login("cora@h.test")
	var counts struct {
		SafetyConcerns int `json:"safety_concerns"`
	}
	cora.Do("GET", "/api/v1/counts", nil, &counts)
	if counts.SafetyConcerns != 1 {
		t.Errorf("counselor's safety concerns: %d", counts.SafetyConcerns)
	}
	var rv struct {
		Response struct {
			Concerns []string `json:"concerns"`
		} `json:"response"`
	}
	cora.Do("GET", fmt.Sprintf("/api/v1/responses/%d", rid), nil, &rv)
	if len(rv.Response.Concerns) != 1 {
		t.Errorf("counselor's view of the response: %+v", rv)
	}

	// The views compared are real ones: Blair's home lists Alex's PHQ-9 (a
	// status, like any each-partner exercise) and her own progress page her score.
	if !strings.Contains(concerning["page /"], "Patient Health Questionnaire") || !strings.Contains(concerning["page /progress"], "<strong>5</strong>") {
		t.Fatalf("Blair's home or progress page is not what the test expects:\n%s", concerning["page /progress"])
	}
	if len(concerning) != len(calm) {
		t.Fatalf("%d views against %d", len(concerning), len(calm))
	}
	for k, v := range concerning {
		if calm[k] != v {
			t.Errorf("Blair's %s differs when Alex answered item 9:\n%s\n---- against ----\n%s", k, v, calm[k])
		}
		// (The form's own text names item 9 and its answers; what would be
		// Alex's are the flag and the answer itself.)
		for _, leak := range []string{`"concerns"`, "are concerning", `"phq9_9":"Nearly every day"`} {
			if strings.Contains(v, leak) {
				t.Errorf("Blair's %s holds %q", k, leak)
			}
		}
	}
	// Blair reads Alex's shared CSI-4 line, never Alex's PHQ-9 score.
	m := p.measures(t, p.app.Login("blair@h.test"))
	if got := m.scoresOf("phq-9", p.partnerA); len(got) != 0 {
		t.Errorf("Blair reads Alex's PHQ-9: %v", got)
	}
	if got := m.scoresOf("csi-4", p.partnerA); len(got) != 1 || got[0] != 12 {
		t.Errorf("Blair's shared CSI-4 line of Alex: %v", got)
	}
}
