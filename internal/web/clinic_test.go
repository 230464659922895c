package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// clinicFixture is two clinics: A with an admin, two counselors and a
// client-less couple created through the API; B with its own admin,
// counselor and couple.
type clinicFixture struct {
	app                 *apptest.App
	a, b                int64
	coun1, coun2, counB int64
	coupleA, coupleB    createdCouple
	admin               *apptest.API
}

type createdCouple struct {
	ID       int64  `json:"id"`
	Label    string `json:"label"`
	Status   string `json:"status"`
	Partners []struct {
		ID         int64  `json:"id"`
		Name       string `json:"name"`
		Email      string `json:"email"`
		Invitation struct {
			Token     string `json:"token"`
			URL       string `json:"url"`
			ExpiresAt string `json:"expires_at"`
		} `json:"invitation"`
	} `json:"partners"`
}

func clinicSetup(t *testing.T) *clinicFixture {
	t.Helper()
	app := apptest.New(t)
	f := &clinicFixture{app: app, a: app.Clinic("Harbor"), b: app.Clinic("Northside")}
	app.User(f.a, "clinic_admin", "admin@a.test", "Ada Admin")
	f.coun1 = app.User(f.a, "counselor", "coun1@a.test", "Cora Counselor")
	f.coun2 = app.User(f.a, "counselor", "coun2@a.test", "Carl Counselor")
	app.User(f.b, "clinic_admin", "admin@b.test", "Bea Admin")
	f.counB = app.User(f.b, "counselor", "coun@b.test", "Bo Counselor")
	f.admin = app.Login("admin@a.test")
	f.coupleA = f.createCouple(t, f.admin, "Rivera & Chen", f.coun1, "ana@x.test", "ben@x.test")
	f.coupleB = f.createCouple(t, app.Login("admin@b.test"), "Other & Clinic", f.counB, "o1@x.test", "o2@x.test")
	return f
}

func (f *clinicFixture) createCouple(t *testing.T, api *apptest.API, label string, counselor int64, e1, e2 string) createdCouple {
	t.Helper()
	var c createdCouple
	r := api.Do("POST", "/api/v1/couples", map[string]any{"label": label, "counselor_id": counselor,
		"partners": []map[string]string{{"name": "Partner " + e1, "email": e1}, {"name": "Partner " + e2, "email": e2}}}, &c)
	if r.Status != http.StatusCreated {
		t.Fatalf("create couple: %d %s", r.Status, r.Body)
	}
	return c
}

