package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

func (p *practice) browser(t *testing.T, email string) *apptest.Browser {
	t.Helper()
	b := p.app.Browser()
	b.Login(email)
	return b
}

// submitLetter has Alex write and submit his apology letter.
func (p *practice) submitLetter(t *testing.T, alex *apptest.API, rid int64) {
	t.Helper()
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
}

// The counselor's instructions to a couple are clinical content: the admin
// gets statuses and dates only, in the API detail and list, the assignment
// page and the couple page's timeline.
func TestAdminsGetNoInstructionsHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, ada := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("ada@h.test")
	const secret = "Name the affair with Sam plainly."
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA, "instructions": secret})
	for _, path := range []string{fmt.Sprintf("/api/v1/assignments/%d", a.ID), "/api/v1/assignments", fmt.Sprintf("/api/v1/assignments?couple_id=%d", p.couple)} {
		r := ada.Do("GET", path, nil, nil)
		if r.Status != 200 || strings.Contains(r.Body, "affair with Sam") {
			t.Errorf("admin %s: %d %s", path, r.Status, r.Body)
		}
	}
	adaB := p.browser(t, "ada@h.test")
	for _, path := range []string{fmt.Sprintf("/assignments/%d", a.ID), fmt.Sprintf("/couples/%d", p.couple)} {
		r := adaB.Get(path)
		if r.Status != 200 || strings.Contains(r.Body, "affair with Sam") {
			t.Errorf("admin page %s: %d", path, r.Status)
		}
	}
	// The couple and their counselor keep them.
	for name, api := range map[string]*apptest.API{"cora": cora, "alex": alex} {
		if r := api.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil); !strings.Contains(r.Body, "affair with Sam") {
			t.Errorf("%s lost the instructions: %d", name, r.Status)
		}
	}
}
