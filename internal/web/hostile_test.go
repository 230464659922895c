package web_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/apptest"
)

// The hostile input suite (issue 6): oversized bodies, invalid text,
// over-limit fields, XSS payloads, SQL metacharacters, mass assignment,
// CSRF, session fixation and path tricks. Every answer must be a 4xx where
// input is refused, never a 5xx, and refused input must not be stored.

const xss = `<script>window.__x=1;document.title='pwned'</script>"><img src=x onerror="window.__x=1">`

// checkEscaped asserts body shows the payload as text, never as markup.
func checkEscaped(t *testing.T, where, body string, mustShow bool) {
	t.Helper()
	if strings.Contains(body, "<script>window.__x") || strings.Contains(body, "<img src=x") {
		t.Errorf("%s: raw XSS payload in the page", where)
	}
	if mustShow && !strings.Contains(body, "&lt;script&gt;window.__x=1;document.title=&#39;pwned&#39;&lt;/script&gt;") {
		t.Errorf("%s: escaped payload not found", where)
	}
	if strings.Contains(body, `href="javascript:`) {
		t.Errorf("%s: javascript: URL in a link", where)
	}
}

func not5xx(t *testing.T, what string, r apptest.Response) {
	t.Helper()
	if r.Status >= 500 {
		t.Errorf("%s: %d (never 5xx)\n%.300s", what, r.Status, r.Body)
	}
}

func TestHostileBodyLimit(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	big := strings.Repeat("x", 1<<20+1)
	r := f.api["anon"].Do("POST", "/api/v1/auth/login", `{"email":"`+big+`","password":"x"}`, nil)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("API login over the limit: %d", r.Status)
	}
	r = f.api["A"].Do("PUT", "/api/v1/responses/"+f.ids["resp"], `{"version":1,"answers":{"what_i_did":"`+big+`"}}`, nil)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("API save over the limit: %d", r.Status)
	}
	for _, c := range []struct{ caller, path string }{{"anon", "/login"}, {"ada", "/admin/couples"}, {"A", "/responses/" + f.ids["resp"]}} {
		r = f.browser[c.caller].PostRaw(c.path, url.Values{"csrf_token": {f.csrf[c.caller]}, "label": {big}})
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("page %s over the limit: %d", c.path, r.Status)
		}
	}
	// A chunked body has no Content-Length to refuse up front: the limit
	// is found while reading, and still answers 413.
	for _, c := range []struct{ path, ctype, body string }{
		{"/api/v1/auth/login", "application/json", `{"email":"` + big + `","password":"x"}`},
		{"/login", "application/x-www-form-urlencoded", "email=" + big},
	} {
		req, _ := http.NewRequest("POST", f.app.URL+c.path, io.NopCloser(strings.NewReader(c.body)))
		req.Header.Set("Content-Type", c.ctype)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if req.ContentLength != 0 || res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked POST %s over the limit: %d", c.path, res.StatusCode)
		}
	}
}

// badTexts are refused in every free-text field: a NUL byte (as JSON
// escape or form byte) and invalid UTF-8.
var badTexts = map[string][2]string{ // name → {JSON-encoded, raw form value}
	"NUL":           {`a\u0000b`, "a\x00b"},
	"invalid UTF-8": {"a\xff\xfeb", "a\xff\xfeb"},
}

// jsonWith marshals v and replaces the string "BAD" by bad (already JSON-encoded).
func jsonWith(v any, bad string) string {
	b, _ := json.Marshal(v)
	return strings.ReplaceAll(string(b), "BAD", bad)
}

