package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// A partner who has not accepted their invitation yet is already a client
// of the clinic: inviting their address as counselor is refused (409 naming
// the field), on the page (typed text kept) and in the API.
func TestPendingPartnerCannotBeInvitedAsCounselor(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	ada := p.app.Login("ada@h.test")
	var cora int64
	p.app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	var cp createdCouple
	if r := ada.Do("POST", "/api/v1/couples", map[string]any{"label": "Pat & Quin", "counselor_id": cora,
		"partners": []map[string]string{{"name": "Pat", "email": "pat@x.test"}, {"name": "Quin", "email": "quin@x.test"}}}, &cp); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	var out struct{ Fields map[string]string }
	r := ada.Do("POST", "/api/v1/counselors", map[string]any{"name": "Pat", "email": "PAT@x.test"}, &out)
	if r.Status != 409 || !strings.Contains(out.Fields["email"], "client of this clinic") {
		t.Fatalf("pending partner invited as counselor: %d %s", r.Status, r.Body)
	}
	adaB := p.browser(t, "ada@h.test")
	r = adaB.Post("/admin/counselors", url.Values{"name": {"Pat Typed"}, "email": {"pat@x.test"}}, "/admin/counselors")
	if r.Status != 409 || !strings.Contains(r.Body, "client of this clinic") || !strings.Contains(r.Body, `value="Pat Typed"`) {
		t.Fatalf("page: %d", r.Status)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM invitations WHERE role = 'counselor' AND lower(email) = 'pat@x.test'`)
	if n != 0 {
		t.Fatalf("%d counselor invitations for the partner", n)
	}
}

// A couple's counselor is never one of its partners (nor any client of the
// clinic), even where older data made a partner a counselor: PATCH
// /couples and the couple page refuse with 409, and nothing changes.
func TestCoupleCounselorIsNeverOneOfItsPartners(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	var alex, sol int64
	p.app.DB.Get(&alex, `SELECT id FROM users WHERE email = 'alex@h.test'`)
	p.app.DB.Get(&sol, `SELECT id FROM users WHERE email = 'sol@h.test'`)
	// What the bypass produced: partners who are counselors too.
	p.app.Member(alex, p.clinic, "counselor")
	p.app.Member(sol, p.clinic, "counselor")
	ada := p.app.Login("ada@h.test")
	before := dbDigest(t, p.app)
	for _, c := range []struct {
		counselor int64
		want      string
	}{{alex, "one of this couple's partners"}, {sol, "client of this clinic"}} {
		var out struct{ Fields map[string]string }
		r := ada.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", p.couple), map[string]any{"counselor_id": c.counselor}, &out)
		if r.Status != 409 || !strings.Contains(out.Fields["counselor_id"], c.want) {
			t.Errorf("counselor %d: %d %s", c.counselor, r.Status, r.Body)
		}
	}
	r := p.browser(t, "ada@h.test").Post(fmt.Sprintf("/admin/couples/%d", p.couple), url.Values{"counselor_id": {fmt.Sprint(alex)}},
		fmt.Sprintf("/couples/%d", p.couple))
	if r.Status != 409 || !strings.Contains(r.Body, "one of this couple") {
		t.Errorf("page: %d", r.Status)
	}
	if dbDigest(t, p.app) != before {
		t.Fatal("the couple changed")
	}
}

// Links issued before the other role existed do not join the two: a
// counselor invitation is refused to a client of the clinic, a partner's
// invitation to its staff; a partner cannot be added with the address of a
// pending counselor invitation.
func TestAcceptingAnInvitationKeepsStaffAndClientsApart(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	ada := p.app.Login("ada@h.test")
	var cora int64
	p.app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	// Rae is invited as counselor; a couple naming Rae as partner is refused.
	var inv struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	if r := ada.Do("POST", "/api/v1/counselors", map[string]any{"name": "Rae", "email": "rae@x.test"}, &inv); r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	var out struct{ Fields map[string]string }
	r := ada.Do("POST", "/api/v1/couples", map[string]any{"label": "Rae & Sky", "counselor_id": cora,
		"partners": []map[string]string{{"name": "Sky", "email": "sky@x.test"}, {"name": "Rae", "email": "rae@x.test"}}}, &out)
	if r.Status != 409 || out.Fields["partners.1.email"] == "" {
		t.Fatalf("partner with a pending counselor invitation: %d %s", r.Status, r.Body)
	}
	// Older data: Rae became a partner anyway. The counselor link is refused.
	p.app.Exec(`INSERT INTO partners (couple_id, clinic_id, slot, name, email) VALUES ($1, $2, 'B', 'Rae', 'rae@x.test')`, p.couple2, p.clinic)
	r = p.app.API().Do("POST", "/api/v1/invitations/"+inv.Invitation.Token+"/accept",
		map[string]any{"name": "Rae", "password": apptest.Password}, nil)
	if r.Status != 409 || !strings.Contains(r.Body, "client of Harbor") {
		t.Fatalf("client accepts a counselor link: %d %s", r.Status, r.Body)
	}
	// Quin is invited as a partner, then made a counselor (the command line
	// can): the partner link is refused to the staff account.
	var cp createdCouple
	if r := ada.Do("POST", "/api/v1/couples", map[string]any{"label": "Pat & Quin", "counselor_id": cora,
		"partners": []map[string]string{{"name": "Pat", "email": "pat@x.test"}, {"name": "Quin", "email": "quin@x.test"}}}, &cp); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	p.app.User(p.clinic, "counselor", "quin@x.test", "Quin")
	quin := p.app.Login("quin@x.test")
	r = quin.Do("POST", "/api/v1/invitations/"+cp.Partners[1].Invitation.Token+"/accept", map[string]any{}, nil)
	if r.Status != 409 || !strings.Contains(r.Body, "staff of Harbor") {
		t.Fatalf("staff accepts a partner link: %d %s", r.Status, r.Body)
	}
	var joined, members int
	p.app.DB.Get(&joined, `SELECT count(*) FROM partners WHERE email IN ('rae@x.test', 'quin@x.test') AND user_id IS NOT NULL`)
	p.app.DB.Get(&members, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE u.email IN ('rae@x.test', 'quin@x.test') AND m.role IN ('client', 'counselor')`)
	if joined != 0 || members != 1 { // Quin's counselor membership only
		t.Fatalf("joined %d, memberships %d", joined, members)
	}
}