func TestClinicCreateCoupleAPI(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	c := f.coupleA
	if c.Status != "active" || len(c.Partners) != 2 {
		t.Fatalf("couple %+v", c)
	}
	for _, p := range c.Partners {
		inv := p.Invitation
		if len(inv.Token) < 40 || !strings.HasSuffix(inv.URL, "/invitations/"+inv.Token) || inv.ExpiresAt == "" {
			t.Errorf("invitation %+v", inv)
		}
		var n int
		f.app.DB.Get(&n, `SELECT count(*) FROM invitations WHERE token_hash = $1::bytea`, []byte(inv.Token))
		if n != 0 {
			t.Error("token stored in clear")
		}
	}
	var days float64
	f.app.DB.Get(&days, `SELECT extract(epoch FROM expires_at - created_at) / 86400 FROM invitations ORDER BY id DESC LIMIT 1`)
	if days < 6.99 || days > 7.01 {
		t.Errorf("invitation valid %.2f days, want 7", days)
	}
	// Mass assignment: clinic_id, id, status are ignored.
	var got createdCouple
	r := f.admin.Do("POST", "/api/v1/couples", map[string]any{"label": "Mass & Assign", "counselor_id": f.coun1, "clinic_id": f.b,
		"id": 999999, "status": "closed", "partners": []map[string]any{{"name": "X", "email": "x1@x.test", "clinic_id": f.b}, {"name": "Y", "email": "y1@x.test"}}}, &got)
	if r.Status != 201 || got.ID == 999999 || got.Status != "active" {
		t.Fatalf("mass assignment: %d %s", r.Status, r.Body)
	}
	var clinic int64
	f.app.DB.Get(&clinic, `SELECT clinic_id FROM couples WHERE id = $1`, got.ID)
	if clinic != f.a {
		t.Errorf("couple landed in clinic %d", clinic)
	}
	// A counselor of another clinic cannot be assigned.
	r = f.admin.Do("POST", "/api/v1/couples", map[string]any{"label": "Bad", "counselor_id": f.counB,
		"partners": []map[string]string{{"name": "X", "email": "x2@x.test"}, {"name": "Y", "email": "y2@x.test"}}}, nil)
	if r.Status != 422 || !strings.Contains(r.Body, "counselor_id") {
		t.Errorf("foreign counselor: %d %s", r.Status, r.Body)
	}
	// Validation: one partner, bad email.
	r = f.admin.Do("POST", "/api/v1/couples", map[string]any{"label": "", "counselor_id": f.coun1,
		"partners": []map[string]string{{"name": "X", "email": "nope"}}}, nil)
	if r.Status != 422 || !strings.Contains(r.Body, `"label"`) || !strings.Contains(r.Body, "partners.0.email") {
		t.Errorf("validation: %d %s", r.Status, r.Body)
	}
	// The audit trail records ids, not names.
	var detail string
	f.app.DB.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'couple.create' ORDER BY seq DESC LIMIT 1`)
	if strings.Contains(detail, "Mass") || strings.Contains(detail, "@") {
		t.Errorf("audit detail leaks personal data: %s", detail)
	}
}

func TestClinicOtherClinicIs404(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	b := f.coupleB
	var invB int64
	f.app.DB.Get(&invB, `SELECT id FROM invitations WHERE partner_id = $1`, b.Partners[0].ID)
	pA := f.coupleA.Partners[0].ID
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", fmt.Sprintf("/api/v1/couples/%d", b.ID), nil},
		{"PATCH", fmt.Sprintf("/api/v1/couples/%d", b.ID), map[string]any{"status": "paused"}},
		{"GET", fmt.Sprintf("/api/v1/counselors/%d", f.counB), nil},
		{"PATCH", fmt.Sprintf("/api/v1/counselors/%d", f.counB), map[string]any{"active": false}},
		{"POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", b.ID, b.Partners[0].ID), nil},
		{"POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", f.coupleA.ID, b.Partners[0].ID), nil},
		{"POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", b.ID, pA), nil},
		{"POST", fmt.Sprintf("/api/v1/invitation-links/%d/resend", invB), nil},
		{"DELETE", fmt.Sprintf("/api/v1/invitation-links/%d", invB), nil},
	} {
		if r := f.admin.Do(c.method, c.path, c.body, nil); r.Status != 404 {
			t.Errorf("%s %s = %d, want 404: %s", c.method, c.path, r.Status, r.Body)
		}
	}
	// Naming clinic B's counselor on a clinic-A couple is a field error, not a change.
	if r := f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"counselor_id": f.counB}, nil); r.Status != 422 {
		t.Errorf("foreign counselor on own couple = %d", r.Status)
	}
	br := f.app.Browser()
	br.Login("admin@a.test")
	if r := br.Get(fmt.Sprintf("/couples/%d", b.ID)); r.Status != 404 {
		t.Errorf("page couple B = %d", r.Status)
	}
	for _, p := range []string{
		fmt.Sprintf("/admin/couples/%d", b.ID),
		fmt.Sprintf("/admin/couples/%d/partners/%d/invitation", b.ID, b.Partners[0].ID),
		fmt.Sprintf("/admin/counselors/%d/active", f.counB),
		fmt.Sprintf("/admin/invitations/%d/resend", invB),
		fmt.Sprintf("/admin/invitations/%d/revoke", invB),
	} {
		if r := br.Post(p, url.Values{"status": {"paused"}, "active": {"false"}}); r.Status != 404 {
			t.Errorf("POST %s = %d", p, r.Status)
		}
	}
	// Nothing in clinic B changed.
	var status string
	var revoked int
	f.app.DB.Get(&status, `SELECT status FROM couples WHERE id = $1`, b.ID)
	f.app.DB.Get(&revoked, `SELECT count(*) FROM invitations WHERE clinic_id = $1 AND revoked_at IS NOT NULL`, f.b)
	if status != "active" || revoked != 0 {
		t.Errorf("clinic B changed: %s, %d revoked", status, revoked)
	}
}

func TestClinicCounselorForbiddenAdminActions(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	api := f.app.Login("coun1@a.test")
	id := f.coupleA.ID
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/couples", nil},
		{"POST", "/api/v1/couples", map[string]any{"label": "X"}},
		{"PATCH", fmt.Sprintf("/api/v1/couples/%d", id), map[string]any{"status": "paused"}},
		{"POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", id, f.coupleA.Partners[0].ID), nil},
		{"GET", "/api/v1/counselors", nil},
		{"POST", "/api/v1/counselors", map[string]any{"name": "X", "email": "x@x.test"}},
		{"PATCH", fmt.Sprintf("/api/v1/counselors/%d", f.coun2), map[string]any{"active": false}},
		{"GET", "/api/v1/caseloads", nil},
	} {
		if r := api.Do(c.method, c.path, c.body, nil); r.Status != 403 {
			t.Errorf("%s %s = %d", c.method, c.path, r.Status)
		}
	}
	br := f.app.Browser()
	br.Login("coun1@a.test")
	for _, p := range []string{"/admin/couples", "/admin/couples/new", "/admin/counselors", "/admin/caseloads"} {
		if r := br.Get(p); r.Status != 403 {
			t.Errorf("GET %s = %d", p, r.Status)
		}
	}
	if r := br.Post(fmt.Sprintf("/admin/couples/%d", id), url.Values{"status": {"closed"}}); r.Status != 403 {
		t.Errorf("POST manage = %d", r.Status)
	}
	// A client has neither.
	cl := f.app.Browser()
	f.app.User(f.a, "client", "client@a.test", "Cliff Client")
	cl.Login("client@a.test")
	if r := cl.Get("/admin/couples"); r.Status != 403 {
		t.Errorf("client /admin/couples = %d", r.Status)
	}
	if r := cl.Get("/caseload"); r.Status != 403 {
		t.Errorf("client /caseload = %d", r.Status)
	}
}

func TestClinicReassignedCounselorLosesAccess(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	id := f.coupleA.ID
	c1, c2 := f.app.Login("coun1@a.test"), f.app.Login("coun2@a.test")
	b1, b2 := f.app.Browser(), f.app.Browser()
	b1.Login("coun1@a.test")
	b2.Login("coun2@a.test")
	path := fmt.Sprintf("/couples/%d", id)
	if r := c1.Do("GET", "/api/v1"+path, nil, nil); r.Status != 200 {
		t.Fatalf("own couple = %d", r.Status)
	}
	if r := b1.Get(path); r.Status != 200 || !strings.Contains(r.Body, "Rivera &amp; Chen") || strings.Contains(r.Body, "Manage") {
		t.Fatalf("own couple page = %d", r.Status)
	}
	if r := b1.Get("/caseload"); !strings.Contains(r.Body, "Rivera &amp; Chen") {
		t.Error("caseload misses the couple")
	}
	if r := c2.Do("GET", "/api/v1"+path, nil, nil); r.Status != 404 {
		t.Errorf("other counselor API = %d", r.Status)
	}
	if r := b2.Get(path); r.Status != 404 {
		t.Errorf("other counselor page = %d", r.Status)
	}
	if r := b2.Get("/caseload"); strings.Contains(r.Body, "Rivera") {
		t.Error("other counselor's caseload shows the couple")
	}
	// Reassign (API), then the old counselor is out at once.
	if r := f.admin.Do("PATCH", "/api/v1"+path, map[string]any{"counselor_id": f.coun2}, nil); r.Status != 200 {
		t.Fatalf("reassign: %d %s", r.Status, r.Body)
	}
	if r := c1.Do("GET", "/api/v1"+path, nil, nil); r.Status != 404 {
		t.Errorf("old counselor API = %d", r.Status)
	}
	if r := b1.Get(path); r.Status != 404 {
		t.Errorf("old counselor page = %d", r.Status)
	}
	if r := c2.Do("GET", "/api/v1"+path, nil, nil); r.Status != 200 {
		t.Errorf("new counselor API = %d", r.Status)
	}
	if r := b2.Get("/caseload"); !strings.Contains(r.Body, "Rivera") {
		t.Error("new counselor's caseload misses the couple")
	}
	var n int
	f.app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'couple.reassign' AND couple_id = $1`, id)
	if n != 1 {
		t.Errorf("reassign audited %d times", n)
	}
	// Reassign back through the page form.
	ab := f.app.Browser()
	ab.Login("admin@a.test")
	r := ab.Post("/admin/couples/"+itoa(id), url.Values{"label": {"Rivera & Chen"}, "counselor_id": {itoa(f.coun1)}}, path)
	if r.Status != 303 {
		t.Fatalf("page reassign = %d %s", r.Status, r.Body)
	}
	if r := c2.Do("GET", "/api/v1"+path, nil, nil); r.Status != 404 {
		t.Errorf("coun2 after page reassign = %d", r.Status)
	}
}