func TestHostileInvalidText(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	resp := "/api/v1/responses/" + f.ids["resp"]
	type apiCase struct {
		caller, method, path string
		body                 any
	}
	draft := libDraft("BAD", "private")
	draftLabel := libDraft("Fine", "private")
	draftLabel["sections"].([]map[string]any)[0]["fields"].([]map[string]any)[0]["label"] = "BAD"
	draftDesc := libDraft("Fine", "private")
	draftDesc["description"] = "BAD"
	apiCases := []apiCase{
		{"anon", "POST", "/api/v1/auth/login", map[string]any{"email": "BAD@h.test", "password": "BAD"}},
		{"anon", "POST", "/api/v1/invitations/" + f.ids["tokenDee"] + "/accept", map[string]any{"name": "BAD", "password": apptest.Password}},
		{"ada", "POST", "/api/v1/couples", map[string]any{"label": "BAD", "counselor_id": mustInt(f.ids["cora"]),
			"partners": []map[string]string{{"name": "BAD", "email": "p1@x.test"}, {"name": "Q", "email": "p2@x.test"}}}},
		{"ada", "PATCH", "/api/v1/couples/" + f.ids["couple"], map[string]any{"label": "BAD"}},
		{"ada", "POST", "/api/v1/counselors", map[string]any{"name": "BAD", "email": "nu@h.test"}},
		{"cora", "POST", "/api/v1/exercise-templates", draft},
		{"cora", "POST", "/api/v1/exercise-templates", draftLabel},
		{"cora", "POST", "/api/v1/exercise-templates", draftDesc},
		{"cora", "POST", "/api/v1/couples/" + f.ids["couple"] + "/assignments", map[string]any{"template_id": mustInt(f.ids["tplBuiltin"]),
			"mode": "individual", "partner_id": mustInt(f.ids["partnerA"]), "instructions": "BAD"}},
		{"cora", "POST", resp + "/review", map[string]any{"decision": "revise", "comment": "BAD"}},
		{"B", "PUT", "/api/v1/responses/" + f.ids["respJ"], map[string]any{"version": 1, "answers": map[string]any{"if_crossed": "BAD"}}},
		{"B", "PUT", "/api/v1/responses/" + f.ids["respJ"], map[string]any{"version": 1, "answers": map[string]any{"acceptable": []string{"ok", "BAD"}}}},
	}
	for name, bad := range badTexts {
		for _, c := range apiCases {
			before := dbDigest(t, f.app)
			r := f.api[c.caller].Do(c.method, c.path, jsonWith(c.body, bad[0]), nil)
			if r.Status != 400 && r.Status != 422 {
				t.Errorf("%s in %s %s %s: %d, want 400 or 422\n%.200s", name, c.method, c.path, jsonWith(c.body, "…"), r.Status, r.Body)
			}
			if dbDigest(t, f.app) != before {
				t.Errorf("%s in %s %s: stored", name, c.method, c.path)
			}
		}
		pageCases := []struct {
			caller, path string
			form         url.Values
		}{
			{"anon", "/login", url.Values{"email": {"x@h.test"}, "password": {bad[1]}}},
			{"anon", "/invitations/" + f.ids["tokenDru"], url.Values{"name": {bad[1]}, "password": {apptest.Password}, "confirm": {apptest.Password}}},
			{"ada", "/admin/couples", url.Values{"label": {bad[1]}, "counselor_id": {f.ids["cora"]}, "partner_a_name": {"X"}, "partner_a_email": {"x1@x.test"}, "partner_b_name": {"Y"}, "partner_b_email": {"y1@x.test"}}},
			{"ada", "/admin/counselors", url.Values{"name": {bad[1]}, "email": {"nc@h.test"}}},
			{"cora", "/library/new", url.Values{"op": {"save"}, "title": {bad[1]}}},
			{"cora", "/couples/" + f.ids["couple"] + "/assign", url.Values{"template_id": {f.ids["tplBuiltin"]}, "mode": {"individual"}, "partner_id": {f.ids["partnerA"]}, "instructions": {bad[1]}}},
			{"cora", "/responses/" + f.ids["resp"] + "/review", url.Values{"decision": {"revise"}, "comment": {bad[1]}}},
			{"B", "/responses/" + f.ids["respJ"], url.Values{"op": {"save"}, "version": {"1"}, "a_if_crossed": {bad[1]}}},
		}
		for _, c := range pageCases {
			before := dbDigest(t, f.app)
			c.form.Set("csrf_token", f.csrf[c.caller])
			r := f.browser[c.caller].PostRaw(c.path, c.form)
			if r.Status != 400 && r.Status != 422 {
				t.Errorf("%s in page POST %s: %d, want 400 or 422", name, c.path, r.Status)
			}
			if dbDigest(t, f.app) != before {
				t.Errorf("%s in page POST %s: stored", name, c.path)
			}
		}
	}
}

