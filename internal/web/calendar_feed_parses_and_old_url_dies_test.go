package web_test

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/mend-clinic/mend/internal/tz"
)

var feedURLRe = regexp.MustCompile(`value="(http[^"]+/calendar/[^"]+\.ics)"`)

// A counselor's calendar feed is RFC 5545 that a real parser reads: one
// neutral event per session ("Mend session", no couple's label or place),
// at the session's time, linking to its prep page, a cancelled one marked
// so; another counselor's sessions are not in it. Made on its page, the URL
// is shown once; a new one kills the old URL at once, and turning it off
// (or losing the counselor role) kills the feed.
func TestCalendarFeedParsesAndItsOldURLDies(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	loc := p.zone(t, "America/New_York")
	cora, carl := app.Login("cora@h.test"), app.Login("carl@h.test")
	today := tz.Today(time.Now(), loc)
	series := p.schedule(t, cora, p.couple, tz.At(tz.AddDays(today, 1), 17, 0, loc),
		map[string]string{"every": "week", "until": tz.AddDays(today, 15).Format(time.DateOnly)})
	other := p.schedule(t, cora, p.couple2, tz.At(tz.AddDays(today, 2), 9, 30, loc), nil)[0]
	mustOK(t, cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", series[1].ID), nil, nil))
	var carlCouple int64
	app.DB.Get(&carlCouple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Carl couple', $2) RETURNING id`, p.clinic, p.userID(t, "carl@h.test"))
	p.schedule(t, carl, carlCouple, tz.At(tz.AddDays(today, 1), 12, 0, loc), nil)

	// The page makes the link and shows it once.
	b := p.browser(t, "cora@h.test")
	if r := b.Post("/account/calendar", url.Values{"op": {"new"}}, "/account/calendar"); r.Status != 303 {
		t.Fatalf("make the link: %d %s", r.Status, r.Body)
	}
	page := b.Get("/account/calendar").Body
	m := feedURLRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no link on the page:\n%s", page)
	}
	first := strings.TrimPrefix(m[1], app.URL)
	if again := b.Get("/account/calendar").Body; feedURLRe.MatchString(again) || !strings.Contains(again, "not shown again") {
		t.Errorf("the link is shown twice:\n%s", again)
	}

	anon := app.Browser()
	res := anon.Get(first)
	if res.Status != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s\n%s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	for _, line := range strings.Split(res.Body, "\r\n") {
		if len(line) > 75 {
			t.Errorf("a line of %d octets (RFC 5545 folds at 75): %q", len(line), line)
		}
	}
	for _, w := range []string{"Alex", "Blair", "Sol", "Room 2", "Carl couple"} {
		if strings.Contains(res.Body, w) {
			t.Errorf("the feed names %q", w)
		}
	}
	cal, err := ical.NewDecoder(strings.NewReader(res.Body)).Decode()
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, res.Body)
	}
	events := cal.Events()
	if len(events) != len(series)+1 {
		t.Fatalf("%d events, want %d (Cora's sessions only)", len(events), len(series)+1)
	}
	want := map[string]sessJSON{}
	for _, s := range append(series, other) {
		want[fmt.Sprintf("/sessions/%d/prep", s.ID)] = s
	}
	for _, ev := range events {
		summary, _ := ev.Props.Text(ical.PropSummary)
		link := ev.Props.Get(ical.PropURL)
		if summary != "Mend session" || link == nil {
			t.Errorf("event: %q %v", summary, link)
			continue
		}
		u, _ := url.Parse(link.Value)
		s, ok := want[u.Path]
		if !ok {
			t.Errorf("event links to %s", link.Value)
			continue
		}
		start, err1 := ev.DateTimeStart(time.UTC)
		end, err2 := ev.DateTimeEnd(time.UTC)
		if err1 != nil || err2 != nil || !start.Equal(s.StartsAt) || !end.Equal(s.EndsAt) {
			t.Errorf("session %d: %v–%v, want %v–%v (%v %v)", s.ID, start, end, s.StartsAt, s.EndsAt, err1, err2)
		}
		status, _ := ev.Status()
		seq := ev.Props.Get(ical.PropSequence)
		if s.ID == series[1].ID {
			if status != ical.EventCancelled || seq == nil || seq.Value != "1" {
				t.Errorf("the cancelled session: %v sequence %v", status, seq)
			}
		} else if status != ical.EventConfirmed {
			t.Errorf("session %d: %v", s.ID, status)
		}
		// The link leads the counselor to the prep page, and nobody else.
		if r := b.Get(u.Path); r.Status != 200 {
			t.Errorf("prep link as Cora: %d", r.Status)
		}
		if r := p.browser(t, "alex@h.test").Get(u.Path); r.Status != 403 {
			t.Errorf("prep link as a partner: %d", r.Status)
		}
	}

	// A new link: the old URL dies at once, the new one works.
	var made struct{ URL string }
	mustOK(t, cora.Do("POST", "/api/v1/me/calendar-feed", nil, &made))
	second := strings.TrimPrefix(made.URL, app.URL)
	if r := anon.Get(first); r.Status != 404 {
		t.Errorf("the old URL after a new one: %d", r.Status)
	}
	if r := anon.Get(second); r.Status != 200 {
		t.Errorf("the new URL: %d", r.Status)
	}
	// Only the hash of the secret is kept.
	var stored int
	app.DB.Get(&stored, `SELECT count(*) FROM calendar_feeds WHERE position($1::bytea IN token_hash) > 0`, []byte(strings.TrimSuffix(second[len("/calendar/"):], ".ics")))
	if stored != 0 {
		t.Error("the feed secret is stored as is")
	}
	// Someone with no sessions still gets a valid calendar.
	var empty struct{ URL string }
	mustOK(t, app.Login("finn@n.test").Do("POST", "/api/v1/me/calendar-feed", nil, &empty))
	if _, err := ical.NewDecoder(bytes.NewReader([]byte(anon.Get(strings.TrimPrefix(empty.URL, app.URL)).Body))).Decode(); err != nil {
		t.Errorf("an empty feed does not parse: %v", err)
	}
	// A counselor who leaves takes the feed with them; off is off.
	app.Exec(`UPDATE memberships SET active = false WHERE user_id = $1 AND role = 'counselor'`, p.userID(t, "cora@h.test"))
	if r := anon.Get(second); r.Status != 404 {
		t.Errorf("the feed of a deactivated counselor: %d", r.Status)
	}
	app.Exec(`UPDATE memberships SET active = true WHERE user_id = $1 AND role = 'counselor'`, p.userID(t, "cora@h.test"))
	if r := b.Post("/account/calendar", url.Values{"op": {"off"}}, "/account/calendar"); r.Status != 303 {
		t.Fatalf("turn off: %d", r.Status)
	}
	if r := anon.Get(second); r.Status != 404 {
		t.Errorf("the feed after turning it off: %d", r.Status)
	}
	var actions []string
	app.DB.Select(&actions, `SELECT action FROM audit_log WHERE action LIKE 'calendar_feed.%' AND actor_id = $1 ORDER BY seq`, p.userID(t, "cora@h.test"))
	if strings.Join(actions, ",") != "calendar_feed.create,calendar_feed.create,calendar_feed.delete" {
		t.Errorf("audited: %v", actions)
	}
}