// acceptAPI accepts an invitation through the API.
func acceptAPI(app *apptest.App, token, name, pw string) (apptest.Response, string) {
	var out struct{ Token string }
	r := app.API().Do("POST", "/api/v1/invitations/"+token+"/accept", map[string]string{"name": name, "password": pw}, &out)
	return r, out.Token
}

func TestClinicClientSeesOwnCoupleOnly(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	other := f.createCouple(t, f.admin, "Second Couple", f.coun1, "s1@x.test", "s2@x.test")
	r, tok := acceptAPI(f.app, f.coupleA.Partners[0].Invitation.Token, "Ana Rivera", apptest.Password)
	if r.Status != 200 || tok == "" || !strings.Contains(r.Body, `"memberships"`) {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	client := f.app.API()
	client.Token = tok
	if r := client.Do("GET", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), nil, nil); r.Status != 200 || !strings.Contains(r.Body, `"joined":true`) {
		t.Errorf("own couple: %d %s", r.Status, r.Body)
	}
	for _, id := range []int64{other.ID, f.coupleB.ID} {
		if r := client.Do("GET", fmt.Sprintf("/api/v1/couples/%d", id), nil, nil); r.Status != 404 {
			t.Errorf("client GET couple %d = %d", id, r.Status)
		}
	}
	if r := client.Do("GET", "/api/v1/couples", nil, nil); r.Status != 403 {
		t.Errorf("client list = %d", r.Status)
	}
	var uid int64
	f.app.DB.Get(&uid, `SELECT user_id FROM partners WHERE id = $1`, f.coupleA.Partners[0].ID)
	if uid == 0 {
		t.Error("partner not linked to the new user")
	}
}

func TestClinicInvitationPageAcceptAndReplay(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	p := f.coupleA.Partners[1]
	path := "/invitations/" + p.Invitation.Token
	br := f.app.Browser()
	r := br.Get(path)
	if r.Status != 200 || !strings.Contains(r.Body, "Harbor") || !strings.Contains(r.Body, "Client") || !strings.Contains(r.Body, "ben@x.test") {
		t.Fatalf("invitation page: %d\n%s", r.Status, r.Body)
	}
	// Weak and common passwords: 422, message beside the field, name kept.
	for _, pw := range []string{"short", "password1234"} {
		r = br.Post(path, url.Values{"name": {"Ben Chen"}, "password": {pw}, "confirm": {pw}}, path)
		if r.Status != 422 || !strings.Contains(r.Body, `id="e-password"`) || !strings.Contains(r.Body, `value="Ben Chen"`) {
			t.Errorf("weak password %q: %d\n%s", pw, r.Status, r.Body)
		}
	}
	r = br.Post(path, url.Values{"name": {"Ben Chen"}, "password": {apptest.Password}, "confirm": {"something else entirely"}}, path)
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-confirm"`) {
		t.Errorf("mismatched confirm: %d", r.Status)
	}
	r = br.Post(path, url.Values{"name": {"Ben Chen"}, "password": {apptest.Password}, "confirm": {apptest.Password}}, path)
	if r.Status != 303 || r.Location != "/" {
		t.Fatalf("accept: %d %s\n%s", r.Status, r.Location, r.Body)
	}
	if r := br.Get("/"); r.Status != 200 || !strings.Contains(r.Body, "Your space") || !strings.Contains(r.Body, "Rivera &amp; Chen") {
		t.Errorf("client home after accept: %d", r.Status)
	}
	// Replay: the page and the API both answer 410 with a clear message.
	other := f.app.Browser()
	if r := other.Get(path); r.Status != 410 || !strings.Contains(r.Body, "already been used") {
		t.Errorf("replay page: %d", r.Status)
	}
	if r := other.Post(path, url.Values{"name": {"X"}, "password": {apptest.Password}, "confirm": {apptest.Password}}, "/login"); r.Status != 410 {
		t.Errorf("replay post: %d", r.Status)
	}
	if r, _ := acceptAPI(f.app, p.Invitation.Token, "X", apptest.Password); r.Status != 410 {
		t.Errorf("replay API: %d %s", r.Status, r.Body)
	}
	// Unknown token: a clear 404 page, not a 500.
	if r := other.Get("/invitations/not-a-real-token"); r.Status != 404 || !strings.Contains(r.Body, "not valid") {
		t.Errorf("unknown token: %d", r.Status)
	}
	var users int
	f.app.DB.Get(&users, `SELECT count(*) FROM users WHERE email = 'ben@x.test'`)
	if users != 1 {
		t.Errorf("%d accounts for ben", users)
	}
}

