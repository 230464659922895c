package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// Autosave and the Save button read nothing out: no read is audited, and
// writing one's draft is no audit event either. The other partner's draft
// carries no version in API bodies.
func TestSavePathsAuditNoReadHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	page := fmt.Sprintf("/responses/%d", rid)
	alexB := p.browser(t, "alex@h.test")
	tok := alexB.CSRF("/")
	before := p.reads(t, "alex@h.test")
	r := alexB.PostRaw(page+"/autosave", url.Values{"csrf_token": {tok}, "version": {"1"}, "a.what_i_did": {"AUTOSAVED-SECRET"}})
	if r.Status != 200 {
		t.Fatalf("autosave: %d %s", r.Status, r.Body)
	}
	r = alexB.PostRaw(page, url.Values{"csrf_token": {tok}, "op": {"save"}, "version": {"2"}, "a.what_i_did": {"SAVED-SECRET"}})
	if r.Status != 303 {
		t.Fatalf("save: %d", r.Status)
	}
	if n := p.reads(t, "alex@h.test"); n != before {
		t.Errorf("save paths audited %d reads", n-before)
	}
	var events int
	p.app.DB.Get(&events, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action LIKE 'response.%'`, rid)
	if events != 0 {
		t.Fatalf("draft saves audited: %d events", events)
	}
	// The partner and the counselor: the draft's version is not theirs to know.
	for _, who := range []string{"blair@h.test", "cora@h.test", "ada@h.test"} {
		r := p.app.Login(who).Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"version":null`) || strings.Contains(r.Body, `"version":3`) {
			t.Errorf("%s sees the draft's version: %s", who, r.Body)
		}
	}
}
