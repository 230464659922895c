package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// An admin who also counsels may take a couple over, but as a deliberate,
// visible act: assigning a couple to oneself needs a reason (422 without,
// page and API, the typed text kept), writes its own audit event, shows on
// every admin's home as something to look at, and tells the previous
// counselor on theirs. An ordinary reassignment needs none of it.
func TestTakingOverACoupleIsDeliberateAndVisible(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	var ada int64
	p.app.DB.Get(&ada, `SELECT id FROM users WHERE email = 'ada@h.test'`)
	p.app.Member(ada, p.clinic, "counselor") // a small practice: the admin also counsels
	p.app.User(p.clinic, "clinic_admin", "abe@h.test", "Abe")
	adaAPI := p.app.Login("ada@h.test")
	path := fmt.Sprintf("/api/v1/couples/%d", p.couple)
	before := dbDigest(t, p.app)
	for _, body := range []map[string]any{{"counselor_id": ada}, {"counselor_id": ada, "reason": "   "}} {
		var out struct{ Fields map[string]string }
		if r := adaAPI.Do("PATCH", path, body, &out); r.Status != 422 || out.Fields["reason"] == "" {
			t.Fatalf("takeover %v: %d %s", body, r.Status, r.Body)
		}
	}
	adaB := p.browser(t, "ada@h.test")
	page := fmt.Sprintf("/couples/%d", p.couple)
	if !strings.Contains(adaB.Get(page).Body, `name="reason"`) {
		t.Fatal("the couple page has no reason field for the admin who counsels")
	}
	r := adaB.Post("/admin/couples/"+fmt.Sprint(p.couple), url.Values{"counselor_id": {fmt.Sprint(ada)}, "label": {"Alex & Blair, typed"}, "reason": {""}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-reason"`) || !strings.Contains(r.Body, "Alex &amp; Blair, typed") {
		t.Fatalf("page without a reason: %d", r.Status)
	}
	if dbDigest(t, p.app) != before {
		t.Fatal("a refused takeover changed something")
	}
	const reason = "Dr. Cora is on leave until March; I see them meanwhile."
	r = adaB.Post("/admin/couples/"+fmt.Sprint(p.couple), url.Values{"counselor_id": {fmt.Sprint(ada)}, "label": {"Alex & Blair"}, "reason": {reason}}, page)
	if r.Status != 303 {
		t.Fatalf("takeover: %d %s", r.Status, r.Body)
	}
	var actions []string
	p.app.DB.Select(&actions, `SELECT action FROM audit_log WHERE couple_id = $1 AND action LIKE 'couple.%' ORDER BY seq`, p.couple)
	if strings.Join(actions, ",") != "couple.takeover" {
		t.Fatalf("audit: %v", actions)
	}
	// Every admin sees it; the previous counselor is told; nobody else.
	for _, who := range []string{"ada@h.test", "abe@h.test", "cora@h.test"} {
		body := p.browser(t, who).Get("/").Body
		if !strings.Contains(body, "took over") || !strings.Contains(body, "Alex &amp; Blair") || !strings.Contains(body, "on leave until March") {
			t.Errorf("%s's home does not show the takeover", who)
		}
	}
	if body := p.browser(t, "carl@h.test").Get("/").Body; strings.Contains(body, "took over") {
		t.Error("another counselor is told of it")
	}
	// An ordinary reassignment: no reason, its own event, no notice.
	var carl int64
	p.app.DB.Get(&carl, `SELECT id FROM users WHERE email = 'carl@h.test'`)
	if r := adaAPI.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", p.couple2), map[string]any{"counselor_id": carl}, nil); r.Status != 200 {
		t.Fatalf("reassign: %d %s", r.Status, r.Body)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM couple_takeovers`)
	actions = nil
	p.app.DB.Select(&actions, `SELECT action FROM audit_log WHERE couple_id = $1 AND action LIKE 'couple.%'`, p.couple2)
	if n != 1 || strings.Join(actions, ",") != "couple.reassign" {
		t.Fatalf("reassignment: %d takeovers, %v", n, actions)
	}
	// The API takes the reason too.
	if r := adaAPI.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", p.couple2), map[string]any{"counselor_id": ada, "reason": "Carl asked me to."}, nil); r.Status != 200 {
		t.Fatalf("API takeover: %d %s", r.Status, r.Body)
	}
	if body := p.browser(t, "carl@h.test").Get("/").Body; !strings.Contains(body, "Carl asked me to.") {
		t.Error("Carl is not told that his couple was taken over")
	}
}
