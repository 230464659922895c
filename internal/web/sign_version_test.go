package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// Signing names the version read: without it the answer is 422 naming the
// field, not a 409 carrying the current text; a stale one is still 409.
func TestSignWithoutVersionNamesTheField(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	j := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	path := fmt.Sprintf("/api/v1/responses/%d/sign", p.response(t, j, 0).ID)
	for _, body := range []string{`{}`, `{"version":null}`, `{"version":0}`} {
		var out struct {
			Fields  map[string]string
			Answers map[string]any
		}
		r := alex.Do("POST", path, body, &out)
		if r.Status != 422 || out.Fields["version"] == "" || out.Answers != nil || strings.Contains(r.Body, `"answers"`) {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	if r := alex.Do("POST", path, `{"version":7}`, nil); r.Status != 409 {
		t.Errorf("stale version: %d %s", r.Status, r.Body)
	}
}
