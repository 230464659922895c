package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func (p *practice) reads(t *testing.T, email string) int {
	t.Helper()
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'response.read' AND u.email = $1`, email)
	return n
}

// A revealed-together answer cannot be shared (422 with a field message),
// and its page explains why instead of offering a Share button.
func TestRevealTogetherShareHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each", "reveal": "together"})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	var fe struct{ Fields map[string]string }
	r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["shared"], "once you have both submitted") {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	if r := blair.Do("GET", fmt.Sprintf("/api/v1/responses/%d", rid), nil, nil); r.Status != 404 {
		t.Fatalf("B opens A's unrevealed answer: %d", r.Status)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	alexB := p.browser(t, "alex@h.test")
	body := alexB.Get(page).Body
	if strings.Contains(body, `value="share"`) || !strings.Contains(body, "revealed together") {
		t.Fatal("the page offers Share on a revealed-together answer, or does not explain")
	}
	// The page's form refuses too, with the message, and shares nothing.
	r = alexB.Post(page, url.Values{"op": {"share"}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, "revealed together") {
		t.Fatalf("page share: %d", r.Status)
	}
	var shared bool
	p.app.DB.Get(&shared, `SELECT shared FROM responses WHERE id = $1`, rid)
	if shared {
		t.Fatal("shared anyway")
	}
}
