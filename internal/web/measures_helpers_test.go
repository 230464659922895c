package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/measure"
)

// measureAnswers answers every scored item of a measure so that it totals
// score (earlier items first, each as high as still fits), with a PHQ-9's
// item 9 at "Not at all" unless selfHarm is given.
func measureAnswers(t *testing.T, code string, score int, selfHarm string) map[string]any {
	t.Helper()
	in, ok := measure.Get(code)
	if !ok {
		t.Fatalf("no measure %s", code)
	}
	ans := map[string]any{}
	left := score
	if selfHarm != "" {
		ans["phq9_9"] = selfHarm
		for _, o := range in.Items()[8].Options {
			if o.Label == selfHarm {
				left -= o.Score
			}
		}
	}
	for _, it := range in.Items() {
		if it.Unscored || ans[it.Key] != nil {
			continue
		}
		if it.Pair() {
			n := min(5, left)
			ans[it.Key], left = n, left-n
			continue
		}
		best := measure.Option{Score: -1}
		for _, o := range it.Options {
			if o.Score <= left && o.Score > best.Score && !(it.Key == "phq9_9") || it.Key == "phq9_9" && o.Score == 0 {
				best = o
			}
		}
		ans[it.Key], left = best.Label, left-best.Score
	}
	if left != 0 {
		t.Fatalf("%s cannot total %d", code, score)
	}
	return ans
}

// assignMeasure assigns a built-in measure to each partner of p's couple
// (once, or weekly) and returns the assignment.
func (p *practice) assignMeasure(t *testing.T, counselor *apptest.API, code string, extra map[string]any) asgJSON {
	t.Helper()
	body := map[string]any{"template_id": p.tpl[code], "mode": "each"}
	for k, v := range extra {
		body[k] = v
	}
	return p.assign(t, counselor, body)
}

// answerMeasure saves and submits a partner's response.
func answerMeasure(t *testing.T, api *apptest.API, responseID int64, ans map[string]any) {
	t.Helper()
	var saved struct {
		Version int `json:"version"`
	}
	var cur struct {
		Response struct {
			Version *int `json:"version"`
		} `json:"response"`
	}
	if r := api.Do("GET", fmt.Sprintf("/api/v1/responses/%d", responseID), nil, &cur); r.Status != 200 {
		t.Fatalf("get %d: %d %s", responseID, r.Status, r.Body)
	}
	v := 1
	if cur.Response.Version != nil {
		v = *cur.Response.Version
	}
	if r := api.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", responseID), map[string]any{"answers": ans, "version": v}, &saved); r.Status != 200 {
		t.Fatalf("save %d: %d %s", responseID, r.Status, r.Body)
	}
	if r := api.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", responseID), nil, nil); r.Status != 200 {
		t.Fatalf("submit %d: %d %s", responseID, r.Status, r.Body)
	}
}

type measuresJSON struct {
	Shared *bool `json:"shared"`
	Items  []struct {
		Measure string  `json:"measure"`
		Cutoff  float64 `json:"cutoff"`
		Series  []struct {
			PartnerID int64 `json:"partner_id"`
			Points    []struct {
				On    string `json:"on"`
				Score int    `json:"score"`
				Band  string `json:"band"`
			} `json:"points"`
			Completed int `json:"completed"`
		} `json:"series"`
		Gaps []struct {
			Gap int `json:"gap"`
		} `json:"gaps"`
	} `json:"items"`
}

func (p *practice) measures(t *testing.T, api *apptest.API) measuresJSON {
	t.Helper()
	var out measuresJSON
	if r := api.Do("GET", fmt.Sprintf("/api/v1/couples/%d/measures", p.couple), nil, &out); r.Status != 200 {
		t.Fatalf("measures: %d %s", r.Status, r.Body)
	}
	return out
}

// scoresOf lists, per measure and partner, the scores the caller reads.
func (m measuresJSON) scoresOf(code string, partner int64) []int {
	var out []int
	for _, it := range m.Items {
		if it.Measure != code {
			continue
		}
		for _, s := range it.Series {
			if s.PartnerID == partner {
				for _, pt := range s.Points {
					out = append(out, pt.Score)
				}
			}
		}
	}
	return out
}

// daysFromToday is the UTC date n days from today, as a recurrence's until.
func daysFromToday(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }
