package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/paging"
	"github.com/mend-clinic/mend/internal/web"
)

// FuzzReviewQueueCursor: no panic; an accepted cursor names a positive
// response id and re-encodes to a cursor that parses to the same position.
func FuzzReviewQueueCursor(f *testing.F) {
	f.Add(web.QueueCursor(web.QueueItem{ResponseID: 42, SubmittedAt: time.UnixMicro(1_700_000_000_000_000)}, web.QueueFilter{}))
	f.Add(web.QueueCursor(web.QueueItem{ResponseID: 7, Concern: true, SubmittedAt: time.UnixMicro(1_700_000_000_000_000)}, web.QueueFilter{CoupleID: 3, PartnerID: 4, TemplateID: 5}))
	for _, s := range []string{"", "garbage", "MTox", "LTE6LTE", "OTIyMzM3MjAzNjg1NDc3NTgwNzo5MjIzMzcyMDM2ODU0Nzc1ODA3", "Jzsg", "%00", "MTox====", "MTowMQ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, qf, err := web.ParseQueueCursor(s)
		if err != nil || c == nil {
			if s != "" && c != nil {
				t.Fatal("cursor and error")
			}
			return
		}
		if c.ID <= 0 || qf.CoupleID < 0 || qf.PartnerID < 0 || qf.TemplateID < 0 {
			t.Fatalf("cursor %q accepted with id %d, filter %+v", s, c.ID, qf)
		}
		s2 := web.QueueCursor(web.QueueItem{ResponseID: c.ID, SubmittedAt: c.At, Concern: c.Concern}, qf)
		c2, qf2, err := web.ParseQueueCursor(s2)
		if err != nil || c2.ID != c.ID || !c2.At.Equal(c.At) || c2.Concern != c.Concern || qf2 != qf {
			t.Fatalf("re-encoded %q: %v %+v vs %+v", s2, err, c2, c)
		}
	})
}

// FuzzAuditFilter: no panic; ids are positive or unset; a malformed value
// is named, never half-applied; the limit is in range; the action has no NUL
// and at most 100 bytes.
func FuzzAuditFilter(f *testing.F) {
	for _, s := range []string{"actor=1&couple_id=2&action=login&from=2026-01-01&to=2026-01-02T00:00:00Z&after=9&limit=50",
		"actor=1%27%20OR%201%3D1--", "couple_id=-1", "action=%00", "limit=0", "limit=99999999999999999999", "from=2026-02-30", "to=not-a-date", "after=1;DROP TABLE audit_log"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, _ := url.ParseQuery(q)
		fl, bad := web.ParseAuditFilter(q)
		if fl.ActorID < 0 || fl.CoupleID < 0 || fl.After < 0 {
			t.Fatalf("negative id from %q: %+v", q, fl)
		}
		if fl.Limit < 0 || fl.Limit > paging.Max {
			t.Fatalf("limit %d from %q", fl.Limit, q)
		}
		if len(fl.Action) > 100 || strings.ContainsRune(fl.Action, 0) {
			t.Fatalf("action %q accepted", fl.Action)
		}
		for name := range bad {
			if !vals.Has(name) {
				t.Fatalf("%s reported bad but not given", name)
			}
		}
		if v := strings.TrimSpace(vals.Get("actor")); v != "" && bad["actor"] == "" {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != fl.ActorID {
				t.Fatalf("actor %q read as %d", v, fl.ActorID)
			}
		}
		if !fl.From.IsZero() && !fl.To.IsZero() && bad["from"] == "" && bad["to"] == "" {
			_ = fl.From.Before(fl.To) // both parsed: any order is the caller's business
		}
	})
}

