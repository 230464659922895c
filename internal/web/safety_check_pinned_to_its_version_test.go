package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// A safety check stays private when its template is later edited to drop
// the flag: the assignment pins its version.
func TestSafetyCheckPinnedToItsVersionHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.app.Exec(`UPDATE exercise_templates SET private_to_counselor = false WHERE id = $1`, p.tpl["safety-check"])

	if r := blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil); r.Status != 404 {
		t.Errorf("partner reads the safety check assignment: %d", r.Status)
	}
	if r := blair.Do("GET", "/api/v1/assignments", nil, nil); strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, a.ID)) {
		t.Errorf("partner lists the safety check: %s", r.Body)
	}
	blairB := p.browser(t, "blair@h.test")
	if body := blairB.Get("/").Body; strings.Contains(body, fmt.Sprintf("/assignments/%d", a.ID)) || strings.Contains(strings.ToLower(body), "safety check") {
		t.Error("partner's home shows the safety check")
	}
	if r := blairB.Get(fmt.Sprintf("/assignments/%d", a.ID)); r.Status != 404 {
		t.Errorf("partner opens the safety check page: %d", r.Status)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil); r.Status != 422 {
		t.Errorf("share the safety check: %d %s", r.Status, r.Body)
	}
}
