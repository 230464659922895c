package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A clinic created without a zone runs on UTC and its admin's home says so,
// with a link to the setting, until it is chosen; GET/PATCH /api/v1/clinic
// read and change it (a merge patch: 422 with fields for a bad member,
// null back to UTC); pages follow at once; every change is audited.
func TestClinicTimeZone(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ada, cora := app.Login("ada@h.test"), app.Login("cora@h.test")
	adaPage := app.Browser()
	adaPage.Login("ada@h.test")
	home := adaPage.Get("/").Body
	if !strings.Contains(home, "runs on <strong>UTC</strong> until you choose its time zone") || !strings.Contains(home, `href="/admin/settings#f-time_zone"`) {
		t.Fatalf("admin home lacks the UTC notice:\n%s", home)
	}
	var got map[string]any
	if r := ada.Do("GET", "/api/v1/clinic", nil, &got); r.Status != 200 || got["time_zone"] != nil || got["zone"] != "UTC" ||
		got["name"] != "Harbor" || got["require_staff_mfa"] != false {
		t.Fatalf("GET /clinic: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("PATCH", "/api/v1/clinic", map[string]any{"time_zone": "Europe/Berlin"}, nil); r.Status != 403 {
		t.Errorf("a counselor changes the clinic: %d", r.Status)
	}

	var fe struct{ Fields map[string]string }
	for _, bad := range []map[string]any{
		{"time_zone": "Nowhere/Else"}, {"time_zone": "EST"}, {"time_zone": "+02:00"}, {"time_zone": 5},
		{"name": ""}, {"name": nil}, {"require_staff_mfa": "yes"}, {"require_staff_mfa": nil}, {"colour": "blue"},
	} {
		r := ada.Do("PATCH", "/api/v1/clinic", bad, &fe)
		if r.Status != 422 || len(fe.Fields) == 0 {
			t.Errorf("PATCH %v: %d %s", bad, r.Status, r.Body)
		}
		fe.Fields = nil
	}
	if r := ada.Do("GET", "/api/v1/clinic", nil, &got); got["time_zone"] != nil {
		t.Fatalf("a refused patch changed the clinic: %s", r.Body)
	}

	// Valid: the pages follow at once.
	due := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"due_at": due.UTC().Format(time.RFC3339)})
	if r := ada.Do("PATCH", "/api/v1/clinic", `{"time_zone":"America/New_York"}`, &got); r.Status != 200 || got["time_zone"] != "America/New_York" ||
		got["zone"] != "America/New_York" || got["name"] != "Harbor" {
		t.Fatalf("PATCH valid: %d %s", r.Status, r.Body)
	}
	if home := adaPage.Get("/").Body; strings.Contains(home, "until you choose its time zone") {
		t.Error("the UTC notice stays after the zone is chosen")
	}
	ny, _ := time.LoadLocation("America/New_York")
	alex := app.Browser()
	alex.Login("alex@h.test")
	if home := alex.Get("/").Body; !strings.Contains(home, "due "+due.In(ny).Format("2 Jan 2006, 15:04")+" (America/New_York)") {
		t.Errorf("partner's home does not follow the clinic's new zone:\n%s", home)
	}
	if page := adaPage.Get(fmt.Sprintf("/assignments/%d", a.ID)).Body; !strings.Contains(page, due.In(ny).Format("2 Jan 2006, 15:04")) {
		t.Errorf("admin's assignment page does not follow:\n%s", page)
	}

	// A merge patch leaves what it does not name; null goes back to UTC.
	if r := ada.Do("PATCH", "/api/v1/clinic", map[string]any{"name": "Harbor Counseling", "require_staff_mfa": false}, &got); r.Status != 200 ||
		got["time_zone"] != "America/New_York" || got["name"] != "Harbor Counseling" {
		t.Fatalf("PATCH name: %d %s", r.Status, r.Body)
	}
	if r := ada.Do("PATCH", "/api/v1/clinic", `{"time_zone":null}`, &got); r.Status != 200 || got["time_zone"] != nil || got["zone"] != "UTC" {
		t.Fatalf("PATCH null: %d %s", r.Status, r.Body)
	}
	if home := adaPage.Get("/").Body; !strings.Contains(home, "Harbor Counseling runs on <strong>UTC</strong>") {
		t.Error("no UTC notice after the zone is cleared")
	}
	var details []string
	app.DB.Select(&details, `SELECT replace(detail::text, ' ', '') FROM audit_log WHERE action = 'clinic.settings' AND object_id = $1 ORDER BY seq`, p.clinic)
	if len(details) != 3 || details[0] != `{"time_zone":"America/New_York"}` || details[1] != `{"name":"HarborCounseling"}` || details[2] != `{"time_zone":null}` {
		t.Errorf("audit: %q", details)
	}
}