func TestClinicInvitationExpiryAndRevocation(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	p0, p1 := f.coupleA.Partners[0], f.coupleA.Partners[1]
	f.app.Exec(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE partner_id = $1`, p0.ID)
	if r, _ := acceptAPI(f.app, p0.Invitation.Token, "Ana", apptest.Password); r.Status != 410 || !strings.Contains(r.Body, "expired") {
		t.Errorf("expired API: %d %s", r.Status, r.Body)
	}
	if r := f.app.Browser().Get("/invitations/" + p0.Invitation.Token); r.Status != 410 || !strings.Contains(r.Body, "expired") {
		t.Errorf("expired page: %d", r.Status)
	}
	// Re-issue (API): the old link is revoked, the new one works.
	var out struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	r := f.admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", f.coupleA.ID, p1.ID), nil, &out)
	if r.Status != 201 || out.Invitation.Token == "" {
		t.Fatalf("reissue: %d %s", r.Status, r.Body)
	}
	if r, _ := acceptAPI(f.app, p1.Invitation.Token, "Ben", apptest.Password); r.Status != 410 || !strings.Contains(r.Body, "withdrawn") {
		t.Errorf("revoked (by reissue): %d %s", r.Status, r.Body)
	}
	// Revoke through the page.
	var invID int64
	f.app.DB.Get(&invID, `SELECT id FROM invitations WHERE partner_id = $1 AND revoked_at IS NULL`, p1.ID)
	ab := f.app.Browser()
	ab.Login("admin@a.test")
	if r := ab.Post(fmt.Sprintf("/admin/invitations/%d/revoke", invID), url.Values{"back": {fmt.Sprintf("/couples/%d", f.coupleA.ID)}}); r.Status != 303 {
		t.Fatalf("page revoke: %d", r.Status)
	}
	if r := f.app.Browser().Get("/invitations/" + out.Invitation.Token); r.Status != 410 {
		t.Errorf("revoked page: %d", r.Status)
	}
	// Page re-issue shows a copyable link once.
	cp := fmt.Sprintf("/couples/%d", f.coupleA.ID)
	if r := ab.Post(fmt.Sprintf("/admin/couples/%d/partners/%d/invitation", f.coupleA.ID, p1.ID), nil, cp); r.Status != 303 {
		t.Fatalf("page reissue: %d", r.Status)
	}
	page := ab.Get(cp).Body
	m := regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{40,})`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, `data-copy="link-0"`) {
		t.Fatalf("no copyable link on the couple page")
	}
	if strings.Contains(ab.Get(cp).Body, m[1]) {
		t.Error("link shown more than once")
	}
	if r, _ := acceptAPI(f.app, m[1], "Ben", apptest.Password); r.Status != 200 {
		t.Errorf("fresh link: %d %s", r.Status, r.Body)
	}
	// Closing the couple makes its open links unusable; reopening does not revive them.
	var fresh struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	f.admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", f.coupleA.ID, p0.ID), nil, &fresh)
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "closed"}, nil)
	if r, _ := acceptAPI(f.app, fresh.Invitation.Token, "Ana", apptest.Password); r.Status != 410 {
		t.Errorf("link of a closed couple: %d %s", r.Status, r.Body)
	}
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "active"}, nil)
	if r, _ := acceptAPI(f.app, fresh.Invitation.Token, "Ana", apptest.Password); r.Status != 410 {
		t.Errorf("link revived by reopening: %d %s", r.Status, r.Body)
	}
	// A joined partner gets no new invitation.
	if r := f.admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/invitation", f.coupleA.ID, p1.ID), nil, nil); r.Status != 409 {
		t.Errorf("reissue to joined partner: %d", r.Status)
	}
}

