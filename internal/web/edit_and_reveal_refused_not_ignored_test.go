package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Editing an assignment refuses a due date in the past, as assigning
// does: the API with 422 and fields.due_at, the page with the message
// beside the field and what was typed kept. An overdue date sent back
// unchanged (the edit form always sends it) does not block other edits.
func TestEditRefusesPastDueDate(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	path := fmt.Sprintf("/api/v1/assignments/%d", a.ID)
	past := time.Now().Add(-72 * time.Hour).UTC().Format(time.RFC3339)
	var fe struct {
		Error  string
		Fields map[string]string
	}
	r := cora.Do("PATCH", path, map[string]any{"due_at": past}, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["due_at"], "in the past") {
		t.Fatalf("API past due date: %d %s", r.Status, r.Body)
	}
	var due *time.Time
	p.app.DB.Get(&due, `SELECT due_at FROM assignments WHERE id = $1`, a.ID)
	if due != nil {
		t.Fatalf("saved anyway: %v", due)
	}
	future := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	if r := cora.Do("PATCH", path, map[string]any{"due_at": future}, nil); r.Status != 200 {
		t.Fatalf("future due date: %d %s", r.Status, r.Body)
	}

	page := fmt.Sprintf("/assignments/%d", a.ID)
	coraB := p.browser(t, "cora@h.test")
	pastDay := time.Now().AddDate(0, 0, -5).Format("2006-01-02")
	r = coraB.Post(page, url.Values{"op": {"update"}, "due_date": {pastDay}, "instructions": {"Typed and kept"}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, "The due date is in the past.") || !strings.Contains(r.Body, "Typed and kept") ||
		!strings.Contains(r.Body, pastDay) {
		t.Fatalf("page past due date: %d", r.Status)
	}
	var instr string
	p.app.DB.Get(&instr, `SELECT instructions FROM assignments WHERE id = $1`, a.ID)
	if instr == "Typed and kept" {
		t.Fatal("page saved the edit with a past due date")
	}

	// An assignment already overdue keeps its date while its instructions change.
	p.app.DB.MustExec(`UPDATE assignments SET due_at = now() - interval '5 days' WHERE id = $1`, a.ID)
	var keep time.Time
	p.app.DB.Get(&keep, `SELECT due_at FROM assignments WHERE id = $1`, a.ID)
	if r := cora.Do("PATCH", path, map[string]any{"due_at": keep.UTC().Format(time.RFC3339Nano), "instructions": "New words"}, nil); r.Status != 200 {
		t.Fatalf("unchanged overdue date blocks an edit: %d %s", r.Status, r.Body)
	}
}

// "Reveal together" only fits each-partner work: with one partner (or
// joint) it is refused, 422 with fields.reveal from the API and the
// message beside the box on the page (what was typed kept), not dropped.
func TestRevealTogetherWithOnePartnerRefused(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	var fe struct{ Fields map[string]string }
	r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), map[string]any{
		"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA, "reveal": "together"}, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["reveal"], "each-partner") {
		t.Fatalf("API: %d %s", r.Status, r.Body)
	}
	form := fmt.Sprintf("/couples/%d/assign", p.couple)
	coraB := p.browser(t, "cora@h.test")
	r = coraB.Post(form, url.Values{"template_id": {fmt.Sprint(p.tpl["apology-letter"])}, "mode": {"individual"},
		"partner_id": {fmt.Sprint(p.partnerA)}, "reveal": {"together"}, "instructions": {"Please keep this"}}, form)
	if r.Status != 422 || !strings.Contains(r.Body, "Reveal together is for each-partner exercises") || !strings.Contains(r.Body, "Please keep this") {
		t.Fatalf("page: %d", r.Status)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM assignments WHERE couple_id = $1`, p.couple)
	if n != 0 {
		t.Fatalf("%d assignments made", n)
	}
}