// The admin's settings page: a chooser of every zone grouped by area; a
// bad value is refused beside the field with the rest kept; a good one is
// saved with the two-factor rule, which still works as before.
func TestClinicSettingsPageTimeZone(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ada := app.Browser()
	ada.Login("ada@h.test")
	page := ada.Get("/admin/settings").Body
	for _, want := range []string{`<select id="f-time_zone" name="time_zone"`, `<optgroup label="America">`, `<option value="America/New_York">New York</option>`,
		`<optgroup label="Europe">`, `<option value="" selected>Not chosen yet: UTC</option>`, `id="f-require_staff_mfa"`, `value="Harbor"`} {
		if !strings.Contains(page, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
	// Just the two-factor rule: the zone stays unchosen.
	if r := ada.Post("/admin/settings", url.Values{"name": {"Harbor"}, "time_zone": {""}, "require_staff_mfa": {"on"}}, "/admin/settings"); r.Status != 303 {
		t.Fatalf("save mfa: %d %s", r.Status, r.Body)
	}
	var zone *string
	var mfa bool
	app.DB.QueryRow(`SELECT time_zone, require_staff_mfa FROM clinics WHERE id = $1`, p.clinic).Scan(&zone, &mfa)
	if zone != nil || !mfa {
		t.Fatalf("after saving the two-factor rule: zone %v mfa %v", zone, mfa)
	}
	app.Exec(`UPDATE clinics SET require_staff_mfa = false WHERE id = $1`, p.clinic)

	r := ada.Post("/admin/settings", url.Values{"name": {"  "}, "time_zone": {"Atlantis/Capital"}}, "/admin/settings")
	if r.Status != 422 || !strings.Contains(r.Body, `<p class="error" id="e-time_zone">Choose a time zone from the list`) ||
		!strings.Contains(r.Body, `id="e-name"`) || !strings.Contains(r.Body, `<option value="Atlantis/Capital" selected>Atlantis/Capital</option>`) {
		t.Fatalf("bad zone: %d\n%s", r.Status, r.Body)
	}
	if r := ada.Post("/admin/settings", url.Values{"name": {"Harbor"}, "time_zone": {"Europe/Berlin"}}, "/admin/settings"); r.Status != 303 {
		t.Fatalf("save zone: %d %s", r.Status, r.Body)
	}
	app.DB.QueryRow(`SELECT time_zone FROM clinics WHERE id = $1`, p.clinic).Scan(&zone)
	if zone == nil || *zone != "Europe/Berlin" {
		t.Fatalf("zone %v", zone)
	}
	page = ada.Get("/admin/settings").Body
	if !strings.Contains(page, `<option value="Europe/Berlin" selected>Berlin</option>`) || strings.Contains(page, "Not chosen yet") {
		t.Errorf("the chosen zone is not shown, or can be unchosen:\n%s", page)
	}
	if home := ada.Get("/").Body; strings.Contains(home, "until you choose its time zone") {
		t.Error("UTC notice after choosing")
	}
	// The audit page follows the clinic's zone for an admin without their own.
	if audit := ada.Get("/admin/audit").Body; !strings.Contains(audit, "When (Europe/Berlin)") {
		t.Error("audit header does not follow the clinic")
	}
}
