package web_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/assignment"
)

// The rule of docs/migrations.md: a release's migrations only add (columns
// nullable or with a default), and this release's reads never depend on the
// exact set of columns. So an instance still running this code keeps
// answering while a newer instance migrates: here every table gains a
// column this code has never heard of, and then every page and API read of
// the authorization matrix that a caller may make answers 200 — signing in,
// every role's home, the review queue, assignments, responses and their
// kept submissions, the admin's couples and counselors, the audit trail,
// the library, and their API twins.
func TestReadsIgnoreColumnsAddedLater(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	app := f.app
	// Give the reads something to read: feedback, a resubmission (two kept
	// submissions, a diff) waiting in the review queue.
	cora, alex := app.Login("cora@h.test"), app.Login("alex@h.test")
	resp := "/api/v1/responses/" + f.ids["resp"]
	if r := cora.Do("POST", resp+"/review", map[string]any{"decision": "revise", "comment": "Say what you will change."}, nil); r.Status != 200 {
		t.Fatalf("review: %d %s", r.Status, r.Body)
	}
	second := map[string]any{}
	for k, v := range letter {
		second[k] = v
	}
	second["what_i_did"] = "I hid the messages from you for months."
	if r := alex.Do("PUT", resp, map[string]any{"answers": second, "version": 2}, nil); r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", resp+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}

	// Every table of the application (not goose's or River's own) gains a
	// column, as a later release's additive migration would add it.
	var tables []string
	if err := app.DB.Select(&tables, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND c.relname <> 'goose_db_version' AND c.relname NOT LIKE 'river\_%' ORDER BY c.relname`); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"users", "responses", "submissions", "reviews", "audit_log", "sessions", "login_failures"} {
		if !contains(tables, want) {
			t.Fatalf("table %s not found among %v", want, tables)
		}
	}
	for _, tbl := range tables {
		app.Exec(`ALTER TABLE ` + tbl + ` ADD COLUMN added_by_a_later_release text DEFAULT 'later'`)
	}
	// The column is there for every reader: a scan of all columns into this
	// release's struct, as the code once did, now fails.
	var r assignment.Response
	if err := app.DB.Get(&r, `SELECT * FROM responses LIMIT 1`); err == nil || !strings.Contains(err.Error(), "missing destination name") {
		t.Fatalf("a scan of every column still works (%v): the test would prove nothing", err)
	}

	// Sign in again, pages and API, every caller.
	for _, c := range matrixCallers {
		b := app.Browser()
		if c != "anon" {
			b.Login(emails[c])
			f.api[c] = app.Login(emails[c])
		}
		f.browser[c] = b
	}

	var keys []string
	for k := range matrix {
		if strings.HasPrefix(k, "GET ") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	reads := 0
	for _, k := range keys {
		for _, c := range matrix[k] {
			path := f.path(t, c.path)
			for i, caller := range matrixCallers {
				if c.want[i] != 'Y' {
					continue
				}
				res := f.send(caller, "GET", path)
				reads++
				if redirects[k] && res.Status == http.StatusSeeOther && (k == "GET /login/totp" || !strings.HasPrefix(res.Location, "/login")) {
					continue
				}
				if res.Status != http.StatusOK {
					t.Errorf("%s as %s with a column added to every table: %d\n%.300s", path, caller, res.Status, res.Body)
				}
			}
		}
	}
	if reads < 100 {
		t.Fatalf("only %d reads made", reads)
	}
	t.Logf("%d tables with an unknown column, %d reads answered", len(tables), reads)
}

// redirects are GET routes that send callers on by design (GET /login a
// signed-in caller home, GET /assign to the couple's assign form, read
// through its own route; GET /login/totp, outside a sign-in, back to the
// start of one).
var redirects = map[string]bool{"GET /login": true, "GET /assign": true, "GET /login/totp": true}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
