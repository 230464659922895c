package web_test

import (
	"fmt"
	"net/url"
	"testing"
)

// The response form ignores author, status, sharing and version fields it
// does not own; the API body too.
func TestResponseFormIgnoresFieldsItDoesNotOwn(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	page := fmt.Sprintf("/responses/%d", rid)
	alexB := p.browser(t, "alex@h.test")
	form := url.Values{"op": {"save"}, "version": {"1"}, "a.what_i_did": {"Mine."}, "status": {"accepted"}, "partner_id": {fmt.Sprint(p.partnerB)},
		"shared": {"true"}, "submitted_at": {"2020-01-01"}, "clinic_id": {"999"}, "couple_id": {fmt.Sprint(p.couple2)}}
	if r := alexB.Post(page, form, page); r.Status != 303 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	r := alex.Do("PUT", "/api/v1"+page, map[string]any{"answers": map[string]any{"what_i_did": "Mine, again."}, "version": 2,
		"status": "accepted", "shared": true, "partner_id": p.partnerB, "clinic_id": 999}, nil)
	if r.Status >= 500 {
		t.Fatalf("api: %d", r.Status)
	}
	var row struct {
		Status    string `db:"status"`
		Shared    bool   `db:"shared"`
		PartnerID int64  `db:"partner_id"`
		CoupleID  int64  `db:"couple_id"`
		ClinicID  int64  `db:"clinic_id"`
		Submitted bool   `db:"submitted"`
	}
	if err := p.app.DB.Get(&row, `SELECT status, shared, partner_id, couple_id, clinic_id, submitted_at IS NOT NULL AS submitted FROM responses WHERE id = $1`, rid); err != nil {
		t.Fatal(err)
	}
	if row.Status != "draft" || row.Shared || row.PartnerID != p.partnerA || row.CoupleID != p.couple || row.ClinicID != p.clinic || row.Submitted {
		t.Fatalf("mass assignment took: %+v", row)
	}
}