func TestHostileFieldLimits(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	draft := libDraft(long(201), "private")
	draftLabel := libDraft("Fine", "private")
	draftLabel["sections"].([]map[string]any)[0]["fields"].([]map[string]any)[0]["label"] = long(301) // field labels: 300
	cases := []struct {
		caller, method, path string
		body                 any
	}{
		{"ada", "POST", "/api/v1/couples", map[string]any{"label": long(201), "counselor_id": mustInt(f.ids["cora"]),
			"partners": []map[string]string{{"name": "P", "email": "p1@x.test"}, {"name": "Q", "email": "p2@x.test"}}}},
		{"ada", "POST", "/api/v1/couples", map[string]any{"label": "L", "counselor_id": mustInt(f.ids["cora"]),
			"partners": []map[string]string{{"name": long(201), "email": "p1@x.test"}, {"name": "Q", "email": "p2@x.test"}}}},
		{"ada", "POST", "/api/v1/counselors", map[string]any{"name": long(201), "email": "nu@h.test"}},
		{"cora", "POST", "/api/v1/exercise-templates", draft},
		{"cora", "POST", "/api/v1/exercise-templates", draftLabel},
		{"cora", "POST", "/api/v1/couples/" + f.ids["couple"] + "/assignments", map[string]any{"template_id": mustInt(f.ids["tplBuiltin"]),
			"mode": "individual", "partner_id": mustInt(f.ids["partnerA"]), "instructions": long(4001)}},
		{"cora", "POST", "/api/v1/responses/" + f.ids["resp"] + "/review", map[string]any{"decision": "revise", "comment": long(8001)}},
		{"B", "PUT", "/api/v1/responses/" + f.ids["respJ"], map[string]any{"version": 1, "answers": map[string]any{"if_crossed": long(20001)}}},
	}
	for _, c := range cases {
		before := dbDigest(t, f.app)
		if r := f.api[c.caller].Do(c.method, c.path, c.body, nil); r.Status != 422 {
			t.Errorf("%s %s over the limit: %d\n%.200s", c.method, c.path, r.Status, r.Body)
		}
		if dbDigest(t, f.app) != before {
			t.Errorf("%s %s over the limit: stored", c.method, c.path)
		}
	}
	// The same limits on the page forms.
	long4001 := long(4001)
	for _, c := range []struct {
		caller, path string
		form         url.Values
	}{
		{"cora", "/couples/" + f.ids["couple"] + "/assign", url.Values{"template_id": {f.ids["tplBuiltin"]}, "mode": {"individual"}, "partner_id": {f.ids["partnerA"]}, "instructions": {long4001}}},
		{"cora", "/responses/" + f.ids["resp"] + "/review", url.Values{"decision": {"revise"}, "comment": {long(8001)}}},
		{"ada", "/admin/counselors", url.Values{"name": {long(201)}, "email": {"nc@h.test"}}},
		{"anon", "/invitations/" + f.ids["tokenDee"], url.Values{"name": {long(201)}, "password": {apptest.Password}, "confirm": {apptest.Password}}},
	} {
		before := dbDigest(t, f.app)
		c.form.Set("csrf_token", f.csrf[c.caller])
		if r := f.browser[c.caller].PostRaw(c.path, c.form); r.Status != 422 {
			t.Errorf("page POST %s over the limit: %d", c.path, r.Status)
		}
		if dbDigest(t, f.app) != before {
			t.Errorf("page POST %s over the limit: stored", c.path)
		}
	}
	if r := f.api["anon"].Do("POST", "/api/v1/invitations/"+f.ids["tokenDru"]+"/accept", map[string]any{"name": long(201), "password": apptest.Password}, nil); r.Status != 422 {
		t.Errorf("invitation accept with a long name: %d", r.Status)
	}
	// A short-text field with no max_length gets the default of 500.
	d := libDraft("Defaults", "private")
	d["sections"].([]map[string]any)[0]["fields"].([]map[string]any)[0]["max_length"] = nil
	var tpl struct{ ID int64 }
	if r := f.api["cora"].Do("POST", "/api/v1/exercise-templates", d, &tpl); r.Status != 201 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	var a asgJSON
	if r := f.api["cora"].Do("POST", "/api/v1/couples/"+f.ids["couple"]+"/assignments", map[string]any{"template_id": tpl.ID, "mode": "joint"}, &a); r.Status != 201 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	path := fmt.Sprintf("/api/v1/responses/%d", a.Responses[0].ID)
	if r := f.api["A"].Do("PUT", path, map[string]any{"version": 1, "answers": map[string]any{"what": long(501)}}, nil); r.Status != 422 {
		t.Errorf("short text over 500: %d", r.Status)
	}
	if r := f.api["A"].Do("PUT", path, map[string]any{"version": 1, "answers": map[string]any{"what": long(500)}}, nil); r.Status != 200 {
		t.Errorf("short text of 500: %d %s", r.Status, r.Body)
	}
}

