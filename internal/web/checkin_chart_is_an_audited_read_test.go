package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The check-in chart (API and SVG) is a clinical read: audited; the other
// partner's revealed-together line appears.
func TestCheckinsAuditedAndRevealedHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	until := time.Now().UTC().Format(time.DateOnly)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "reveal": "together",
		"recurrence": map[string]any{"every": "day", "until": until}})
	ra, rb := p.response(t, a, p.partnerA).ID, p.response(t, a, p.partnerB).ID
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", ra), map[string]any{"answers": map[string]any{"trust": 6, "mood": "Calm", "appreciation": "Tea"}, "version": 1}, nil)
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", ra), nil, nil)
	var s struct {
		Series []struct {
			PartnerID int64 `json:"partner_id"`
		}
	}
	blair.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 0 {
		t.Fatalf("B sees A's line before submitting: %+v", s)
	}
	blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rb), map[string]any{"answers": map[string]any{"trust": 3, "mood": "Tired", "appreciation": "Walk"}, "version": 1}, nil)
	blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rb), nil, nil)
	before := p.reads(t, "blair@h.test")
	blair.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 2 {
		t.Fatalf("B's chart lacks A's revealed line: %+v", s)
	}
	if p.reads(t, "blair@h.test") != before+1 {
		t.Error("API chart read not audited")
	}
	br := p.browser(t, "cora@h.test")
	before = p.reads(t, "cora@h.test")
	if r := br.Get(fmt.Sprintf("/couples/%d/checkins.svg", p.couple)); r.Status != 200 || strings.Count(r.Body, "<polyline") != 2 {
		t.Fatalf("chart: %d", r.Status)
	}
	if p.reads(t, "cora@h.test") != before+1 {
		t.Error("SVG chart read not audited")
	}
}
