package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// A submitted joint response shows who signed which version and when.
func TestJointSignaturesShownHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	alex.Do("PUT", path, map[string]any{"answers": plan, "version": 1}, nil)
	alex.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)
	blair.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)
	if r := blair.Do("POST", path+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	for _, who := range []string{"cora@h.test", "alex@h.test", "blair@h.test"} {
		body := p.browser(t, who).Get(page).Body
		if !strings.Contains(body, "Signed by Alex (version 2,") || !strings.Contains(body, "Blair (version 2,") {
			t.Errorf("%s does not see the signatures", who)
		}
	}
	// After a revision's edit clears them, the counselor still sees who
	// signed the submitted version.
	cora.Do("POST", path+"/review", map[string]any{"decision": "revise", "comment": "Add one more."}, nil)
	plan["if_crossed"] = "We tell each other the same day."
	alex.Do("PUT", path, map[string]any{"answers": plan, "version": 2}, nil)
	if body := p.browser(t, "cora@h.test").Get(page).Body; !strings.Contains(body, "Signed by Alex (version 2,") || strings.Contains(body, "same day") {
		t.Error("the counselor lost the signatures of the submitted version")
	}
}
