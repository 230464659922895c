package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Assigning the same recurring exercise again to a partner it already
// reaches needs a confirmation: the API answers 409 with the existing
// assignment's id unless duplicate_ok, and the page warns (with a link to
// it and what was typed kept) and asks for the box to be ticked.
func TestDuplicateRecurringWorkNeedsConfirmation(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	until := time.Now().AddDate(0, 0, 10).Format("2006-01-02")
	body := func() map[string]any {
		return map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "recurrence": map[string]any{"every": "day", "until": until}}
	}
	first := p.assign(t, cora, body())
	path := fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple)
	var conflict struct {
		Error    string
		Existing int64
	}
	r := cora.Do("POST", path, body(), &conflict)
	if r.Status != 409 || conflict.Existing != first.ID || !strings.Contains(conflict.Error, "already assigned to both partners since") {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	// One partner is reached by the each-partner one too.
	one := body()
	one["mode"], one["partner_id"] = "individual", p.partnerB
	if r := cora.Do("POST", path, one, nil); r.Status != 409 {
		t.Fatalf("one partner already reached: %d %s", r.Status, r.Body)
	}
	ok := body()
	ok["duplicate_ok"] = true
	if r := cora.Do("POST", path, ok, nil); r.Status != 201 {
		t.Fatalf("duplicate_ok: %d %s", r.Status, r.Body)
	}
	form := fmt.Sprintf("/couples/%d/assign", p.couple)
	coraB := p.browser(t, "cora@h.test")
	vals := url.Values{"template_id": {fmt.Sprint(p.tpl["daily-check-in"])}, "mode": {"each"}, "repeat": {"day"}, "until": {until},
		"instructions": {"Keep these words"}}
	r = coraB.Post(form, vals, form)
	if r.Status != 422 || !strings.Contains(r.Body, "is already assigned to both partners since") ||
		!strings.Contains(r.Body, fmt.Sprintf(`href="/assignments/%d"`, first.ID)) || !strings.Contains(r.Body, `name="duplicate_ok"`) ||
		!strings.Contains(r.Body, "Keep these words") {
		t.Fatalf("page warning: %d", r.Status)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM assignments WHERE couple_id = $1`, p.couple)
	if n != 2 {
		t.Fatalf("%d assignments before confirming", n)
	}
	vals.Set("duplicate_ok", "1")
	if r := coraB.Post(form, vals, form); r.Status != 200 && r.Status != 303 {
		t.Fatalf("confirmed: %d", r.Status)
	}
	p.app.DB.Get(&n, `SELECT count(*) FROM assignments WHERE couple_id = $1`, p.couple)
	if n != 3 {
		t.Fatalf("%d assignments after confirming", n)
	}
}
