package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Concerning safety checks come first, then the rest oldest first, and
// paging one item at a time walks that order without a gap or a repeat,
// across the boundary between the two.
func TestReviewQueuePutsConcerningSafetyChecksFirst(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	l1 := p.letterBy(t, cora, alex, p.couple, p.partnerA)
	calm := p.safetyCheckBy(t, cora, alex, p.partnerA, false)
	c1 := p.safetyCheckBy(t, cora, blair, p.partnerB, true)
	l2 := p.letterBy(t, cora, blair, p.couple, p.partnerB)
	c2 := p.safetyCheckBy(t, cora, alex, p.partnerA, true)
	want := []int64{c1, c2, l1, calm, l2}

	q, r := queue(t, cora, "")
	if r.Status != 200 || !sameIDs(q.ids(), want) {
		t.Fatalf("queue %d %v, want %v", r.Status, q.ids(), want)
	}
	if !q.Items[0].Concern || !q.Items[1].Concern || q.Items[2].Concern || q.Items[3].Concern {
		t.Errorf("safety_concern flags: %+v", q.Items)
	}
	for _, limit := range []int{1, 2, 3} {
		q, _ = queue(t, cora, fmt.Sprintf("?limit=%d", limit))
		seen := q.ids()
		for q.Next != nil && len(seen) <= len(want) {
			q, r = queue(t, cora, fmt.Sprintf("?limit=%d&after=%s", limit, url.QueryEscape(*q.Next)))
			if r.Status != 200 {
				t.Fatalf("page: %d %s", r.Status, r.Body)
			}
			seen = append(seen, q.ids()...)
		}
		if !sameIDs(seen, want) {
			t.Errorf("pages of %d: %v, want %v", limit, seen, want)
		}
	}
	// The page shows the same order.
	body := p.browser(t, "cora@h.test").Get("/review").Body
	last := -1
	for _, id := range want {
		i := strings.Index(body, fmt.Sprintf(`href="/responses/%d?from=queue"`, id))
		if i < 0 || i < last {
			t.Errorf("page order: response %d at %d (previous at %d)", id, i, last)
		}
		last = i
	}

	// A decision through the API names the next one in that order; the
	// last one's next is the first still waiting (one skipped earlier).
	var rev struct {
		Next *int64 `json:"next"`
	}
	for _, c := range []struct{ id, next int64 }{{c2, l1}, {l2, c1}} {
		if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", c.id), map[string]any{"decision": "accept"}, &rev); r.Status != 200 || rev.Next == nil || *rev.Next != c.next {
			t.Errorf("review %d: %d %s, want next %d", c.id, r.Status, r.Body, c.next)
		}
	}
	path := fmt.Sprintf("/api/v1/responses/%d/review?couple_id=%d", l1, p.couple2)
	if r := cora.Do("POST", path, map[string]any{"decision": "accept"}, &rev); r.Status != 200 || !strings.Contains(r.Body, `"next":null`) {
		t.Errorf("review in a filter with nothing left: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review?couple_id=999999999", calm), map[string]any{"decision": "accept"}, nil); r.Status != 404 {
		t.Errorf("review with an unknown couple filter: %d %s", r.Status, r.Body)
	}
	var status string
	p.app.DB.Get(&status, `SELECT status FROM responses WHERE id = $1`, calm)
	if status != "submitted" {
		t.Errorf("a refused filter still reviewed the response: %s", status)
	}
}
