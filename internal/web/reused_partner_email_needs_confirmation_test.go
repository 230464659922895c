package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// A new couple whose partner has the email of a partner in another couple
// of the clinic (usually a typo, or the same person under another name)
// needs a confirmation: the API answers 409 naming the existing partner
// unless email_reuse_ok, and the page warns beside the field with a link to
// that couple, keeps what was typed and asks for the box to be ticked.
func TestReusedPartnerEmailNeedsConfirmation(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	ada := p.app.Login("ada@h.test")
	var cora int64
	p.app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	body := map[string]any{"label": "Alexa & Kim", "counselor_id": cora, "partners": []map[string]string{
		{"name": "Alexa", "email": "ALEX@h.test"}, {"name": "Kim", "email": "kim@h.test"}}}
	var conflict struct {
		Error    string
		Fields   map[string]string
		Existing []struct {
			Partner  int
			CoupleID int64 `json:"couple_id"`
			Name     string
		}
	}
	r := ada.Do("POST", "/api/v1/couples", body, &conflict)
	if r.Status != 409 || len(conflict.Existing) != 1 || conflict.Existing[0].CoupleID != p.couple || conflict.Existing[0].Name != "Alex" ||
		conflict.Existing[0].Partner != 0 || !strings.Contains(conflict.Fields["partners.0.email"], "Alex") {
		t.Fatalf("reused email: %d %s", r.Status, r.Body)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM couples WHERE label = 'Alexa & Kim'`)
	if n != 0 {
		t.Fatal("the couple was created without confirmation")
	}

	br := p.app.Browser()
	br.Login("ada@h.test")
	form := url.Values{"label": {"Alexa & Kim"}, "counselor_id": {itoa(cora)},
		"p0_name": {"Alexa"}, "p0_email": {"alex@h.test"}, "p1_name": {"Kim"}, "p1_email": {"kim@h.test"}}
	pg := br.Post("/admin/couples", form, "/admin/couples/new")
	if pg.Status != 409 || !strings.Contains(pg.Body, `id="e-p0_email"`) || !strings.Contains(pg.Body, `href="/couples/`+itoa(p.couple)+`"`) ||
		!strings.Contains(pg.Body, `name="email_reuse_ok"`) || !strings.Contains(pg.Body, `value="Alexa &amp; Kim"`) ||
		!strings.Contains(pg.Body, `value="kim@h.test"`) {
		t.Fatalf("page warning: %d\n%s", pg.Status, pg.Body)
	}
	form.Set("email_reuse_ok", "1")
	if r := br.Post("/admin/couples", form, "/admin/couples/new"); r.Status != 303 {
		t.Fatalf("confirmed: %d %s", r.Status, r.Body)
	}
	body["label"] = "Alexa & Kim again"
	body["email_reuse_ok"] = true
	if r := ada.Do("POST", "/api/v1/couples", body, nil); r.Status != 201 {
		t.Fatalf("API confirmed: %d %s", r.Status, r.Body)
	}
}
