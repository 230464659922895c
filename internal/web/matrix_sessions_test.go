package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
)

// sessions adds the matrix's sessions: {sess} and {sessDel} of Cora's
// couple, {sessCarl} of Carl's, {sessFinn} of the other clinic's, and
// {feedCora}, the secret of Cora's calendar feed.
func (f *matrixFixture) sessions(t *testing.T, cora, carl, finn *apptest.API) {
	t.Helper()
	at := func(days int) string {
		return time.Now().Add(time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	}
	schedule := func(api *apptest.API, couple string, days int) string {
		t.Helper()
		var out struct {
			Items []struct{ ID int64 } `json:"items"`
		}
		if r := api.Do("POST", "/api/v1/couples/"+couple+"/sessions", map[string]any{"starts_at": at(days), "minutes": 50}, &out); r.Status != 201 {
			t.Fatalf("schedule: %d %s", r.Status, r.Body)
		}
		return fmt.Sprint(out.Items[0].ID)
	}
	f.ids["sess"] = schedule(cora, f.ids["couple"], 3)
	f.ids["sessDel"] = schedule(cora, f.ids["couple"], 10)
	f.ids["sessCarl"] = schedule(carl, f.ids["coupleCarl"], 3)
	f.ids["sessFinn"] = schedule(finn, f.ids["coupleFinn"], 3)
	var feed struct{ URL string }
	if r := cora.Do("POST", "/api/v1/me/calendar-feed", nil, &feed); r.Status != 201 {
		t.Fatalf("feed: %d %s", r.Status, r.Body)
	}
	f.ids["feedCora"] = strings.TrimSuffix(feed.URL[strings.LastIndex(feed.URL, "/")+1:], ".ics")
}
