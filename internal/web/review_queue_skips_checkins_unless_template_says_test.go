package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// Daily check-ins do not wait in the review queue nor count as waiting
// (badge, home, digest count), but stay open to a review from the couple
// page; a copy of the check-in set to need a review (PATCH needs_review)
// is queued. What an assignment got when assigned stays with it.
func TestReviewQueueSkipsCheckinsUnlessTemplateSays(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")

	var tpl struct {
		ID          int64 `json:"id"`
		NeedsReview bool  `json:"needs_review"`
	}
	if cora.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d", p.tpl["daily-check-in"]), nil, &tpl); tpl.NeedsReview {
		t.Errorf("the daily check-in needs a review by default")
	}
	if cora.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d", p.tpl["apology-letter"]), nil, &tpl); !tpl.NeedsReview {
		t.Errorf("the apology letter does not need a review by default")
	}

	checkins := p.checkinsToday(t, cora, alex, blair, p.tpl["daily-check-in"])
	letter := p.letterBy(t, cora, alex, p.couple, p.partnerA)
	q, r := queue(t, cora, "")
	if r.Status != 200 || !sameIDs(q.ids(), []int64{letter}) {
		t.Fatalf("queue: %d %v, want only the letter %d (check-ins %v)", r.Status, q.ids(), letter, checkins)
	}
	var counts struct {
		Awaiting int `json:"awaiting_review"`
	}
	if cora.Do("GET", "/api/v1/counts", nil, &counts); counts.Awaiting != 1 {
		t.Errorf("waiting for review counts %d, want 1 (the letter)", counts.Awaiting)
	}
	br := p.browser(t, "cora@h.test")
	if home := br.Get("/"); !strings.Contains(home.Body, "<strong>1</strong> submitted response waits") {
		t.Errorf("home does not count one response waiting")
	}
	// The check-in is still there for the counselor: readable, reviewable.
	if r := cora.Do("GET", fmt.Sprintf("/api/v1/responses/%d", checkins[0]), nil, nil); r.Status != 200 {
		t.Errorf("counselor reads the check-in: %d", r.Status)
	}
	if page := br.Get(fmt.Sprintf("/responses/%d", checkins[0])); !strings.Contains(page.Body, `action="/responses/`+fmt.Sprint(checkins[0])+`/review"`) {
		t.Errorf("the check-in's page has no review form for the counselor")
	}
	var rev struct {
		Status string `json:"status"`
		Next   *int64 `json:"next"`
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", checkins[0]), map[string]any{"decision": "accept", "comment": "Good to see."}, &rev); r.Status != 200 || rev.Status != "accepted" {
		t.Fatalf("review the check-in: %d %s", r.Status, r.Body)
	}
	if rev.Next == nil || *rev.Next != letter {
		t.Errorf("next after the check-in: %v, want the letter %d", rev.Next, letter)
	}

	// A copy of the check-in, set to need a review: its work is queued.
	var cp struct {
		ID          int64 `json:"id"`
		NeedsReview bool  `json:"needs_review"`
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/exercise-templates/%d/clone", p.tpl["daily-check-in"]), nil, &cp); r.Status != 201 || cp.NeedsReview {
		t.Fatalf("clone: %d %s (a copy keeps the setting)", r.Status, r.Body)
	}
	path := fmt.Sprintf("/api/v1/exercise-templates/%d", cp.ID)
	checkPatch(t, cora, path, []patchCase{
		{map[string]any{"needs_review": nil}, 422, "needs_review"},
		{map[string]any{"needs_review": "yes"}, 422, "needs_review"},
		{map[string]any{"needs_review": true, "title": "Renamed"}, 422, "title"},
	})
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/exercise-templates/%d", p.tpl["daily-check-in"]), map[string]any{"needs_review": true}, nil); r.Status != 409 {
		t.Errorf("PATCH a built-in: %d, want 409", r.Status)
	}
	if r := cora.Do("PATCH", path, map[string]any{"needs_review": true}, &cp); r.Status != 200 || !cp.NeedsReview {
		t.Fatalf("PATCH needs_review: %d %s", r.Status, r.Body)
	}
	var versions int
	p.app.DB.Get(&versions, `SELECT count(*) FROM template_versions WHERE template_id = $1`, cp.ID)
	if versions != 1 {
		t.Errorf("needs_review made a new version (%d versions)", versions)
	}
	reviewed := p.checkinsToday(t, cora, alex, blair, cp.ID)
	q, _ = queue(t, cora, "")
	if !sameIDs(q.ids(), []int64{letter, reviewed[0], reviewed[1]}) {
		t.Errorf("queue %v, want the letter and the copy's check-ins %v", q.ids(), reviewed)
	}
	// The assignment keeps what it got: turning the copy off again moves
	// nothing already assigned out of the queue.
	if r := cora.Do("PATCH", path, map[string]any{"needs_review": false}, nil); r.Status != 200 {
		t.Fatalf("PATCH back: %d %s", r.Status, r.Body)
	}
	if q, _ = queue(t, cora, ""); len(q.Items) != 3 {
		t.Errorf("queue after turning the template off: %v", q.ids())
	}
	if cora.Do("GET", "/api/v1/counts", nil, &counts); counts.Awaiting != 3 {
		t.Errorf("waiting for review counts %d, want 3", counts.Awaiting)
	}
	var audited int
	p.app.DB.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'template.update' AND object_id = $1 AND detail::jsonb ? 'needs_review'`, cp.ID)
	if audited != 2 {
		t.Errorf("needs_review changes audited %d times, want 2", audited)
	}
}
