package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// A share covers the text that was shared. After a revision, the new text
// reaches the other partner only when its author says so again: the page
// asks at every submission, pre-set to the last choice; the API shares a
// submission only with "shared": true. Until then the partner keeps reading
// what was shared (their view does not move), and can stop at any time.
func TestShareCoversTheSubmissionShared(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	api := fmt.Sprintf("/api/v1/responses/%d", rid)
	page := fmt.Sprintf("/responses/%d", rid)
	alexB, blairB := p.browser(t, "alex@h.test"), p.browser(t, "blair@h.test")

	// Before any submission there is nothing to share.
	if r := alex.Do("POST", api+"/share", map[string]any{"shared": true}, nil); r.Status != 409 || !strings.Contains(r.Body, `"shared"`) {
		t.Fatalf("share before submitting: %d %s", r.Status, r.Body)
	}
	if body := alexB.Get(page).Body; !strings.Contains(body, `name="share" value="1" aria-describedby`) || strings.Contains(body, `value="share"`) {
		t.Fatal("the first submission does not ask about sharing, unticked, or the page offers a Share button before it")
	}
	alex.Do("PUT", api, map[string]any{"answers": letter, "version": 1}, nil)
	if r := alex.Do("POST", api+"/submit", map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("submit shared: %d %s", r.Status, r.Body)
	}
	blairView := func() string {
		return blair.Do("GET", api, nil, nil).Body + mask(blairB.Get(page).Body)
	}
	shared1 := blairView()
	if !strings.Contains(shared1, "I hid the messages.") {
		t.Fatal("Blair cannot read the shared submission")
	}

	// A revision: Alex rewrites; the page asks again, ticked (her last choice).
	cora.Do("POST", api+"/review", map[string]any{"decision": "revise", "comment": "Say more."}, nil)
	second := map[string]any{}
	for k, v := range letter {
		second[k] = v
	}
	second["what_i_did"] = "SECOND-TEXT: I hid the messages for months."
	alex.Do("PUT", api, map[string]any{"answers": second, "version": 2}, nil)
	if body := alexB.Get(page).Body; !strings.Contains(body, `name="share" value="1" checked`) {
		t.Fatal("the resubmission does not ask again, pre-set to the last choice")
	}
	if r := alex.Do("POST", api+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}
	if got := blairView(); got != shared1 {
		t.Fatalf("the resubmission reached Blair with no new decision:\n%s", firstDiff(shared1, got))
	}
	if body := alexB.Get(page).Body; !strings.Contains(body, "your latest one is not shared") {
		t.Error("Alex's page does not say which submission Blair reads")
	}
	// Alex shares the latest; the next submission, through the page, with the box ticked.
	if r := alex.Do("POST", api+"/share", map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share latest: %d", r.Status)
	}
	if got := blairView(); !strings.Contains(got, "SECOND-TEXT") {
		t.Fatal("the latest share did not reach Blair")
	}
	cora.Do("POST", api+"/review", map[string]any{"decision": "revise", "comment": "Once more."}, nil)
	r := alexB.Post(page, url.Values{"op": {"submit"}, "version": {"3"}, "share": {"1"}, "a.what_i_did": {"THIRD-TEXT"},
		"a.impact": {"x"}, "a.responsibility": {"x"}, "a.changes": {"Phone open"}, "a.how_you_will_see": {"x"}, "a.no_rushing": {"on"}}, page)
	if r.Status != 303 {
		t.Fatalf("page submit: %d %s", r.Status, r.Body)
	}
	if got := blairView(); !strings.Contains(got, "THIRD-TEXT") {
		t.Fatal("the page's ticked share did not reach Blair")
	}
	// Withdrawing works at any time.
	alex.Do("POST", api+"/share", map[string]any{"shared": false}, nil)
	if r := blair.Do("GET", api, nil, nil); r.Status != 404 {
		t.Fatalf("Blair after the share was withdrawn: %d", r.Status)
	}
	var events []string
	p.app.DB.Select(&events, `SELECT detail FROM audit_log WHERE action = 'response.share' AND object_id = $1 ORDER BY seq`, rid)
	if len(events) != 3 || !strings.Contains(events[0], "submission_id") {
		t.Errorf("share events: %v", events)
	}
}
