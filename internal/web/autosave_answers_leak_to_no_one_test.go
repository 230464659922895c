package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// The autosave endpoint: no answers in anyone's error body, and a token of
// another session is refused.
func TestAutosaveAnswersLeakToNoOne(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share: %d", r.Status)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "revise", "comment": "Say more."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	// Alex's new draft, which nobody else may read.
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": map[string]any{"what_i_did": "NEW-DRAFT-TEXT"}, "version": 2}, nil); r.Status != 200 {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	auto := page + "/autosave"
	blairB, coraB := p.browser(t, "blair@h.test"), p.browser(t, "cora@h.test")
	for name, b := range map[string]*apptest.Browser{"blair": blairB, "cora": coraB} {
		body := b.Get(page)
		if body.Status != 200 || strings.Contains(body.Body, "NEW-DRAFT-TEXT") || !strings.Contains(body.Body, "I hid the messages.") {
			t.Errorf("%s page: %d (must show the submitted text, never the new draft)", name, body.Status)
		}
		if strings.Contains(body.Body, "Say more.") && name == "blair" {
			t.Error("partner sees the counselor's feedback")
		}
		tok := b.CSRF("/")
		r := b.PostRaw(auto, url.Values{"csrf_token": {tok}, "version": {"1"}, "a.what_i_did": {"overwrite"}})
		if r.Status != 404 && r.Status != 403 || strings.Contains(r.Body, "NEW-DRAFT-TEXT") || strings.Contains(r.Body, "I hid") {
			t.Errorf("%s autosave: %d %s", name, r.Status, r.Body)
		}
		if r := b.Get(page + "/print"); strings.Contains(r.Body, "NEW-DRAFT-TEXT") {
			t.Errorf("%s print shows the draft", name)
		}
	}
	for name, api := range map[string]*apptest.API{"blair": p.app.Login("blair@h.test"), "cora": cora} {
		r := api.Do("PUT", "/api/v1"+page, map[string]any{"answers": map[string]any{}, "version": 1}, nil)
		if r.Status == 409 || strings.Contains(r.Body, "NEW-DRAFT-TEXT") {
			t.Errorf("%s stale save sees the draft: %d %s", name, r.Status, r.Body)
		}
	}
	// A CSRF token from another session is refused.
	alexB := p.browser(t, "alex@h.test")
	if r := alexB.PostRaw(auto, url.Values{"csrf_token": {blairB.CSRF("/")}, "version": {"3"}, "a.what_i_did": {"x"}}); r.Status != 403 {
		t.Errorf("foreign CSRF token: %d", r.Status)
	}
	var ver int
	p.app.DB.Get(&ver, `SELECT version FROM responses WHERE id = $1`, rid)
	if ver != 3 {
		t.Errorf("version %d, want 3: someone else's write went through", ver)
	}
}