// xssFixture puts the payload in every free-text field that someone else
// reads, and returns what it made.
func xssFixture(t *testing.T) (*matrixFixture, string, string) {
	f := newMatrixFixture(t)
	var c createdCouple
	if r := f.api["ada"].Do("POST", "/api/v1/couples", map[string]any{"label": xss, "counselor_id": mustInt(f.ids["cora"]),
		"partners": []map[string]string{{"name": xss, "email": "x1@x.test"}, {"name": "Q", "email": "x2@x.test"}}}, &c); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	f.ids["xssCouple"] = fmt.Sprint(c.ID)
	if r := f.api["ada"].Do("POST", "/api/v1/counselors", map[string]any{"name": xss, "email": "xc@h.test"}, nil); r.Status != 201 {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	d := libDraft(xss, "clinic")
	d["description"] = xss
	fl := d["sections"].([]map[string]any)[0]["fields"].([]map[string]any)
	fl[0]["label"], fl[0]["help"] = xss, xss
	fl = append(fl, map[string]any{"key": "pick", "type": "single_choice", "label": "Pick", "options": []string{xss, "javascript:alert(1)"}})
	d["sections"].([]map[string]any)[0]["fields"] = fl
	var tpl struct{ ID int64 }
	if r := f.api["cora"].Do("POST", "/api/v1/exercise-templates", d, &tpl); r.Status != 201 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	f.ids["xssTpl"] = fmt.Sprint(tpl.ID)
	var a asgJSON
	if r := f.api["cora"].Do("POST", "/api/v1/couples/"+f.ids["couple"]+"/assignments", map[string]any{"template_id": mustInt(f.ids["tplBuiltin"]),
		"mode": "individual", "partner_id": mustInt(f.ids["partnerA"]), "instructions": xss}, &a); r.Status != 201 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	f.ids["xssAsg"] = fmt.Sprint(a.ID)
	rid := fmt.Sprint(a.Responses[0].ID)
	ans := map[string]any{}
	for k, v := range letter {
		ans[k] = v
	}
	ans["what_i_did"], ans["impact"], ans["changes"] = xss, xss+"\njavascript:alert(1)", []string{xss}
	if r := f.api["A"].Do("PUT", "/api/v1/responses/"+rid, map[string]any{"answers": ans, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	f.api["A"].Do("POST", "/api/v1/responses/"+rid+"/submit", nil, nil)
	if r := f.api["A"].Do("POST", "/api/v1/responses/"+rid+"/share", map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	if r := f.api["cora"].Do("POST", "/api/v1/responses/"+rid+"/review", map[string]any{"decision": "revise", "comment": xss}, nil); r.Status != 200 {
		t.Fatalf("review: %d %s", r.Status, r.Body)
	}
	return f, rid, fmt.Sprint(tpl.ID)
}

func TestHostileXSSEscaped(t *testing.T) {
	t.Parallel()
	f, rid, tpl := xssFixture(t)
	pages := []struct{ caller, path string }{
		{"ada", "/admin/couples"}, {"ada", "/couples/" + f.ids["xssCouple"]}, {"ada", "/admin/counselors"}, {"ada", "/admin/caseloads"},
		{"cora", "/caseload"}, {"cora", "/couples/" + f.ids["xssCouple"]},
		{"carl", "/library"}, {"carl", "/library/" + tpl}, {"carl", "/library/" + tpl + "/print"}, {"cora", "/library/" + tpl + "/edit"},
		{"cora", "/couples/" + f.ids["couple"] + "/assign?template=" + tpl},
		{"A", "/assignments/" + f.ids["xssAsg"]}, {"A", "/responses/" + rid}, {"A", "/"},
		{"cora", "/responses/" + rid}, {"cora", "/responses/" + rid + "/print"}, {"cora", "/assignments/" + f.ids["xssAsg"]},
		{"B", "/responses/" + rid}, {"B", "/assignments/" + f.ids["xssAsg"]},
	}
	for _, p := range pages {
		r := f.browser[p.caller].Get(p.path)
		if r.Status != 200 {
			t.Errorf("%s as %s: %d", p.path, p.caller, r.Status)
			continue
		}
		// The caseload overview, the client's home and the other partner's
		// view of A's own exercise (no instructions) show no free text.
		freeText := p.path != "/admin/caseloads" && p.path != "/" && !(p.caller == "B" && strings.HasPrefix(p.path, "/assignments/"))
		checkEscaped(t, p.path+" as "+p.caller, r.Body, freeText)
	}
	// The builder preview renders posted text escaped too.
	r := f.browser["cora"].PostRaw("/library/new", url.Values{"csrf_token": {f.csrf["cora"]}, "op": {"preview"}, "title": {xss}})
	not5xx(t, "preview", r)
	if strings.Contains(r.Body, "<script>window.__x") {
		t.Error("preview: raw payload")
	}
}

func TestHostileSQLMetacharacters(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	// Forged cursors: a NUL inside the JSON of a well-formed cursor.
	for _, p := range []struct{ caller, path string }{
		{"ada", "/api/v1/couples?after=eyJsIjoiXHUwMDAwIiwiaSI6MX0"}, {"ada", "/admin/couples?after=eyJsIjoiXHUwMDAwIiwiaSI6MX0"},
		{"cora", "/api/v1/exercise-templates?after=eyJ0IjoiXHUwMDAwIiwiaSI6MX0"}, {"cora", "/library?after=eyJ0IjoiXHUwMDAwIiwiaSI6MX0"},
	} {
		var r apptest.Response
		if strings.HasPrefix(p.path, "/api/") {
			r = f.api[p.caller].Do("GET", p.path, nil, nil)
		} else {
			r = f.browser[p.caller].Get(p.path)
		}
		if r.Status != 400 {
			t.Errorf("%s: %d, want 400", p.path, r.Status)
		}
	}
	payloads := []string{`' OR '1'='1`, `'; DROP TABLE couples; --`, `%`, `_`, `\`, `%' OR 1=1 --`, `1 OR 1=1`, `-1`, `99999999999999999999`, "\x00", `"`, `$1`}
	paths := []struct{ caller, path string }{
		{"ada", "/api/v1/couples?q=%s"}, {"ada", "/api/v1/couples?status=%s"}, {"ada", "/api/v1/couples?after=%s"}, {"ada", "/api/v1/couples?counselor_id=%s"},
		{"ada", "/api/v1/couples?limit=%s"}, {"ada", "/admin/couples?q=%s"}, {"ada", "/admin/couples?status=%s&after=%s"},
		{"cora", "/api/v1/exercise-templates?q=%s"}, {"cora", "/api/v1/exercise-templates?category=%s"}, {"cora", "/api/v1/exercise-templates?after=%s"},
		{"cora", "/api/v1/exercise-templates?mode=%s"}, {"cora", "/library?q=%s&category=%s"}, {"cora", "/library?after=%s"},
		{"ada", "/api/v1/audit?actor=%s"}, {"ada", "/api/v1/audit?couple_id=%s"}, {"ada", "/api/v1/audit?action=%s"}, {"ada", "/api/v1/audit?after=%s"},
		{"ada", "/api/v1/audit?from=%s"}, {"ada", "/admin/audit?actor=%s&action=%s"},
		{"cora", "/api/v1/review-queue?after=%s"}, {"cora", "/review?after=%s"}, {"cora", "/api/v1/assignments?status=%s"},
		{"cora", "/api/v1/assignments?couple_id=%s"}, {"A", "/api/v1/assignments?status=%s"}, {"cora", "/caseload?q=%s"}, {"ada", "/admin/caseloads?q=%s"},
		{"cora", "/api/v1/caseload?q=%s"}, {"cora", "/couples/" + "%s"}, {"cora", "/api/v1/couples/%s/checkins?from=%s"},
	}
	for _, p := range paths {
		for _, pl := range payloads {
			q := url.QueryEscape(pl)
			path := strings.ReplaceAll(p.path, "%s", q)
			var r apptest.Response
			if strings.HasPrefix(path, "/api/") {
				r = f.api[p.caller].Do("GET", path, nil, nil)
			} else {
				r = f.browser[p.caller].Get(path)
			}
			if r.Status >= 500 || (r.Status != 200 && r.Status != 400 && r.Status != 404 && r.Status != 422) {
				t.Errorf("%s as %s: %d (want 200, 400, 404 or 422)", path, p.caller, r.Status)
			}
			for _, foreign := range []string{"North couple", "Finn private", "nell@x.test"} {
				if strings.Contains(r.Body, foreign) {
					t.Errorf("%s as %s: another clinic's data (%s)", path, p.caller, foreign)
				}
			}
		}
	}
	var n int
	f.app.DB.Get(&n, `SELECT count(*) FROM couples`)
	if n != 4 {
		t.Errorf("couples: %d", n)
	}
}

func TestHostileMassAssignment(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	var otherClinic int64
	f.app.DB.Get(&otherClinic, `SELECT id FROM clinics WHERE name = 'Northside'`)
	// A couple for another clinic's counselor: refused.
	r := f.api["ada"].Do("POST", "/api/v1/couples", map[string]any{"label": "Mass", "counselor_id": mustInt(f.ids["finn"]), "clinic_id": otherClinic,
		"partners": []map[string]string{{"name": "P", "email": "m1@x.test"}, {"name": "Q", "email": "m2@x.test"}}}, nil)
	not5xx(t, "couple for foreign counselor", r)
	var n int
	f.app.DB.Get(&n, `SELECT count(*) FROM couples WHERE label = 'Mass'`)
	if r.Status/100 == 2 || n != 0 {
		t.Errorf("couple with another clinic's counselor: %d, stored %d", r.Status, n)
	}
	// clinic_id and id in the body are ignored.
	var c createdCouple
	r = f.api["ada"].Do("POST", "/api/v1/couples", map[string]any{"label": "Mass2", "counselor_id": mustInt(f.ids["cora"]), "clinic_id": otherClinic, "id": 1,
		"status": "closed", "partners": []map[string]any{{"name": "P", "email": "m3@x.test", "user_id": mustInt(f.ids["finn"])}, {"name": "Q", "email": "m4@x.test"}}}, &c)
	not5xx(t, "couple with clinic_id", r)
	if r.Status == 201 {
		var row struct {
			Clinic int64  `db:"clinic_id"`
			Status string `db:"status"`
		}
		f.app.DB.Get(&row, `SELECT clinic_id, status FROM couples WHERE id = $1`, c.ID)
		if row.Clinic == otherClinic || c.ID == 1 || row.Status == "closed" {
			t.Errorf("mass assignment applied: %+v id %d", row, c.ID)
		}
		var linked int
		f.app.DB.Get(&linked, `SELECT count(*) FROM partners WHERE couple_id = $1 AND user_id IS NOT NULL`, c.ID)
		if linked != 0 {
			t.Error("partner user_id taken from the body")
		}
	}
	// A counselor invitation cannot choose its role or clinic.
	r = f.api["ada"].Do("POST", "/api/v1/counselors", map[string]any{"name": "Max", "email": "max@h.test", "role": "clinic_admin", "clinic_id": otherClinic}, nil)
	not5xx(t, "counselor role", r)
	f.app.DB.Get(&n, `SELECT count(*) FROM invitations i WHERE i.role <> 'counselor' AND i.email = 'max@h.test' OR (i.email = 'max@h.test' AND i.clinic_id = $1)`, otherClinic)
	if n != 0 {
		t.Error("invitation role or clinic taken from the body")
	}
	// A template cannot be made a built-in, nor belong to someone else or another clinic.
	d := libDraft("Mass tpl", "builtin")
	r = f.api["cora"].Do("POST", "/api/v1/exercise-templates", d, nil)
	not5xx(t, "builtin template", r)
	d = libDraft("Mass tpl", "private")
	d["owner_id"], d["clinic_id"], d["slug"] = mustInt(f.ids["carl"]), otherClinic, "apology-letter-2"
	var tpl struct{ ID int64 }
	r = f.api["cora"].Do("POST", "/api/v1/exercise-templates", d, &tpl)
	not5xx(t, "template owner", r)
	f.app.DB.Get(&n, `SELECT count(*) FROM exercise_templates WHERE title = 'Mass tpl' AND (visibility = 'builtin' OR owner_id <> $1 OR clinic_id <> (SELECT clinic_id FROM memberships WHERE user_id = $1 LIMIT 1) OR slug IS NOT NULL)`, mustInt(f.ids["cora"]))
	if n != 0 {
		t.Error("template visibility, owner, clinic or slug taken from the body")
	}
	// A response's author, partner and status are not settable.
	rj := "/api/v1/responses/" + f.ids["respJ"]
	r = f.api["A"].Do("PUT", rj, map[string]any{"version": 1, "answers": map[string]any{"if_crossed": "mine"}, "partner_id": mustInt(f.ids["partnerA"]),
		"status": "accepted", "author_id": 1, "shared": true}, nil)
	not5xx(t, "response fields", r)
	var row struct {
		Partner *int64 `db:"partner_id"`
		Status  string `db:"status"`
	}
	f.app.DB.Get(&row, `SELECT partner_id, status FROM responses WHERE id = $1`, mustInt(f.ids["respJ"]))
	if row.Partner != nil || row.Status != "draft" {
		t.Errorf("response fields applied: %+v", row)
	}
	// An assignment cannot be moved to another couple or clinic.
	r = f.api["cora"].Do("PATCH", "/api/v1/assignments/"+f.ids["asg"], map[string]any{"couple_id": mustInt(f.ids["coupleCarl"]), "clinic_id": otherClinic, "counselor_id": mustInt(f.ids["finn"])}, nil)
	not5xx(t, "assignment fields", r)
	var couple int64
	f.app.DB.Get(&couple, `SELECT couple_id FROM assignments WHERE id = $1`, mustInt(f.ids["asg"]))
	if fmt.Sprint(couple) != f.ids["couple"] {
		t.Error("assignment moved")
	}
	// A page POST for a couple cannot move it to another clinic's counselor.
	r = f.browser["ada"].PostRaw("/admin/couples/"+f.ids["couple"], url.Values{"csrf_token": {f.csrf["ada"]}, "label": {"Alex & Blair"}, "counselor_id": {f.ids["finn"]}, "clinic_id": {fmt.Sprint(otherClinic)}})
	not5xx(t, "page couple update", r)
	var cid int64
	f.app.DB.Get(&cid, `SELECT counselor_id FROM couples WHERE id = $1`, mustInt(f.ids["couple"]))
	if fmt.Sprint(cid) == f.ids["finn"] {
		t.Error("couple moved to another clinic's counselor")
	}
}

// Every page POST refuses a missing or foreign CSRF token with 403. The
// only POST without CSRF is the one-click unsubscribe, which a mail program
// sends with no cookie: there a bad MAC is 404 and changes nothing.
func TestHostileCSRFEveryPagePOST(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	foreign := f.csrf["carl"]
	for _, r := range f.app.Server.Routes() {
		if r.Method != "POST" || strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		want := 403
		if f.app.Server.Sessionless(r.Method, r.Path) {
			if r.Path != "/unsubscribe/:uid/:category/:mac" {
				t.Errorf("POST %s takes no CSRF token", r.Path)
			}
			want = 404
		}
		path := f.path(t, matrix[r.Method+" "+r.Path][0].path)
		for _, caller := range []string{"anon", "cora", "ada", "A"} {
			before := dbDigest(t, f.app)
			for _, tok := range []string{"", foreign, "x"} {
				form := url.Values{"label": {"CSRF"}, "active": {"false"}}
				if tok != "" {
					form.Set("csrf_token", tok)
				}
				if caller == "carl" {
					continue
				}
				if res := f.browser[caller].PostRaw(path, form); res.Status != want {
					t.Errorf("POST %s as %s with token %q: %d, want %d", path, caller, tok, res.Status, want)
				}
			}
			// A token in the header from another session is refused too.
			req, _ := http.NewRequest("POST", f.app.URL+path, strings.NewReader("label=CSRF"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-CSRF-Token", foreign)
			for _, ck := range f.browser[caller].C.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("POST %s as %s with a foreign header token: %d", path, caller, res.StatusCode)
			}
			if dbDigest(t, f.app) != before {
				t.Errorf("POST %s as %s without a valid token changed the database", path, caller)
			}
		}
	}
}

func TestHostileSessionFixation(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	u, _ := url.Parse(f.app.URL)
	// TOTP sign-in: the id changes after the password step and after the code.
	b := f.app.Browser()
	b.Login("cora@h.test")
	secret, _ := enrol(t, b)
	b2 := f.app.Browser()
	b2.Get("/login")
	s0 := cookie(b2, u)
	if r := postLogin(b2, "cora@h.test", apptest.Password); r.Status != 303 || r.Location != "/login/totp" {
		t.Fatalf("password step: %d %q", r.Status, r.Location)
	}
	s1 := cookie(b2, u)
	code, _ := totp.GenerateCode(secret, time.Now().Add(30*time.Second))
	if r := b2.Post("/login/totp", url.Values{"code": {code}}, "/login/totp"); r.Status != 303 {
		t.Fatalf("code step: %d %s", r.Status, r.Body)
	}
	s2 := cookie(b2, u)
	if s0 == "" || s0 == s1 || s1 == s2 || s0 == s2 {
		t.Errorf("session id not renewed through the TOTP sign-in: %q → %q → %q", s0, s1, s2)
	}
	// Invitation accept signs in with a new session id.
	b3 := f.app.Browser()
	path := "/invitations/" + f.ids["tokenDee"]
	b3.Get(path)
	before := cookie(b3, u)
	if r := b3.Post(path, url.Values{"name": {"Dee"}, "password": {apptest.Password}, "confirm": {apptest.Password}}, path); r.Status != 303 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	after := cookie(b3, u)
	if before == "" || after == "" || before == after {
		t.Errorf("session id not renewed at invitation accept: %q → %q", before, after)
	}
	if r := b3.Get("/"); r.Status != 200 {
		t.Errorf("not signed in after accept: %d", r.Status)
	}
}

func TestHostilePathTricks(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	paths := []string{
		"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/..%2fgo.mod", "/static/%2e%2e%2fgo.mod", "/static/..%5cgo.mod",
		"/static//etc/passwd", "/static/%00", "/static/app.css%00.js", "/static/../../../../etc/passwd",
		"//admin/couples", "/admin//couples", "/admin%2Fcouples", "/admin/couples%2F", "/api/v1/../admin/couples", "/api/v1/%2e%2e/admin/couples",
		"/api/v1//couples", "/api/v1/couples%2F1", "/api/v1/couples/1%00", "/couples/%2e%2e", "/couples/..%2F..%2Fgo.mod", "/couples/1;2",
		"/responses/%00", "/library/-1", "/library/0x10", "/library/1e3", "/invitations/%2e%2e", "/invitations/..%2F..%2Fadmin", "/%2e%2e/go.mod",
		"/./admin/couples", "/admin/./couples", "/api/v1/./audit", "/api/v1/audit/", "/admin/audit/", "/healthz/../admin/audit",
	}
	for _, p := range paths {
		for _, caller := range []string{"anon", "A", "cora"} {
			req, err := http.NewRequest("GET", f.app.URL+p, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.URL.RawPath, req.URL.Path = "", ""
			req.URL.Opaque = "//" + req.URL.Host + p
			if strings.HasPrefix(p, "/api/") && f.api[caller].Token != "" {
				req.Header.Set("Authorization", "Bearer "+f.api[caller].Token)
			}
			for _, ck := range f.browser[caller].C.Jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			res, err := f.browser[caller].C.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var buf [4096]byte
			n, _ := res.Body.Read(buf[:])
			res.Body.Close()
			body := string(buf[:n])
			if res.StatusCode >= 500 {
				t.Errorf("%s as %s: %d", p, caller, res.StatusCode)
			}
			if strings.Contains(body, "module github.com/mend-clinic") || strings.Contains(body, "root:x:0") {
				t.Errorf("%s as %s: a file outside static", p, caller)
			}
			if res.StatusCode == 200 && (strings.Contains(p, "admin") || strings.Contains(p, "audit")) && caller != "ada" {
				t.Errorf("%s as %s: 200 on an admin page", p, caller)
			}
		}
	}
}