func TestClinicExistingEmailGetsMembership(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	// Bo counsels at Northside; Harbor invites him too.
	var out struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	r := f.admin.Do("POST", "/api/v1/counselors", map[string]any{"name": "Bo Again", "email": "COUN@b.test", "role": "clinic_admin", "clinic_id": f.b}, &out)
	if r.Status != 201 || !strings.Contains(r.Body, `"url"`) {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	var inv struct {
		Role     string
		ClinicID int64 `db:"clinic_id"`
	}
	f.app.DB.Get(&inv, `SELECT role, clinic_id FROM invitations ORDER BY id DESC LIMIT 1`)
	if inv.Role != "counselor" || inv.ClinicID != f.a {
		t.Errorf("mass assignment applied: %+v", inv)
	}
	// The counselors list shows him as invited.
	var list struct {
		Items []struct{ Email, Status string }
		Next  *string
	}
	f.admin.Do("GET", "/api/v1/counselors", nil, &list)
	found := false
	for _, c := range list.Items {
		found = found || (c.Email == "coun@b.test" && c.Status == "invited")
	}
	if !found || list.Next != nil {
		t.Errorf("counselors list: %+v", list)
	}
	// The counselors list pages too: three members and one invitation, two per page.
	var names []string
	after := ""
	for i := 0; i < 5; i++ {
		var pg struct {
			Items []struct{ Name string }
			Next  *string
		}
		q := "/api/v1/counselors?limit=2"
		if after != "" {
			q += "&after=" + url.QueryEscape(after)
		}
		if r := f.admin.Do("GET", q, nil, &pg); r.Status != 200 {
			t.Fatalf("%s: %d %s", q, r.Status, r.Body)
		}
		for _, it := range pg.Items {
			names = append(names, it.Name)
		}
		if pg.Next == nil {
			break
		}
		after = *pg.Next
	}
	if strings.Join(names, ",") != "Bo Again,Carl Counselor,Cora Counselor" {
		t.Errorf("counselor pages: %v", names)
	}
	for _, bad := range []string{"limit=0", "after=xyz"} {
		if r := f.admin.Do("GET", "/api/v1/counselors?"+bad, nil, nil); r.Status != 400 {
			t.Errorf("counselors %s = %d", bad, r.Status)
		}
	}
	path := "/invitations/" + out.Invitation.Token
	br := f.app.Browser()
	if r := br.Get(path); !strings.Contains(r.Body, "This invitation is for an existing Mend account: sign in, then accept.") ||
		!strings.Contains(r.Body, `href="/login?next=%2Finvitations%2F`+out.Invitation.Token+`"`) || strings.Contains(r.Body, `name="password"`) {
		t.Fatalf("page does not send the existing account to sign in:\n%s", r.Body)
	}
	// No password is checked on the invitation: even the right one does nothing.
	r = br.Post(path, url.Values{"password": {apptest.Password}}, "/login")
	if r.Status != 409 || !strings.Contains(r.Body, "sign in, then accept") {
		t.Fatalf("accept without signing in: %d %s", r.Status, r.Body)
	}
	// Through the normal sign-in, which comes back to the invitation.
	r = br.Post("/login", url.Values{"email": {"coun@b.test"}, "password": {apptest.Password}, "next": {path}}, "/login?next="+url.QueryEscape(path))
	if r.Status != 303 || r.Location != path {
		t.Fatalf("sign in: %d %q", r.Status, r.Location)
	}
	if r := br.Get(path); r.Status != 200 || !strings.Contains(r.Body, `id="invite-accept"`) {
		t.Fatalf("no Accept button once signed in: %d", r.Status)
	}
	r = br.Post(path, nil, path)
	if r.Status != 303 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	var users, members int
	f.app.DB.Get(&users, `SELECT count(*) FROM users WHERE lower(email) = 'coun@b.test'`)
	f.app.DB.Get(&members, `SELECT count(*) FROM memberships WHERE user_id = $1 AND active`, f.counB)
	if users != 1 || members != 2 {
		t.Errorf("users %d, memberships %d", users, members)
	}
	// Signed in, in the inviting clinic.
	if r := br.Get("/"); !strings.Contains(r.Body, "Harbor") || !strings.Contains(r.Body, "Your caseload") {
		t.Errorf("home after joining: %d", r.Status)
	}
	var co struct{ Status string }
	if r := f.admin.Do("GET", fmt.Sprintf("/api/v1/counselors/%d", f.counB), nil, &co); r.Status != 200 || co.Status != "active" {
		t.Errorf("counselor now in clinic A: %d %s", r.Status, r.Body)
	}
}

func TestClinicCouplesListPagination(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	f.app.Exec(`INSERT INTO couples (clinic_id, label, counselor_id, status)
		SELECT $1, 'Pair ' || lpad(g::text, 3, '0') || CASE WHEN g % 10 = 0 THEN ' 100%_x' ELSE '' END,
			CASE WHEN g % 2 = 0 THEN $2 ELSE $3 END::bigint, CASE WHEN g % 3 = 0 THEN 'paused' ELSE 'active' END
		FROM generate_series(1, 120) g`, f.a, f.coun1, f.coun2)
	var total int
	f.app.DB.Get(&total, `SELECT count(*) FROM couples WHERE clinic_id = $1`, f.a)
	type item struct {
		ID          int64  `json:"id"`
		Label       string `json:"label"`
		Status      string `json:"status"`
		CounselorID int64  `json:"counselor_id"`
	}
	walk := func(query string, limit int) []item {
		t.Helper()
		var all []item
		after := ""
		for pages := 0; ; pages++ {
			if pages > 200 {
				t.Fatal("pagination does not end")
			}
			var out struct {
				Items []item
				Next  *string
			}
			p := fmt.Sprintf("/api/v1/couples?limit=%d&%s", limit, query)
			if after != "" {
				p += "&after=" + url.QueryEscape(after)
			}
			if r := f.admin.Do("GET", p, nil, &out); r.Status != 200 {
				t.Fatalf("%s: %d %s", p, r.Status, r.Body)
			}
			if len(out.Items) > limit {
				t.Fatalf("page of %d > limit %d", len(out.Items), limit)
			}
			all = append(all, out.Items...)
			if out.Next == nil {
				return all
			}
			after = *out.Next
		}
	}
	all := walk("", 7)
	seen := map[int64]bool{}
	for i, c := range all {
		if seen[c.ID] {
			t.Fatalf("duplicate %d", c.ID)
		}
		seen[c.ID] = true
		if i > 0 && strings.ToLower(all[i-1].Label) > strings.ToLower(c.Label) {
			t.Fatalf("out of order: %q before %q", all[i-1].Label, c.Label)
		}
	}
	if len(all) != total {
		t.Fatalf("walked %d of %d", len(all), total)
	}
	if got := walk("", 200); len(got) != total {
		t.Errorf("max limit walk: %d", len(got))
	}
	// Search: wildcards in the input are literal.
	if got := walk("q="+url.QueryEscape("100%_"), 5); len(got) != 12 {
		t.Errorf("search '100%%_': %d, want 12", len(got))
	}
	if got := walk("q=%25", 50); len(got) != 12 {
		t.Errorf("search '%%': %d, want 12", len(got))
	}
	if got := walk("q=pair+01", 50); len(got) != 10 {
		t.Errorf("search 'pair 01': %d, want 10", len(got))
	}
	// Filters.
	for _, c := range walk(fmt.Sprintf("counselor_id=%d&status=paused", f.coun2), 9) {
		if c.CounselorID != f.coun2 || c.Status != "paused" {
			t.Fatalf("filter leak: %+v", c)
		}
	}
	if got := walk(fmt.Sprintf("counselor_id=%d&status=paused", f.coun2), 9); len(got) != 20 {
		t.Errorf("coun2 paused: %d, want 20", len(got))
	}
	// Clinic B's couples never appear.
	for _, c := range all {
		if c.ID == f.coupleB.ID {
			t.Fatal("clinic B couple listed")
		}
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=abc", "after=!!!", "after=bm90LWpzb24", "status=weird", "counselor_id=x"} {
		r := f.admin.Do("GET", "/api/v1/couples?"+bad, nil, nil)
		if r.Status != 400 && !(bad == "status=weird" && r.Status == 422) {
			t.Errorf("%s = %d", bad, r.Status)
		}
	}
	// The page paginates too, keeping the filters.
	br := f.app.Browser()
	br.Login("admin@a.test")
	r := br.Get("/admin/couples?status=paused&limit=10")
	if r.Status != 200 || !strings.Contains(r.Body, "Next page") || !strings.Contains(r.Body, "status=paused") {
		t.Errorf("couples page: %d", r.Status)
	}
	if r := br.Get("/admin/couples?after=garbage"); r.Status != 400 {
		t.Errorf("bad cursor page: %d", r.Status)
	}
}

func TestClinicDeactivateCounselor(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	c1 := f.app.Login("coun1@a.test")
	path := fmt.Sprintf("/api/v1/counselors/%d", f.coun1)
	r := f.admin.Do("PATCH", path, map[string]any{"active": false}, nil)
	if r.Status != 409 || !strings.Contains(r.Body, `Rivera \u0026 Chen`) || !strings.Contains(r.Body, `"couples":[{"id"`) {
		t.Fatalf("deactivate with couples: %d %s", r.Status, r.Body)
	}
	br := f.app.Browser()
	br.Login("admin@a.test")
	r = br.Post(fmt.Sprintf("/admin/counselors/%d/active", f.coun1), url.Values{"active": {"false"}}, "/admin/counselors")
	if r.Status != 409 || !strings.Contains(r.Body, "Rivera &amp; Chen") {
		t.Fatalf("page deactivate: %d", r.Status)
	}
	// Paused still counts; closed does not.
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "paused"}, nil)
	if r := f.admin.Do("PATCH", path, map[string]any{"active": false}, nil); r.Status != 409 {
		t.Errorf("paused couple: %d", r.Status)
	}
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "closed"}, nil)
	var co struct{ Status string }
	if r := f.admin.Do("PATCH", path, map[string]any{"active": false, "id": f.coun2}, &co); r.Status != 200 || co.Status != "deactivated" {
		t.Fatalf("deactivate: %d %s", r.Status, r.Body)
	}
	// Their only membership is gone: their token and sessions end.
	if r := c1.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Errorf("deactivated counselor's token: %d", r.Status)
	}
	// They cannot be given couples now, not even by reopening one of theirs.
	r = f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "active", "counselor_id": f.coun1}, nil)
	if r.Status != 422 || !strings.Contains(r.Body, "counselor_id") {
		t.Errorf("reopen keeping the deactivated counselor: %d %s", r.Status, r.Body)
	}
	// The closed couple's page offers reopening with another counselor.
	cp := fmt.Sprintf("/couples/%d", f.coupleA.ID)
	if r := br.Get(cp); !strings.Contains(r.Body, "no longer active") || !strings.Contains(r.Body, "Reopen") {
		t.Errorf("closed couple page with a deactivated counselor:\n%s", r.Body)
	}
	if r := br.Post("/admin/couples/"+itoa(f.coupleA.ID), url.Values{"status": {"active"}, "counselor_id": {""}}, cp); r.Status != 422 || !strings.Contains(r.Body, `id="e-counselor_id"`) {
		t.Errorf("page reopen without counselor: %d", r.Status)
	}
	if r := f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.createCouple(t, f.admin, "Fresh", f.coun2, "f1@x.test", "f2@x.test").ID), map[string]any{"counselor_id": f.coun1}, nil); r.Status != 422 {
		t.Errorf("assign to deactivated counselor: %d", r.Status)
	}
	// Deactivating someone who still works at another clinic keeps their sign-in.
	f.app.Member(f.coun2, f.b, "counselor")
	c2 := f.app.Login("coun2@a.test")
	c2.Clinic = itoa(f.b)
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"counselor_id": f.coun2}, nil)
	var fresh int64
	f.app.DB.Get(&fresh, `SELECT id FROM couples WHERE label = 'Fresh'`)
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", fresh), map[string]any{"status": "closed"}, nil)
	f.admin.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), map[string]any{"status": "closed"}, nil)
	if r := f.admin.Do("PATCH", fmt.Sprintf("/api/v1/counselors/%d", f.coun2), map[string]any{"active": false}, nil); r.Status != 200 {
		t.Fatalf("deactivate coun2: %d %s", r.Status, r.Body)
	}
	if r := c2.Do("GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Errorf("member elsewhere lost their token: %d", r.Status)
	}
	// Reactivate (page).
	if r := br.Post(fmt.Sprintf("/admin/counselors/%d/active", f.coun1), url.Values{"active": {"true"}}, "/admin/counselors"); r.Status != 303 {
		t.Errorf("reactivate: %d", r.Status)
	}
	if r := br.Get("/admin/counselors"); !strings.Contains(r.Body, "Cora Counselor") || !strings.Contains(r.Body, "Reactivate") {
		t.Errorf("counselors page: %d", r.Status)
	}
}

