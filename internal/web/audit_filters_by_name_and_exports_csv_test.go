package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
)

// The audit trail filters by person and couple by name and by action from
// the list of the clinic's actions, on the page and the API alike; its CSV
// download keeps the filters, has the page's permission and scoping, and
// defuses cells a spreadsheet would read as a formula.
func TestAuditFiltersByNameAndExportsCSV(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	ctx := context.Background()
	var cora, carl int64
	app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	app.DB.Get(&carl, `SELECT id FROM users WHERE email = 'carl@h.test'`)
	// A couple whose label a spreadsheet would run as a formula.
	var evil int64
	app.DB.Get(&evil, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, '=HYPERLINK("http://x.test","y")', $2) RETURNING id`, p.clinic, cora)
	log := func(user int64, action string, couple int64) {
		if err := app.Audit.LogNow(ctx, app.DB, actor.Actor{ClinicID: p.clinic, UserID: user}, audit.Event{Action: action, ObjectType: "couple", ObjectID: couple, CoupleID: couple}); err != nil {
			t.Fatal(err)
		}
	}
	log(cora, "test.cora_on_alex", p.couple)
	log(cora, "test.cora_on_sol", p.couple2)
	log(carl, "test.carl_on_alex", p.couple)
	log(carl, "@SUM(1)", evil)
	// Another clinic's event with a matching name stays out of everything.
	north := app.Clinic("Northside")
	var finn int64
	app.DB.Get(&finn, `SELECT id FROM users WHERE email = 'finn@n.test'`)
	app.Audit.LogNow(ctx, app.DB, actor.Actor{ClinicID: north, UserID: finn}, audit.Event{Action: "test.northside_only"})

	ada := app.Browser()
	ada.Login("ada@h.test")
	actions := func(body string) []string {
		var out []string
		for _, a := range []string{"test.cora_on_alex", "test.cora_on_sol", "test.carl_on_alex", "@SUM(1)", "test.northside_only"} {
			if strings.Contains(body, "<code>"+a+"</code>") {
				out = append(out, a)
			}
		}
		return out
	}
	check := func(q string, want ...string) {
		t.Helper()
		r := ada.Get("/admin/audit?" + q)
		if r.Status != 200 {
			t.Fatalf("%s: %d", q, r.Status)
		}
		if got := actions(r.Body); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("page %s: %v, want %v", q, got, want)
		}
		api := app.Login("ada@h.test").Do("GET", "/api/v1/audit?"+q, nil, nil)
		var page struct {
			Items []struct {
				Action      string  `json:"action"`
				CoupleLabel *string `json:"couple_label"`
			} `json:"items"`
		}
		if api.Status != 200 || json.Unmarshal([]byte(api.Body), &page) != nil {
			t.Fatalf("api %s: %d %s", q, api.Status, api.Body)
		}
		var got []string
		for _, it := range page.Items {
			if strings.HasPrefix(it.Action, "test.") || it.Action == "@SUM(1)" {
				got = append([]string{it.Action}, got...)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("api %s: %v, want %v", q, got, want)
		}
	}
	check("person=cora", "test.cora_on_alex", "test.cora_on_sol")
	check("person=CAR&couple="+url.QueryEscape("alex &"), "test.carl_on_alex")
	check("couple=sol", "test.cora_on_sol")
	check("action=test.cora_on_sol", "test.cora_on_sol")
	check("person=" + url.QueryEscape("%"))   // LIKE's wildcard is literal: nobody's name has one
	check("person=finn")                      // another clinic's person: nothing
	check("couple=blair&action=test.nothing") // an action not in the list: nothing, and no error

	// The action filter is a list of the clinic's own actions.
	r := ada.Get("/admin/audit?person=cora")
	if !strings.Contains(r.Body, `<select id="f-action" name="action"`) || !strings.Contains(r.Body, `<option value="test.carl_on_alex">`) {
		t.Errorf("no action list on the page")
	}
	if strings.Contains(r.Body, "test.northside_only") {
		t.Errorf("another clinic's action is offered")
	}
	if !strings.Contains(r.Body, `value="cora"`) || !strings.Contains(r.Body, `href="/admin/audit.csv?person=cora"`) {
		t.Errorf("filter not kept in the form and the download link")
	}

	// The CSV keeps the filters, names people and couples, and defuses formulas.
	res := ada.Get("/admin/audit.csv?person=carl")
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", res.Status, res.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[0][0] != "seq" {
		t.Fatalf("csv rows: %q", rows)
	}
	if rows[1][4] != "'@SUM(1)" || rows[1][8] != `'=HYPERLINK("http://x.test","y")` || rows[1][3] != "Carl" {
		t.Errorf("formula cells not defused: %q", rows[1])
	}
	if rows[2][4] != "test.carl_on_alex" || rows[2][8] != "Alex & Blair" {
		t.Errorf("second row: %q", rows[2])
	}
	if bad := ada.Get("/admin/audit.csv?from=yesterday"); bad.Status != 400 {
		t.Errorf("malformed filter on the export: %d", bad.Status)
	}
	// Same authorization as the page: counselors and clients are refused.
	for _, email := range []string{"cora@h.test", "alex@h.test"} {
		b := app.Browser()
		b.Login(email)
		if r := b.Get("/admin/audit.csv"); r.Status != 403 {
			t.Errorf("%s: %d", email, r.Status)
		}
	}
	// Scoped to the clinic: Northside's admin gets none of Harbor's rows.
	app.User(north, "clinic_admin", "nadia@n.test", "Nadia")
	nadia := app.Browser()
	nadia.Login("nadia@n.test")
	if body := nadia.Get("/admin/audit.csv").Body; strings.Contains(body, "test.cora") || !strings.Contains(body, "test.northside_only") {
		t.Errorf("northside export:\n%s", body)
	}
}
