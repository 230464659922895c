package web_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// Writing one's own draft discloses nothing, so it is no audit event: the
// autosave, the Save button, the API's PUT and signing a joint draft leave
// the trail (page and API, as the admin reads them) exactly as it was.
// Submissions, shares, reads and reviews stay audited.
func TestDraftingIsNotAnAuditEvent(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	asg := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	plan := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid, jid := p.response(t, asg, p.partnerA).ID, p.response(t, plan, 0).ID
	alexB, adaB, ada := p.browser(t, "alex@h.test"), p.browser(t, "ada@h.test"), p.app.Login("ada@h.test")
	tok := alexB.CSRF("/")
	trail := func() string {
		return mask(adaB.Get("/admin/audit").Body) + mask(ada.Do("GET", "/api/v1/audit?limit=200", nil, nil).Body)
	}
	before := trail()

	page := fmt.Sprintf("/responses/%d", rid)
	if r := alexB.PostRaw(page+"/autosave", url.Values{"csrf_token": {tok}, "version": {"1"}, "a.what_i_did": {"typed"}}); r.Status != 200 {
		t.Fatalf("autosave: %d %s", r.Status, r.Body)
	}
	if r := alexB.PostRaw(page, url.Values{"csrf_token": {tok}, "op": {"save"}, "version": {"2"}, "a.what_i_did": {"typed more"}}); r.Status != 303 {
		t.Fatalf("save: %d", r.Status)
	}
	if r := alex.Do("PUT", "/api/v1"+page, map[string]any{"answers": letter, "version": 3}, nil); r.Status != 200 {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	jpath := fmt.Sprintf("/api/v1/responses/%d", jid)
	worksheet := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	alex.Do("PUT", jpath, map[string]any{"answers": worksheet, "version": 1}, nil)
	for name, c := range map[string]*apptest.API{"alex": alex, "blair": blair} {
		if r := c.Do("POST", jpath+"/sign", map[string]any{"version": 2}, nil); r.Status != 200 {
			t.Fatalf("%s signs: %d %s", name, r.Status, r.Body)
		}
	}
	if after := trail(); after != before {
		t.Fatalf("drafting changed the audit trail:\n%s", firstDiff(before, after))
	}
	var drafted int
	p.app.DB.Get(&drafted, `SELECT count(*) FROM audit_log WHERE action IN ('response.save', 'response.sign')`)
	if drafted != 0 {
		t.Fatalf("%d drafting events", drafted)
	}

	// What is not drafting stays audited.
	alex.Do("POST", "/api/v1"+page+"/submit", nil, nil)
	alex.Do("POST", "/api/v1"+page+"/share", map[string]any{"shared": true}, nil)
	blair.Do("GET", "/api/v1"+page, nil, nil)
	cora.Do("POST", "/api/v1"+page+"/review", map[string]any{"decision": "accept"}, nil)
	alex.Do("POST", jpath+"/submit", nil, nil)
	for _, action := range []string{"response.submit", "response.share", "response.read", "response.review"} {
		var n int
		p.app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = $1`, action)
		if n == 0 {
			t.Errorf("%s not audited", action)
		}
	}
}
