package web_test

import (
	"strings"
	"testing"
)

// nulCursor is {"l":"\u0000","i":1,"v":0}: a cursor whose text PostgreSQL
// refuses as a parameter (the outside review's example).
const nulCursor = "eyJsIjoiXHUwMDAwIiwiaSI6MSwidiI6MH0"

// listRoutes are the routes that page with ?after=.
var listRoutes = map[string]bool{
	"GET /api/v1/counselors": true, "GET /api/v1/couples": true, "GET /api/v1/exercise-templates": true,
	"GET /api/v1/review-queue": true, "GET /api/v1/assignments": true, "GET /api/v1/audit": true,
	"GET /admin/couples": true, "GET /library": true, "GET /review": true, "GET /admin/audit": true,
}

// Every list answers a forged cursor (a NUL byte inside) with 400, pages
// and API alike; and no GET route of the table answers 5xx to one.
func TestEveryListRefusesANULCursor(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	seen := map[string]bool{}
	for _, r := range f.app.Server.Routes() {
		k := r.Method + " " + r.Path
		if r.Method != "GET" || matrix[k] == nil {
			continue
		}
		c := matrix[k][0]
		for i, caller := range matrixCallers {
			if c.want[i] != 'Y' {
				continue
			}
			path := f.path(t, c.path)
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			res := f.send(caller, "GET", path+sep+"after="+nulCursor)
			switch {
			case res.Status >= 500:
				t.Errorf("%s as %s: %d", path, caller, res.Status)
			case listRoutes[k] && res.Status != 400:
				t.Errorf("%s as %s: %d, want 400 for a forged cursor", path, caller, res.Status)
			}
			if listRoutes[k] {
				seen[k] = true
			}
			break // one allowed caller per route is enough
		}
	}
	for k := range listRoutes {
		if !seen[k] {
			t.Errorf("list %s was not tried", k)
		}
	}
}
