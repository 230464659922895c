package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// "Review before sharing": the counselor marks an assignment so that its
// author can share only once the counselor has accepted it; the share
// control says why it is not available yet; the mark is set when assigning
// and can be edited, on pages and in the API, and refused where it does not
// apply.
func TestReviewBeforeSharing(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"review_before_sharing": true})
	rid := p.response(t, a, p.partnerA).ID
	api, page := fmt.Sprintf("/api/v1/responses/%d", rid), fmt.Sprintf("/responses/%d", rid)
	for name, c := range map[string]struct {
		body string
		want bool
	}{
		"cora":  {cora.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body, true},
		"alex":  {alex.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body, true},
		"blair": {blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body, false},
	} {
		if got := strings.Contains(c.body, `"review_before_sharing":true`); got != c.want {
			t.Errorf("%s sees the mark: %v, want %v", name, got, c.want)
		}
	}
	alexB := p.browser(t, "alex@h.test")
	body := alexB.Get(page).Body
	if strings.Contains(body, `name="share"`) || !strings.Contains(body, "once they have accepted it") {
		t.Fatal("the form offers a share, or does not say why it cannot")
	}
	alex.Do("PUT", api, map[string]any{"answers": letter, "version": 1}, nil)
	var out struct{ Fields map[string]string }
	if r := alex.Do("POST", api+"/submit", map[string]any{"shared": true}, &out); r.Status != 409 || !strings.Contains(out.Fields["shared"], "accepted") {
		t.Fatalf("submit shared: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", api+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", api+"/share", map[string]any{"shared": true}, &out); r.Status != 409 || !strings.Contains(out.Fields["shared"], "accepted") {
		t.Fatalf("share before acceptance: %d %s", r.Status, r.Body)
	}
	body = alexB.Get(page).Body
	if strings.Contains(body, `value="share"`) || !strings.Contains(body, "once they have accepted it") {
		t.Fatal("the sharing panel offers Share before acceptance, or does not say why not")
	}
	if r := alexB.Post(page, url.Values{"op": {"share"}}, page); r.Status != 409 || !strings.Contains(r.Body, "once they have accepted it") {
		t.Fatalf("page share: %d", r.Status)
	}
	if r := blair.Do("GET", api, nil, nil); r.Status != 404 {
		t.Fatalf("Blair reads it before acceptance: %d", r.Status)
	}
	cora.Do("POST", api+"/review", map[string]any{"decision": "accept"}, nil)
	if body := alexB.Get(page).Body; !strings.Contains(body, `value="share"`) {
		t.Fatal("no Share once accepted")
	}
	if r := alex.Do("POST", api+"/share", map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share once accepted: %d %s", r.Status, r.Body)
	}
	if r := blair.Do("GET", api, nil, nil); r.Status != 200 || !strings.Contains(r.Body, "I hid the messages.") {
		t.Fatalf("Blair after acceptance and share: %d", r.Status)
	}
}

// The mark where it does not fit (joint work, the safety check, revealed
// together) is a 422 naming it; it is set from the assign form and edited
// on the assignment page and with PATCH.
func TestReviewBeforeSharingIsSetAndEdited(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	for name, body := range map[string]map[string]any{
		"joint":    {"template_id": p.tpl["boundary-worksheet"], "mode": "joint", "review_before_sharing": true},
		"safety":   {"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerA, "review_before_sharing": true},
		"together": {"template_id": p.tpl["apology-letter"], "mode": "each", "reveal": "together", "review_before_sharing": true},
	} {
		var out struct{ Fields map[string]string }
		if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), body, &out); r.Status != 422 || out.Fields["review_before_sharing"] == "" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	coraB := p.browser(t, "cora@h.test")
	assign := fmt.Sprintf("/couples/%d/assign", p.couple)
	if !strings.Contains(coraB.Get(assign).Body, `name="review_before_sharing"`) {
		t.Fatal("the assign form has no review-before-sharing choice")
	}
	r := coraB.Post(assign, url.Values{"template_id": {fmt.Sprint(p.tpl["apology-letter"])}, "mode": {"individual"},
		"partner_id": {fmt.Sprint(p.partnerA)}, "review_before_sharing": {"1"}, "repeat": {"none"}}, assign)
	if r.Status != 303 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	page := r.Location
	var id int64
	fmt.Sscanf(page, "/assignments/%d", &id)
	var on bool
	p.app.DB.Get(&on, `SELECT review_before_sharing FROM assignments WHERE id = $1`, id)
	if !on {
		t.Fatal("the form's mark was not kept")
	}
	if body := coraB.Get(page).Body; !strings.Contains(body, `name="review_before_sharing" value="1" checked`) {
		t.Fatal("the assignment page does not show the mark to edit")
	}
	// Unticking it on the page clears it; PATCH sets it again.
	if r := coraB.Post(page, url.Values{"op": {"update"}, "review_before_sharing_shown": {"1"}, "instructions": {""}}, page); r.Status != 303 {
		t.Fatalf("update: %d", r.Status)
	}
	p.app.DB.Get(&on, `SELECT review_before_sharing FROM assignments WHERE id = $1`, id)
	if on {
		t.Fatal("unticked, still set")
	}
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", id), map[string]any{"review_before_sharing": true}, nil); r.Status != 200 ||
		!strings.Contains(r.Body, `"review_before_sharing":true`) {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	j := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", j.ID), map[string]any{"review_before_sharing": true}, nil); r.Status != 422 {
		t.Fatalf("patch on joint: %d %s", r.Status, r.Body)
	}
}