func TestClinicCoupleStatusTransitions(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	path := fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID)
	patch := func(body map[string]any) (int, string) {
		var out struct{ Status, Label string }
		r := f.admin.Do("PATCH", path, body, &out)
		return r.Status, out.Status + "|" + out.Label
	}
	steps := []struct {
		body   map[string]any
		status int
		want   string
	}{
		{map[string]any{"status": "paused"}, 200, "paused|Rivera & Chen"},
		{map[string]any{"status": "active"}, 200, "active|Rivera & Chen"},
		{map[string]any{"status": "closed"}, 200, "closed|Rivera & Chen"},
		{map[string]any{"label": "Renamed"}, 409, ""},
		{map[string]any{"counselor_id": f.coun2}, 409, ""},
		{map[string]any{"status": "paused"}, 409, ""},
		{map[string]any{"status": "bogus"}, 422, ""},
		{map[string]any{"label": "Renamed", "status": "active"}, 200, "active|Renamed"},
		{map[string]any{"label": "  "}, 422, ""},
		// Fields callers may not set are ignored.
		{map[string]any{"clinic_id": f.b, "id": f.coupleB.ID, "created_at": "2000-01-01T00:00:00Z"}, 200, "active|Renamed"},
	}
	for i, s := range steps {
		st, got := patch(s.body)
		if st != s.status || (s.want != "" && got != s.want) {
			t.Errorf("step %d %v: %d %q", i, s.body, st, got)
		}
	}
	var clinicOf int64
	f.app.DB.Get(&clinicOf, `SELECT clinic_id FROM couples WHERE id = $1`, f.coupleA.ID)
	if clinicOf != f.a {
		t.Fatalf("couple moved to clinic %d", clinicOf)
	}
	// Page: close, then the page is read-only with a Reopen button.
	br := f.app.Browser()
	br.Login("admin@a.test")
	cp := fmt.Sprintf("/couples/%d", f.coupleA.ID)
	if r := br.Post("/admin/couples/"+itoa(f.coupleA.ID), url.Values{"status": {"closed"}}, cp); r.Status != 303 {
		t.Fatalf("page close: %d", r.Status)
	}
	r := br.Get(cp)
	if !strings.Contains(r.Body, "read-only") || !strings.Contains(r.Body, "Reopen") || strings.Contains(r.Body, `name="label"`) {
		t.Error("closed couple page is not read-only")
	}
	if r := br.Post("/admin/couples/"+itoa(f.coupleA.ID), url.Values{"label": {"Again"}}, cp); r.Status != 409 || !strings.Contains(r.Body, "Reopen") {
		t.Errorf("page edit closed: %d", r.Status)
	}
}

