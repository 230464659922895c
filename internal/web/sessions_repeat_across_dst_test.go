package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/tz"
)

// nextChange is the first local date after from on which the zone's clocks
// change (its noon offset differs from the day before's).
func nextChange(t *testing.T, loc *time.Location, from tz.Date) tz.Date {
	t.Helper()
	for d := from; d.Before(tz.AddDays(from, 400)); d = tz.AddDays(d, 1) {
		_, a := tz.At(d, 12, 0, loc).Zone()
		_, b := tz.At(tz.AddDays(d, 1), 12, 0, loc).Zone()
		if a != b {
			return tz.AddDays(d, 1)
		}
	}
	t.Fatalf("%s changes no clock within a year", loc)
	return from
}

// Sessions scheduled to repeat, in a clinic in New York or in Berlin, are
// one row per occurrence at the same local time on every local date, on
// both sides of the next daylight-saving change; the page form schedules in
// the clinic's zone too.
func TestRepeatedSessionsKeepLocalTimeAcrossDST(t *testing.T) {
	t.Parallel()
	for _, zone := range []string{"America/New_York", "Europe/Berlin"} {
		t.Run(zone, func(t *testing.T) {
			p := newPractice(t)
			loc := p.zone(t, zone)
			cora := p.app.Login("cora@h.test")
			today := tz.Today(time.Now(), loc)
			change := nextChange(t, loc, tz.AddDays(today, 2))
			start := tz.AddDays(change, -15)
			if !start.After(today) {
				start = tz.AddDays(today, 1)
			}
			until := tz.AddDays(change, 20)
			for _, c := range []struct {
				every string
				step  int
				hour  int
			}{{"week", 7, 17}, {"2weeks", 14, 8}} {
				got := p.schedule(t, cora, p.couple, tz.At(start, c.hour, 0, loc), map[string]string{"every": c.every, "until": until.Format(time.DateOnly)})
				want := tz.Days(start, until)/c.step + 1
				if len(got) != want {
					t.Fatalf("%s every %s: %d sessions, want %d", zone, c.every, len(got), want)
				}
				offsets := map[int]bool{}
				for i, s := range got {
					local := s.StartsAt.In(loc)
					if local.Hour() != c.hour || local.Minute() != 0 || !tz.DateOf(s.StartsAt, loc).Equal(tz.AddDays(start, i*c.step)) {
						t.Errorf("%s #%d: %s, want %02d:00 on %s", c.every, i, local, c.hour, tz.AddDays(start, i*c.step).Format(time.DateOnly))
					}
					if s.SeriesID == nil || *s.SeriesID != got[0].ID {
						t.Errorf("%s #%d: series %v, want %d", c.every, i, s.SeriesID, got[0].ID)
					}
					// The API writes the clinic's offset, which changes with the clocks.
					_, off := s.StartsAt.Zone()
					offsets[off] = true
				}
				if len(offsets) != 2 {
					t.Errorf("%s every %s: offsets %v: the series does not cross the change", zone, c.every, offsets)
				}
			}
			// Another session at the same time as one of the series: refused.
			var fe struct{ Fields map[string]string }
			if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/sessions", p.couple2), map[string]any{
				"starts_at": tz.At(tz.AddDays(start, 7), 17, 30, loc).Format(time.RFC3339)}, &fe); r.Status != 422 || !strings.Contains(fe.Fields["starts_at"], "already have a session") {
				t.Errorf("double booking: %d %v", r.Status, fe.Fields)
			}
			// The form takes the date and time as the clinic's.
			b := p.browser(t, "cora@h.test")
			day := tz.AddDays(change, 1)
			r := b.Post(fmt.Sprintf("/couples/%d/sessions", p.couple2), url.Values{"date": {day.Format(time.DateOnly)}, "time": {"11:15"},
				"minutes": {"45"}, "repeat": {"none"}, "place": {"Video"}}, fmt.Sprintf("/couples/%d/sessions/new", p.couple2))
			if r.Status != 303 {
				t.Fatalf("form: %d %s", r.Status, r.Body)
			}
			var at time.Time
			p.app.DB.Get(&at, `SELECT starts_at FROM appointments WHERE couple_id = $1`, p.couple2)
			if !at.Equal(tz.At(day, 11, 15, loc)) {
				t.Errorf("form scheduled %s, want 11:15 %s", at.In(loc), zone)
			}
			// Refused input keeps what was typed, with the message beside the field.
			r = b.Post(fmt.Sprintf("/couples/%d/sessions", p.couple2), url.Values{"date": {day.Format(time.DateOnly)}, "time": {"11:15"},
				"minutes": {"45"}, "repeat": {"week"}, "until": {"not a date"}, "place": {"Room 7"}}, fmt.Sprintf("/couples/%d/sessions/new", p.couple2))
			if r.Status != 422 || !strings.Contains(r.Body, `id="e-until"`) || !strings.Contains(r.Body, `value="Room 7"`) {
				t.Errorf("refused form: %d\n%s", r.Status, r.Body)
			}
		})
	}
}