// FuzzCoupleFilter: the couples list's ?limit=&counselor_id= parsing: no
// panic; an accepted limit is in 1..MaxLimit; free text passes through
// unchanged (it is bound as a parameter, never spliced into SQL).
func FuzzCoupleFilter(f *testing.F) {
	for _, s := range []string{"q=%25&status=active&limit=5&after=eyJsIjoiYSIsImkiOjF9", "limit=-1", "limit=101", "limit=1e3", "counselor_id=1%20OR%201=1", "q='%3B--&status=%00", "counselor_id=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, _ := url.ParseQuery(q)
		fl, err := web.CoupleFilter(q)
		if err != nil {
			return
		}
		if fl.Limit < 1 || fl.Limit > clinic.MaxLimit {
			t.Fatalf("limit %d from %q", fl.Limit, q)
		}
		if fl.Q != vals.Get("q") || fl.Status != vals.Get("status") || fl.After != vals.Get("after") {
			t.Fatalf("free text changed: %+v", fl)
		}
	})
}

// FuzzLibraryFilter: the library list's query: no panic; limit in range or
// unset; text passes through unchanged.
func FuzzLibraryFilter(f *testing.F) {
	for _, s := range []string{"q=love&category=repair&mode=joint&after=x&limit=10&archived=1", "limit=0", "limit=abc", "q=%27%20OR%20%271%27=%271", "category=%ff%fe", "after=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		vals, _ := url.ParseQuery(q)
		fl, err := web.LibraryFilter(q)
		if err != nil {
			return
		}
		if fl.Limit < 0 || fl.Limit > library.MaxLimit {
			t.Fatalf("limit %d", fl.Limit)
		}
		if fl.Q != vals.Get("q") || fl.Category != vals.Get("category") || fl.After != vals.Get("after") {
			t.Fatalf("free text changed: %+v", fl)
		}
		_ = utf8.ValidString(fl.Q)
	})
}

// FuzzCouplesCursor sends arbitrary ?after= cursors (and a free-text ?q=)
// to the couples list of a real server: 200 or 400, never 5xx, and never a
// couple of another clinic. Valid cursors handed out by the server are in
// the seed corpus.
func FuzzCouplesCursor(f *testing.F) {
	app := apptest.New(f)
	a, b := app.Clinic("Harbor"), app.Clinic("Northside")
	coun := app.User(a, "counselor", "c@a.test", "Cora")
	app.User(a, "clinic_admin", "admin@a.test", "Ada")
	counB := app.User(b, "counselor", "c@b.test", "Bo")
	for i, label := range []string{"Able & Baker", "Ávila & Chen", "zed & O'Hara", "100% & _under_"} {
		app.Exec(`INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, $2, $3)`, a, label, coun)
		app.Exec(`INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, $2, $3)`, b, fmt.Sprintf("Other %d", i), counB)
	}
	admin := app.Login("admin@a.test")
	var page struct {
		Items []struct {
			Label string `json:"label"`
		} `json:"items"`
		Next *string `json:"next"`
	}
	admin.Do("GET", "/api/v1/couples?limit=1", nil, &page)
	if page.Next != nil {
		f.Add(*page.Next, "")
	}
	for _, s := range []string{"", "garbage", "eyJsIjoiYSIsImkiOjB9", "eyJsIjoiJyBPUiAxPTEtLSIsImkiOjF9", "eyJsIjoiXHUwMDAwIiwiaSI6MX0", "eyJsIjoxLCJpIjoiMSJ9", "e30"} {
		f.Add(s, "%")
	}
	f.Fuzz(func(t *testing.T, after, q string) {
		// apptest's client reports through the F, so use net/http here.
		req, _ := http.NewRequest("GET", app.URL+"/api/v1/couples?after="+url.QueryEscape(after)+"&q="+url.QueryEscape(q), nil)
		req.Header.Set("Authorization", "Bearer "+admin.Token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != 200 && res.StatusCode != 400 {
			t.Fatalf("after=%q q=%q: %d", after, q, res.StatusCode)
		}
		var got struct {
			Items []struct {
				Label string `json:"label"`
			} `json:"items"`
		}
		json.NewDecoder(res.Body).Decode(&got)
		for _, it := range got.Items {
			if strings.HasPrefix(it.Label, "Other ") {
				t.Fatalf("another clinic's couple: %q", it.Label)
			}
		}
	})
}
