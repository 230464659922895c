package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// A withdrawn exercise is not reviewed, and leaves the queue.
func TestWithdrawnWorkIsNotReviewedHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", a.ID), map[string]any{"status": "cancelled"}, nil); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "accept"}, nil); r.Status != 409 {
		t.Errorf("review of a withdrawn exercise: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("GET", "/api/v1/review-queue", nil, nil); strings.Contains(r.Body, fmt.Sprintf(`"response_id":%d`, rid)) {
		t.Errorf("withdrawn work queued: %s", r.Body)
	}
	if r := cora.Do("GET", "/api/v1/counts", nil, nil); !strings.Contains(r.Body, `"awaiting_review":0`) {
		t.Errorf("withdrawn work counted: %s", r.Body)
	}
	coraB := p.browser(t, "cora@h.test")
	if r := coraB.Get(fmt.Sprintf("/responses/%d", rid)); r.Status != 200 || strings.Contains(r.Body, fmt.Sprintf(`action="/responses/%d/review"`, rid)) {
		t.Errorf("the page offers a review of withdrawn work: %d", r.Status)
	}
	var status string
	p.app.DB.Get(&status, `SELECT status FROM responses WHERE id = $1`, rid)
	if status != "submitted" {
		t.Errorf("status changed to %s", status)
	}
}
