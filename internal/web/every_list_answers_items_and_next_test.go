package web_test

import (
	"encoding/json"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// Every list of the API answers one shape, paging.Page's:
// {"items": [...], "next": "..."|null}, with [] (never null) when empty,
// and a forged cursor is a 400 {"error": ...}, never a 500.
func TestEveryListAnswersItemsAndNext(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	cl := app.Clinic("Harbor")
	app.User(cl, "clinic_admin", "admin@h.test", "Admin")
	app.User(cl, "counselor", "maya@h.test", "Maya")
	admin, maya := app.Login("admin@h.test"), app.Login("maya@h.test")
	for _, c := range []struct {
		api  *apptest.API
		path string
	}{
		{admin, "/api/v1/couples"},
		{admin, "/api/v1/counselors"},
		{maya, "/api/v1/exercise-templates"},
		{maya, "/api/v1/caseload"},
		{maya, "/api/v1/assignments"},
	} {
		r := c.api.Do("GET", c.path, nil, nil)
		if r.Status != 200 {
			t.Errorf("GET %s: %d %s", c.path, r.Status, r.Body)
			continue
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatalf("GET %s: %v %s", c.path, err, r.Body)
		}
		items, next := body["items"], body["next"]
		if len(items) == 0 || items[0] != '[' {
			t.Errorf("GET %s: items %s, want a JSON array", c.path, items)
		}
		if _, ok := body["next"]; !ok || (string(next) != "null" && next[0] != '"') {
			t.Errorf("GET %s: next %s, want a string or null", c.path, next)
		}
		if c.path == "/api/v1/caseload" {
			continue // one page: no cursor to forge
		}
		if r := c.api.Do("GET", c.path+"?after=%21%21%21", nil, nil); r.Status != 400 || !json.Valid([]byte(r.Body)) {
			t.Errorf("GET %s with a forged cursor: %d %s, want 400 with an error", c.path, r.Status, r.Body)
		}
	}
}
