package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/measure"
)

// A measure is scored when it is submitted: the score and band are kept
// with the submission, and recomputing them from the kept answers gives the
// same; a revision's new submission gets its own score and the latest is
// the response's. Each measure, each partner.
func TestMeasureScoreKeptWithSubmissionAndRecomputed(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	scores := map[string][2]int{"csi-4": {9, 17}, "csi-16": {40, 66}, "phq-9": {3, 14}, "gad-7": {12, 0}}
	for code, s := range scores {
		a := p.assignMeasure(t, cora, code, nil)
		answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, code, s[0], ""))
		answerMeasure(t, blair, p.response(t, a, p.partnerB).ID, measureAnswers(t, code, s[1], ""))
	}
	var rows []struct {
		Measure  string `db:"measure"`
		Partner  int64  `db:"partner_id"`
		Score    int    `db:"score"`
		Band     string `db:"band"`
		Distress bool   `db:"distress"`
		Answers  []byte `db:"answers"`
		Schema   []byte `db:"schema"`
	}
	if err := p.app.DB.Select(&rows, `SELECT ms.measure, ms.partner_id, ms.score, ms.band, ms.distress, s.answers, v.schema
		FROM measure_scores ms JOIN submissions s ON s.id = ms.submission_id JOIN responses r ON r.id = ms.response_id
		JOIN assignments a ON a.id = r.assignment_id JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		ORDER BY ms.submission_id`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("%d scores, want 8", len(rows))
	}
	for _, r := range rows {
		in, _ := measure.Get(r.Measure)
		var sc exercise.Schema
		var ans map[string]any
		json.Unmarshal(r.Schema, &sc)
		json.Unmarshal(r.Answers, &ans)
		again, err := in.Score(sc, ans)
		want := scores[r.Measure][0]
		if r.Partner == p.partnerB {
			want = scores[r.Measure][1]
		}
		if err != nil || again != r.Score || r.Score != want || r.Band != in.Band(want).Label || r.Distress != in.Distress(want) {
			t.Errorf("%s partner %d: kept %d %q, recomputed %d (%v), want %d", r.Measure, r.Partner, r.Score, r.Band, again, err, want)
		}
	}

	// A revision: a new submission, a new score; the chart shows the latest.
	a := p.assignMeasure(t, cora, "csi-4", nil)
	rid := p.response(t, a, p.partnerA).ID
	answerMeasure(t, alex, rid, measureAnswers(t, "csi-4", 5, ""))
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]string{"decision": "revise", "comment": "Please check item 3."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	answerMeasure(t, alex, rid, measureAnswers(t, "csi-4", 8, ""))
	var kept []int
	p.app.DB.Select(&kept, `SELECT score FROM measure_scores WHERE response_id = $1 ORDER BY submission_id`, rid)
	if !reflect.DeepEqual(kept, []int{5, 8}) {
		t.Fatalf("kept %v, want [5 8]", kept)
	}
	if got := p.measures(t, alex).scoresOf("csi-4", p.partnerA); !reflect.DeepEqual(got, []int{9, 8}) {
		t.Errorf("Alex's CSI-4 line %v, want [9 8] (the revision's latest)", got)
	}
	// An ordinary exercise is not scored.
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM measure_scores WHERE measure NOT IN ('csi-4', 'csi-16', 'phq-9', 'gad-7')`)
	if n != 0 {
		t.Errorf("%d scores of something else", n)
	}
}

// A measure is assigned like any exercise, to one partner or each, never
// jointly; its answers are never revealed together, shared or answered by
// a reply; it repeats weekly or every four weeks.
func TestMeasureAssignedToEachPartnerOnly(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"template_id": p.tpl["csi-4"], "mode": "joint"}, "mode"},
		{map[string]any{"template_id": p.tpl["csi-4"], "mode": "each", "reveal": "together"}, "reveal"},
	} {
		var e struct {
			Fields map[string]string `json:"fields"`
		}
		if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), c.body, &e); r.Status != 422 || e.Fields[c.field] == "" {
			t.Errorf("%v: %d %s", c.body, r.Status, r.Body)
		}
	}
	one := p.assign(t, cora, map[string]any{"template_id": p.tpl["phq-9"], "mode": "individual", "partner_id": p.partnerA})
	if len(one.Responses) != 1 {
		t.Fatalf("one partner: %+v", one.Responses)
	}
	weekly := p.assignMeasure(t, cora, "csi-4", map[string]any{"recurrence": map[string]string{"every": "week", "until": daysFromToday(27)}})
	monthly := p.assignMeasure(t, cora, "csi-16", map[string]any{"recurrence": map[string]string{"every": "four_weeks", "until": daysFromToday(84)}})
	// Recurring work is made on its day: today's occurrence now, the rest
	// by the occurrence job on theirs (7 and 28 local days apart).
	if len(weekly.Responses) != 2 || len(monthly.Responses) != 2 {
		t.Errorf("weekly %d responses today (want 2), every four weeks %d (want 2)", len(weekly.Responses), len(monthly.Responses))
	}
	for d := 1; d <= 84; d++ {
		if _, err := p.app.Services.Assignments.MakeOccurrences(context.Background(), time.Now().AddDate(0, 0, d)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(id int64) (n int) {
		p.app.DB.Get(&n, `SELECT count(*) FROM responses WHERE assignment_id = $1`, id)
		return n
	}
	if w, m := count(weekly.ID), count(monthly.ID); w != 8 || m != 8 {
		t.Errorf("weekly %d responses (want 4 weeks × 2), every four weeks %d (want 4 × 2)", w, m)
	}
	rid := p.response(t, one, p.partnerA).ID
	answerMeasure(t, alex, rid, measureAnswers(t, "phq-9", 4, ""))
	var e struct {
		Fields map[string]string `json:"fields"`
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]bool{"shared": true}, &e); r.Status != 422 || e.Fields["shared"] == "" {
		t.Errorf("share a measure: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), map[string]any{"template_id": p.tpl["apology-letter"],
		"mode": "individual", "partner_id": p.partnerB, "reply_to": rid}, &e); r.Status != 422 || e.Fields["reply_to"] == "" {
		t.Errorf("reply to a measure: %d %s", r.Status, r.Body)
	}
	// The assign form offers the schedule and the measure's page presets it.
	b := p.app.Browser()
	b.Login("cora@h.test")
	form := b.Get(fmt.Sprintf("/couples/%d/assign?template=%d&mode=each&repeat=four_weeks", p.couple, p.tpl["csi-16"]))
	if form.Status != 200 || !strings.Contains(form.Body, `value="four_weeks" checked`) || !strings.Contains(form.Body, `value="each" checked`) {
		t.Errorf("preset assign form: %d", form.Status)
	}
	lib := b.Get(fmt.Sprintf("/library/%d", p.tpl["csi-4"]))
	if !strings.Contains(lib.Body, `name="repeat" value="week"`) || !strings.Contains(lib.Body, "Funk, J. L., &amp; Rogge, R. D. (2007)") {
		t.Errorf("the CSI-4's page offers no weekly schedule or lacks its source")
	}
	if r := b.Get("/assign?" + url.Values{"couple": {fmt.Sprint(p.couple)}, "template": {fmt.Sprint(p.tpl["csi-4"])}, "repeat": {"week"}, "mode": {"each"}}.Encode()); r.Status != 303 ||
		!strings.Contains(r.Location, "repeat=week") {
		t.Errorf("assign from the library: %d %s", r.Status, r.Location)
	}
}

// A measure's items cannot be edited, in the builder or the API; a copy is
// an ordinary exercise that is not scored (and says so).
func TestMeasureItemsLockedAndCopiesUnscored(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	id := p.tpl["csi-4"]
	if r := cora.Do("PUT", fmt.Sprintf("/api/v1/exercise-templates/%d", id), libDraft("My CSI", "private"), nil); r.Status != 409 ||
		!strings.Contains(r.Body, "validated measure") {
		t.Errorf("API edit: %d %s", r.Status, r.Body)
	}
	b := p.app.Browser()
	b.Login("cora@h.test")
	if r := b.Get(fmt.Sprintf("/library/%d/edit", id)); r.Status != 409 || !strings.Contains(r.Body, "validated measure") {
		t.Errorf("builder: %d", r.Status)
	}
	if r := b.Post(fmt.Sprintf("/library/%d/edit", id), url.Values{"title": {"Mine"}}, fmt.Sprintf("/library/%d", id)); r.Status != 409 {
		t.Errorf("builder save: %d", r.Status)
	}
	var clone struct {
		ID          int64  `json:"id"`
		Measure     string `json:"measure"`
		Description string `json:"description"`
		Sections    []exercise.Section
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/exercise-templates/%d/clone", id), nil, &clone); r.Status != 201 && r.Status != 200 {
		t.Fatalf("clone: %d %s", r.Status, r.Body)
	}
	if clone.Measure != "" || !strings.Contains(clone.Description, "does not score it") || len(clone.Sections) == 0 {
		t.Errorf("clone: %+v", clone)
	}
	var measureCol *string
	p.app.DB.Get(&measureCol, `SELECT measure FROM exercise_templates WHERE id = $1`, clone.ID)
	if measureCol != nil {
		t.Errorf("the copy is stored as a measure")
	}
	a := p.assign(t, cora, map[string]any{"template_id": clone.ID, "mode": "individual", "partner_id": p.partnerA})
	answerMeasure(t, alex, p.response(t, a, p.partnerA).ID, measureAnswers(t, "csi-4", 12, ""))
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM measure_scores`)
	if n != 0 {
		t.Errorf("a copy was scored")
	}
	// The built-in measures, with their template ids and scoring.
	var cat struct {
		Items []struct {
			Measure        string         `json:"measure"`
			TemplateID     int64          `json:"template_id"`
			Max            int            `json:"max"`
			ReliableChange map[string]any `json:"reliable_change"`
			Sections       []struct {
				Items []struct {
					Key     string           `json:"key"`
					Options []measure.Option `json:"options"`
				} `json:"items"`
			} `json:"sections"`
		} `json:"items"`
	}
	if r := cora.Do("GET", "/api/v1/measures", nil, &cat); r.Status != 200 || len(cat.Items) != 4 {
		t.Fatalf("catalog: %d %s", r.Status, r.Body)
	}
	for _, it := range cat.Items {
		if it.TemplateID != p.tpl[it.Measure] || it.Max == 0 || len(it.Sections) == 0 {
			t.Errorf("catalog %s: %+v", it.Measure, it)
		}
		if it.Measure == "csi-4" && it.ReliableChange["points"] != nil || it.Measure == "phq-9" && it.ReliableChange["points"] != float64(6) {
			t.Errorf("%s reliable change %v", it.Measure, it.ReliableChange)
		}
	}
}

// A copy of the CSI-16 keeps its pairs of words printed as published: the
// builder shows (and keeps) a scale shown from the high end down.
func TestMeasureCopyKeepsPublishedScaleDirectionInBuilder(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	var clone struct {
		ID int64 `json:"id"`
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/exercise-templates/%d/clone", p.tpl["csi-16"]), nil, &clone); r.Status/100 != 2 {
		t.Fatalf("clone: %d %s", r.Status, r.Body)
	}
	b := p.app.Browser()
	b.Login("cora@h.test")
	page := b.Get(fmt.Sprintf("/library/%d/edit", clone.ID))
	// Section 2 holds the pairs: INTERESTING–BORING (high end first), BAD–GOOD (not).
	if page.Status != 200 || !strings.Contains(page.Body, `name="s1.f0.reverse" value="1" checked`) || strings.Contains(page.Body, `name="s1.f1.reverse" value="1" checked`) {
		t.Errorf("builder of the copy: %d", page.Status)
	}
}
