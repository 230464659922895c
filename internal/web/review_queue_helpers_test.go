package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
)

// queueJSON is a page of GET /api/v1/review-queue.
type queueJSON struct {
	Items []struct {
		ResponseID int64  `json:"response_id"`
		CoupleID   int64  `json:"couple_id"`
		TemplateID int64  `json:"template_id"`
		PartnerID  *int64 `json:"partner_id"`
		Concern    bool   `json:"safety_concern"`
	} `json:"items"`
	Next *string `json:"next"`
}

func (q queueJSON) ids() []int64 {
	out := []int64{}
	for _, it := range q.Items {
		out = append(out, it.ResponseID)
	}
	return out
}

// assignTo assigns to the given couple through the API.
func (p *practice) assignTo(t *testing.T, api *apptest.API, couple int64, body map[string]any) asgJSON {
	t.Helper()
	var out asgJSON
	if r := api.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", couple), body, &out); r.Status != 201 {
		t.Fatalf("assign %v: %d %s", body, r.Status, r.Body)
	}
	return out
}

// submit saves the answers of response id as its author and submits them.
func submit(t *testing.T, author *apptest.API, id int64, answers map[string]any) {
	t.Helper()
	if r := author.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", id), map[string]any{"answers": answers, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("save %d: %d %s", id, r.Status, r.Body)
	}
	if r := author.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", id), nil, nil); r.Status != 200 {
		t.Fatalf("submit %d: %d %s", id, r.Status, r.Body)
	}
}

// letterBy assigns the apology letter to one partner of couple and submits it.
func (p *practice) letterBy(t *testing.T, cora, author *apptest.API, couple, partner int64) int64 {
	t.Helper()
	a := p.assignTo(t, cora, couple, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": partner})
	id := p.response(t, a, partner).ID
	submit(t, author, id, letter)
	return id
}

// safetyCheckBy assigns the safety check to one partner of the first couple
// and submits it, with concerning answers or not.
func (p *practice) safetyCheckBy(t *testing.T, cora, author *apptest.API, partner int64, concerning bool) int64 {
	t.Helper()
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": partner})
	id := p.response(t, a, partner).ID
	ans := map[string]any{"feel_safe": "Yes, I feel safe", "afraid_of_partner": "No"}
	if concerning {
		ans = map[string]any{"feel_safe": "No, I don't feel safe", "afraid_of_partner": "Often"}
	}
	submit(t, author, id, ans)
	return id
}

// checkinsToday assigns the daily check-in (or tpl, a copy of it) to both
// partners of the first couple, for today, and both submit it.
func (p *practice) checkinsToday(t *testing.T, cora, alex, blair *apptest.API, tpl int64) []int64 {
	t.Helper()
	a := p.assign(t, cora, map[string]any{"template_id": tpl, "mode": "each", "duplicate_ok": true,
		"recurrence": map[string]any{"every": "day", "until": time.Now().UTC().Format(time.DateOnly)}})
	ra, rb := p.response(t, a, p.partnerA).ID, p.response(t, a, p.partnerB).ID
	submit(t, alex, ra, map[string]any{"trust": 6, "mood": "Calm", "appreciation": "Tea"})
	submit(t, blair, rb, map[string]any{"trust": 4, "mood": "Tired", "appreciation": "Walk"})
	return []int64{ra, rb}
}

func queue(t *testing.T, api *apptest.API, query string) (queueJSON, apptest.Response) {
	t.Helper()
	var q queueJSON
	r := api.Do("GET", "/api/v1/review-queue"+query, nil, &q)
	return q, r
}

func sameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
