package web_test

import (
	"fmt"
	"net/url"
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
func TestPrivacyReviewAdminNoInstructionsHTTP(t *testing.T) {
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

// A safety check stays private when its template is later edited to drop
// the flag: the assignment pins its version.
func TestPrivacyReviewSafetyCheckTemplateEditHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.app.Exec(`UPDATE exercise_templates SET private_to_counselor = false WHERE id = $1`, p.tpl["safety-check"])

	if r := blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil); r.Status != 404 {
		t.Errorf("partner reads the safety check assignment: %d", r.Status)
	}
	if r := blair.Do("GET", "/api/v1/assignments", nil, nil); strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, a.ID)) {
		t.Errorf("partner lists the safety check: %s", r.Body)
	}
	blairB := p.browser(t, "blair@h.test")
	if body := blairB.Get("/").Body; strings.Contains(body, fmt.Sprintf("/assignments/%d", a.ID)) || strings.Contains(strings.ToLower(body), "safety check") {
		t.Error("partner's home shows the safety check")
	}
	if r := blairB.Get(fmt.Sprintf("/assignments/%d", a.ID)); r.Status != 404 {
		t.Errorf("partner opens the safety check page: %d", r.Status)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil); r.Status != 422 {
		t.Errorf("share the safety check: %d %s", r.Status, r.Body)
	}
}

// A withdrawn exercise is not reviewed, and leaves the queue.
func TestPrivacyReviewCancelledNotReviewedHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", a.ID), map[string]any{"status": "cancelled"}, nil); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "accept"}, nil); r.Status != 409 {
		t.Errorf("review of a withdrawn exercise: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("GET", "/api/v1/review-queue", nil, nil); strings.Contains(r.Body, fmt.Sprintf(`"response_id":%d`, rid)) {
		t.Errorf("withdrawn work queued: %s", r.Body)
	}
	if r := cora.Do("GET", "/api/v1/counts", nil, nil); !strings.Contains(r.Body, `"awaiting_review":0`) {
		t.Errorf("withdrawn work counted: %s", r.Body)
	}
	coraB := p.browser(t, "cora@h.test")
	if r := coraB.Get(fmt.Sprintf("/responses/%d", rid)); r.Status != 200 || strings.Contains(r.Body, fmt.Sprintf(`action="/responses/%d/review"`, rid)) {
		t.Errorf("the page offers a review of withdrawn work: %d", r.Status)
	}
	var status string
	p.app.DB.Get(&status, `SELECT status FROM responses WHERE id = $1`, rid)
	if status != "submitted" {
		t.Errorf("status changed to %s", status)
	}
}

// The response form ignores author, status, sharing and version fields it
// does not own; the API body too.
func TestPrivacyReviewResponseMassAssignment(t *testing.T) {
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

// The autosave endpoint: no answers in anyone's error body, and a token of
// another session is refused.
func TestPrivacyReviewAutosaveBodies(t *testing.T) {
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share: %d", r.Status)
	}
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "revise", "comment": "Say more."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	// Alex's new draft, which nobody else may read.
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": map[string]any{"what_i_did": "NEW-DRAFT-TEXT"}, "version": 2}, nil); r.Status != 200 {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	auto := page + "/autosave"
	blairB, coraB := p.browser(t, "blair@h.test"), p.browser(t, "cora@h.test")
	for name, b := range map[string]*apptest.Browser{"blair": blairB, "cora": coraB} {
		body := b.Get(page)
		if body.Status != 200 || strings.Contains(body.Body, "NEW-DRAFT-TEXT") || !strings.Contains(body.Body, "I hid the messages.") {
			t.Errorf("%s page: %d (must show the submitted text, never the new draft)", name, body.Status)
		}
		if strings.Contains(body.Body, "Say more.") && name == "blair" {
			t.Error("partner sees the counselor's feedback")
		}
		tok := b.CSRF("/")
		r := b.PostRaw(auto, url.Values{"csrf_token": {tok}, "version": {"1"}, "a.what_i_did": {"overwrite"}})
		if r.Status != 404 && r.Status != 403 || strings.Contains(r.Body, "NEW-DRAFT-TEXT") || strings.Contains(r.Body, "I hid") {
			t.Errorf("%s autosave: %d %s", name, r.Status, r.Body)
		}
		if r := b.Get(page + "/print"); strings.Contains(r.Body, "NEW-DRAFT-TEXT") {
			t.Errorf("%s print shows the draft", name)
		}
	}
	for name, api := range map[string]*apptest.API{"blair": p.app.Login("blair@h.test"), "cora": cora} {
		r := api.Do("PUT", "/api/v1"+page, map[string]any{"answers": map[string]any{}, "version": 1}, nil)
		if r.Status == 409 || strings.Contains(r.Body, "NEW-DRAFT-TEXT") {
			t.Errorf("%s stale save sees the draft: %d %s", name, r.Status, r.Body)
		}
	}
	// A CSRF token from another session is refused.
	alexB := p.browser(t, "alex@h.test")
	if r := alexB.PostRaw(auto, url.Values{"csrf_token": {blairB.CSRF("/")}, "version": {"3"}, "a.what_i_did": {"x"}}); r.Status != 403 {
		t.Errorf("foreign CSRF token: %d", r.Status)
	}
	var ver int
	p.app.DB.Get(&ver, `SELECT version FROM responses WHERE id = $1`, rid)
	if ver != 3 {
		t.Errorf("version %d, want 3: someone else's write went through", ver)
	}
}