func TestClinicPagesForms(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	br := f.app.Browser()
	br.Login("admin@a.test")
	if r := br.Get("/"); !strings.Contains(r.Body, `href="/admin/couples"`) || !strings.Contains(r.Body, `href="/admin/counselors"`) {
		t.Error("admin nav misses the clinic entries")
	}
	form := url.Values{"label": {"Lopez & Kim"}, "counselor_id": {itoa(f.coun2)},
		"p0_name": {"Lia Lopez"}, "p0_email": {"not-an-email"}, "p1_name": {""}, "p1_email": {"kim@x.test"}}
	r := br.Post("/admin/couples", form, "/admin/couples/new")
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-p0_email"`) || !strings.Contains(r.Body, `id="e-p1_name"`) ||
		!strings.Contains(r.Body, `value="Lopez &amp; Kim"`) || !strings.Contains(r.Body, `value="not-an-email"`) ||
		!strings.Contains(r.Body, `value="kim@x.test"`) || !regexp.MustCompile(`value="`+itoa(f.coun2)+`" selected`).MatchString(r.Body) {
		t.Fatalf("invalid couple form: %d\n%s", r.Status, r.Body)
	}
	form.Set("p0_email", "lia@x.test")
	form.Set("p1_name", "Kai Kim")
	r = br.Post("/admin/couples", form, "/admin/couples/new")
	if r.Status != 303 || !strings.HasPrefix(r.Location, "/couples/") {
		t.Fatalf("create couple: %d %s", r.Status, r.Body)
	}
	page := br.Get(r.Location).Body
	if strings.Count(page, "/invitations/") < 2 || !strings.Contains(page, "data-copy") || !strings.Contains(page, "Carl Counselor") {
		t.Errorf("couple page after create:\n%s", page)
	}
	if r := br.Get("/admin/couples?q=lopez"); !strings.Contains(r.Body, "Lopez &amp; Kim") || strings.Contains(r.Body, "Rivera") {
		t.Error("couples search page")
	}
	// Invite a counselor: errors keep input; success shows the link once.
	r = br.Post("/admin/counselors", url.Values{"name": {"Nia New"}, "email": {"nia@"}}, "/admin/counselors")
	if r.Status != 422 || !strings.Contains(r.Body, `value="Nia New"`) || !strings.Contains(r.Body, `id="e-email"`) {
		t.Errorf("invite invalid: %d", r.Status)
	}
	r = br.Post("/admin/counselors", url.Values{"name": {"Cora Again"}, "email": {"coun1@a.test"}}, "/admin/counselors")
	if r.Status != 409 || !strings.Contains(r.Body, "already a counselor") {
		t.Errorf("invite existing counselor: %d", r.Status)
	}
	r = br.Post("/admin/counselors", url.Values{"name": {"Nia New"}, "email": {"nia@a.test"}}, "/admin/counselors")
	if r.Status != 303 {
		t.Fatalf("invite: %d", r.Status)
	}
	page = br.Get("/admin/counselors").Body
	m := regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{40,})`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Resend") {
		t.Fatal("counselor invitation link missing")
	}
	// Resend: the old link dies, a new one is shown.
	var invID int64
	f.app.DB.Get(&invID, `SELECT id FROM invitations WHERE email = 'nia@a.test' AND revoked_at IS NULL`)
	if r := br.Post(fmt.Sprintf("/admin/invitations/%d/resend", invID), nil, "/admin/counselors"); r.Status != 303 {
		t.Fatalf("resend: %d", r.Status)
	}
	page = br.Get("/admin/counselors").Body
	m2 := regexp.MustCompile(`/invitations/([A-Za-z0-9_-]{40,})`).FindStringSubmatch(page)
	if m2 == nil || m2[1] == m[1] {
		t.Fatal("resend shows no new link")
	}
	if r := f.app.Browser().Get("/invitations/" + m[1]); r.Status != 410 {
		t.Errorf("old link after resend: %d", r.Status)
	}
	// Nia accepts and becomes an active counselor.
	nb := f.app.Browser()
	ip := "/invitations/" + m2[1]
	if r := nb.Post(ip, url.Values{"name": {"Nia New"}, "password": {apptest.Password}, "confirm": {apptest.Password}}, ip); r.Status != 303 {
		t.Fatalf("nia accept: %d", r.Status)
	}
	if r := nb.Get("/caseload"); r.Status != 200 || !strings.Contains(r.Body, "No couples") {
		t.Errorf("nia caseload: %d", r.Status)
	}
	// Caseloads.
	r = br.Get("/admin/caseloads")
	if r.Status != 200 || !strings.Contains(r.Body, "Carl Counselor") || !strings.Contains(r.Body, "Nia New") {
		t.Errorf("caseloads: %d", r.Status)
	}
	var cl struct {
		Counselors []struct {
			Name   string
			Active int `json:"active_couples"`
		}
		Totals struct {
			Active int `json:"active_couples"`
		}
	}
	f.admin.Do("GET", "/api/v1/caseloads", nil, &cl)
	if cl.Totals.Active != 2 || len(cl.Counselors) != 3 {
		t.Errorf("caseloads API: %+v", cl)
	}
}

func TestClinicAdminWhoCounselsSeesOwnCaseload(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	var admin int64
	f.app.DB.Get(&admin, `SELECT id FROM users WHERE email = 'admin@a.test'`)
	f.app.Member(admin, f.a, "counselor")
	mine := f.createCouple(t, f.admin, "Mine & Yours", admin, "m1@x.test", "m2@x.test")
	br := f.app.Browser()
	br.Login("admin@a.test")
	r := br.Get("/caseload")
	if r.Status != 200 || !strings.Contains(r.Body, "Mine &amp; Yours") || strings.Contains(r.Body, "Rivera") {
		t.Errorf("dual-role caseload: %d\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, `href="/admin/couples"`) || !strings.Contains(r.Body, `href="/caseload"`) {
		t.Error("dual-role nav lacks one of its areas")
	}
	var own struct{ Items []struct{ ID int64 } }
	f.admin.Do("GET", "/api/v1/caseload", nil, &own)
	if len(own.Items) != 1 || own.Items[0].ID != mine.ID {
		t.Errorf("dual-role API caseload: %+v", own)
	}
	// The counselors list shows statuses and counts, nothing else.
	var list struct {
		Items []map[string]any
	}
	f.admin.Do("GET", "/api/v1/counselors", nil, &list)
	for _, c := range list.Items {
		if c["email"] == "coun1@a.test" && (c["couples"] != float64(1) || c["status"] != "active" || c["invitation_expires_at"] != nil) {
			t.Errorf("counselor line: %v", c)
		}
	}
}
