package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

// A session's private note is its counselor's alone: saved like a draft
// (versioned; a stale save is refused with the current text, on the page
// with both texts), every read audited with ids only, and never shown to a
// partner, an admin, another counselor or clinic — in pages, the API, the
// calendar feed (the export), the audit trail or the mail queue. The place
// note is the counselor's too: partners and admins get dates and times.
func TestSessionNotesAreTheCounselorsAlone(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	const secret = "NOTE-SECRET Alex minimises; ask about the weekend"
	cora := app.Login("cora@h.test")
	s := p.schedule(t, cora, p.couple, time.Now().Add(72*time.Hour).Truncate(time.Minute), nil)[0]
	path := fmt.Sprintf("/api/v1/sessions/%d/note", s.ID)

	// API: first save, then a stale one (409 with the current text).
	var n struct {
		Text    string
		Version int
	}
	if r := cora.Do("PUT", path, map[string]any{"text": secret, "version": 0}, &n); r.Status != 200 || n.Version != 1 || n.Text != secret {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	var stale struct {
		Text    string
		Version int
	}
	if r := cora.Do("PUT", path, map[string]any{"text": "lost?", "version": 0}, &stale); r.Status != 409 || stale.Text != secret || stale.Version != 1 {
		t.Fatalf("stale save: %d %s", r.Status, r.Body)
	}
	// The page: Save works without JavaScript; a stale save shows both texts.
	cb := p.browser(t, "cora@h.test")
	prep := fmt.Sprintf("/sessions/%d/prep", s.ID)
	if r := cb.Post(fmt.Sprintf("/sessions/%d/note", s.ID), url.Values{"text": {secret + " (2)"}, "version": {"1"}, "op": {"save"}}, prep); r.Status != 303 {
		t.Fatalf("page save: %d %s", r.Status, r.Body)
	}
	r := cb.Post(fmt.Sprintf("/sessions/%d/note", s.ID), url.Values{"text": {"Typed in an old tab"}, "version": {"1"}, "op": {"save"}}, prep)
	if r.Status != 409 || !strings.Contains(r.Body, "Saved meanwhile (version 2)") || !strings.Contains(r.Body, secret+" (2)") ||
		!strings.Contains(r.Body, ">Typed in an old tab</textarea>") || !strings.Contains(r.Body, `name="version" value="2"`) {
		t.Fatalf("stale page save: %d\n%s", r.Status, r.Body)
	}
	// Autosave answers JSON: the new version, or on a stale save the current
	// version without the text (the page then posts the form to show it).
	csrf := cb.CSRF(prep)
	auto := func(text, version string) (int, map[string]any) {
		req := url.Values{"text": {text}, "version": {version}, "csrf_token": {csrf}}
		res := cb.PostRaw(fmt.Sprintf("/sessions/%d/note/autosave", s.ID), req)
		var out map[string]any
		json.Unmarshal([]byte(res.Body), &out)
		return res.Status, out
	}
	if st, out := auto(secret, "2"); st != 200 || out["version"] != float64(3) {
		t.Fatalf("autosave: %d %v", st, out)
	}
	if st, out := auto("older", "2"); st != 409 || out["version"] != float64(3) || out["text"] != nil {
		t.Fatalf("stale autosave: %d %v", st, out)
	}
	// The counselor reads it on the prep page, page and API; each read is
	// audited with the session and the version only.
	if body := cb.Get(prep).Body; !strings.Contains(body, secret) {
		t.Fatal("the counselor does not see her note")
	}
	var pj prepJSON
	cora.Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", s.ID), nil, &pj)
	if pj.Note.Text != secret || pj.Note.Version != 3 {
		t.Fatalf("prep note: %+v", pj.Note)
	}
	var reads []string
	mustSelect(t, app.DB.Select(&reads, `SELECT detail FROM audit_log WHERE action = 'appointment_note.read' AND object_id = $1 ORDER BY seq`, s.ID))
	if len(reads) < 2 || reads[len(reads)-1] != `{"version":3}` {
		t.Fatalf("note reads audited: %v", reads)
	}

	// Everyone else, everywhere: never the note, never the place note.
	var feed struct{ URL string }
	mustOK(t, cora.Do("POST", "/api/v1/me/calendar-feed", nil, &feed))
	feedPath := feed.URL[strings.Index(feed.URL, "/calendar/"):]
	if body := app.Browser().Get(feedPath).Body; strings.Contains(body, "NOTE-SECRET") || strings.Contains(body, "Room 2") || !strings.Contains(body, "BEGIN:VEVENT") {
		t.Errorf("calendar feed:\n%s", body)
	}
	pages := []string{"/", fmt.Sprintf("/sessions/%d", s.ID), prep, fmt.Sprintf("/couples/%d", p.couple), "/admin/caseloads", "/caseload",
		"/admin/audit", "/notifications", fmt.Sprintf("/sessions/%d/note", s.ID)}
	apis := []string{fmt.Sprintf("/api/v1/sessions/%d", s.ID), "/api/v1/sessions", fmt.Sprintf("/api/v1/couples/%d/sessions", p.couple),
		fmt.Sprintf("/api/v1/sessions/%d/prep", s.ID), "/api/v1/caseloads", "/api/v1/audit", "/api/v1/notifications", "/api/v1/caseload"}
	for _, who := range []string{"alex@h.test", "blair@h.test", "ada@h.test", "carl@h.test", "finn@n.test"} {
		b, api := p.browser(t, who), app.Login(who)
		for _, pg := range pages {
			if res := b.Get(pg); strings.Contains(res.Body, "NOTE-SECRET") || strings.Contains(res.Body, "Room 2") {
				t.Errorf("%s %s: the note or the place shows", who, pg)
			}
		}
		for _, a := range apis {
			if res := api.Do("GET", a, nil, nil); strings.Contains(res.Body, "NOTE-SECRET") || strings.Contains(res.Body, "Room 2") ||
				strings.Contains(res.Body, `"note"`) || strings.Contains(res.Body, "private_note") {
				t.Errorf("%s GET %s: the note or the place shows:\n%.400s", who, a, res.Body)
			}
		}
		if res := api.Do("PUT", path, map[string]any{"text": "mine now", "version": 3}, nil); res.Status != 403 && res.Status != 404 {
			t.Errorf("%s writes the note: %d", who, res.Status)
		}
		if res := b.Post(fmt.Sprintf("/sessions/%d/note", s.ID), url.Values{"text": {"mine now"}, "version": {"3"}}); res.Status != 403 && res.Status != 404 {
			t.Errorf("%s writes the note on the page: %d", who, res.Status)
		}
	}
	// The partners and the admin do see the session's time.
	var v sessJSON
	for _, who := range []string{"alex@h.test", "ada@h.test"} {
		if res := app.Login(who).Do("GET", fmt.Sprintf("/api/v1/sessions/%d", s.ID), nil, &v); res.Status != 200 || !v.StartsAt.Equal(s.StartsAt) {
			t.Errorf("%s reads the session: %d %s", who, res.Status, res.Body)
		}
	}
	// Nowhere else in the database: not in the audit trail, not in queued mail.
	var leaks int
	if err := app.DB.Get(&leaks, `SELECT (SELECT count(*) FROM audit_log WHERE detail LIKE '%NOTE-SECRET%')
		+ (SELECT count(*) FROM river_job WHERE args::text LIKE '%NOTE-SECRET%')
		+ (SELECT count(*) FROM notifications n WHERE n.kind LIKE '%note%')`); err != nil {
		t.Fatal(err)
	}
	if leaks != 0 {
		t.Errorf("%d places outside the note hold it", leaks)
	}
	// The note is its author's: a counselor who takes the couple over starts
	// with an empty one, and the first counselor no longer reaches the session.
	ada := app.Login("ada@h.test")
	mustOK(t, ada.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", p.couple), map[string]any{"counselor_id": p.userID(t, "carl@h.test")}, nil))
	var carlPrep prepJSON
	if res := app.Login("carl@h.test").Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", s.ID), nil, &carlPrep); res.Status != 200 ||
		carlPrep.Note.Text != "" || carlPrep.Note.Version != 0 || strings.Contains(res.Body, "NOTE-SECRET") {
		t.Errorf("the new counselor's prep: %d %s", res.Status, res.Body)
	}
	if res := app.Login("cora@h.test").Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", s.ID), nil, nil); res.Status != 404 {
		t.Errorf("the previous counselor's prep: %d", res.Status)
	}
}

func mustSelect(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
