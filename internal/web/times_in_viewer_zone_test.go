package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/tz"
	"github.com/mend-clinic/mend/internal/web"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	l, ok := tz.Load(name)
	if !ok {
		t.Fatalf("zone %s", name)
	}
	return l
}

// One instant, two viewers: the counselor follows the clinic (New York),
// the partner chose Berlin. Each page shows it in the viewer's zone, with
// the zone named beside a due time; the API keeps RFC 3339 with offset.
func TestTimesInTheViewersZone(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	app.Exec(`UPDATE clinics SET time_zone = 'America/New_York' WHERE id = $1`, p.clinic)
	cora, alex := app.Login("cora@h.test"), app.Login("alex@h.test")
	if r := alex.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"time_zone": "Europe/Berlin"}, nil); r.Status != 200 {
		t.Fatalf("alex's zone: %d %s", r.Status, r.Body)
	}
	ny, berlin := zone(t, "America/New_York"), zone(t, "Europe/Berlin")
	due := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"due_at": due.UTC().Format(time.RFC3339)})
	rid := p.response(t, a, p.partnerA).ID
	inNY := due.In(ny).Format("2 Jan 2006, 15:04") + " (America/New_York)"
	inBerlin := due.In(berlin).Format("2 Jan 2006, 15:04") + " (Europe/Berlin)"

	bc := app.Browser()
	bc.Login("cora@h.test")
	page := bc.Get(fmt.Sprintf("/assignments/%d", a.ID)).Body
	if !strings.Contains(page, "due "+inNY) || strings.Contains(page, "Europe/Berlin") {
		t.Errorf("counselor's assignment page lacks %q:\n%s", inNY, page)
	}
	if !strings.Contains(page, "Times are in America/New_York.") || !strings.Contains(page, "Due time (America/New_York)") || strings.Contains(page, "(UTC)") {
		t.Errorf("counselor's assignment page does not name the zone:\n%s", page)
	}

	ba := app.Browser()
	ba.Login("alex@h.test")
	home := ba.Get("/").Body
	if !strings.Contains(home, "due "+inBerlin) || strings.Contains(home, inNY) {
		t.Errorf("partner's home lacks %q:\n%s", inBerlin, home)
	}
	if resp := ba.Get(fmt.Sprintf("/responses/%d", rid)).Body; !strings.Contains(resp, "Due "+inBerlin) {
		t.Errorf("partner's response page lacks %q:\n%s", inBerlin, resp)
	}

	// The API: the same instant, RFC 3339 with an offset, whoever asks.
	for _, api := range []*apptest.API{alex, cora} {
		var got struct {
			DueAt string `json:"due_at"`
		}
		r := api.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
		at, err := time.Parse(time.RFC3339, got.DueAt)
		if r.Status != 200 || err != nil || !at.Equal(due) {
			t.Errorf("API due_at %q (%v), want %v: %s", got.DueAt, err, due, r.Body)
		}
	}
}

// nextChangeDays finds the next 23-hour and 25-hour days in loc (at least
// two days ahead, so a due date on them is in the future).
func nextChangeDays(t *testing.T, loc *time.Location) (spring, fall tz.Date) {
	d := tz.AddDays(tz.Today(time.Now(), loc), 2)
	for i := 0; i < 800 && (spring.IsZero() || fall.IsZero()); i++ {
		switch tz.End(d, loc).Add(time.Second).Sub(tz.Start(d, loc)).Hours() {
		case 23:
			if spring.IsZero() {
				spring = d
			}
		case 25:
			if fall.IsZero() {
				fall = d
			}
		}
		d = tz.AddDays(d, 1)
	}
	if spring.IsZero() || fall.IsZero() {
		t.Fatalf("no clock changes in %s", loc)
	}
	return spring, fall
}

// Through the assign form of a New York clinic, a due date picked as a
// date is stored as the last second of that local day, on the next 23-hour
// day (daylight time, -04:00) and the next 25-hour day (standard, -05:00)
// alike; a date and a time is that local time; the edit form shows it
// back in local terms and names the zone. (The same rule on 8 March and
// 1 November 2026 is TestDueDatePickedAsADateIsTheEndOfThatLocalDay.)
func TestDueDatesFromTheFormAreLocal(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	app.Exec(`UPDATE clinics SET time_zone = 'America/New_York' WHERE id = $1`, p.clinic)
	ny := zone(t, "America/New_York")
	spring, fall := nextChangeDays(t, ny)
	b := app.Browser()
	b.Login("cora@h.test")
	assign := fmt.Sprintf("/couples/%d/assign", p.couple)
	if page := b.Get(assign).Body; !strings.Contains(page, "Due time (America/New_York)") || !strings.Contains(page, "end of that day in America/New_York") {
		t.Fatalf("the assign form does not name the zone:\n%s", page)
	}
	cases := []struct {
		day         tz.Date
		clock, want string
	}{
		{spring, "", spring.Format(time.DateOnly) + "T23:59:59-04:00"},
		{fall, "", fall.Format(time.DateOnly) + "T23:59:59-05:00"},
		{fall, "08:30", fall.Format(time.DateOnly) + "T08:30:00-05:00"},
	}
	for _, c := range cases {
		r := b.Post(assign, url.Values{"template_id": {fmt.Sprint(p.tpl["apology-letter"])}, "mode": {"individual"},
			"partner_id": {fmt.Sprint(p.partnerA)}, "due_date": {c.day.Format(time.DateOnly)}, "due_time": {c.clock}}, assign)
		if r.Status != 303 {
			t.Fatalf("assign %s %s: %d\n%s", c.day.Format(time.DateOnly), c.clock, r.Status, r.Body)
		}
		var id int64
		var dueAt time.Time
		if err := app.DB.QueryRow(`SELECT id, due_at FROM assignments ORDER BY id DESC LIMIT 1`).Scan(&id, &dueAt); err != nil {
			t.Fatal(err)
		}
		if got := dueAt.In(ny).Format(time.RFC3339); got != c.want {
			t.Errorf("due %s %q stored as %s, want %s", c.day.Format(time.DateOnly), c.clock, got, c.want)
		}
		edit := b.Get(r.Location).Body
		wantDate := `id="f-due_date" name="due_date" type="date" value="` + c.day.Format(time.DateOnly) + `"`
		wantTime := `id="f-due_time" name="due_time" type="time" value="` + c.clock + `"`
		if !strings.Contains(edit, wantDate) || !strings.Contains(edit, wantTime) || !strings.Contains(edit, "Due time (America/New_York)") {
			t.Errorf("edit form of %d does not show %s %q locally:\n%s", id, c.day.Format(time.DateOnly), c.clock, edit)
		}
	}
}

// The audit trail names the viewer's zone in its header, and its date
// filters are the viewer's days: from local midnight to the end of the
// "to" day.
func TestAuditTrailInTheViewersZone(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	app.Exec(`UPDATE clinics SET time_zone = 'America/New_York' WHERE id = $1`, p.clinic)
	ada := app.Browser()
	ada.Login("ada@h.test")
	if page := ada.Get("/admin/audit").Body; !strings.Contains(page, "When (America/New_York)") || strings.Contains(page, "When (UTC)") {
		t.Fatalf("audit header:\n%s", page)
	}
	adaAPI := app.Login("ada@h.test")
	if r := adaAPI.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"time_zone": "Europe/Berlin"}, nil); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	page := ada.Get("/admin/audit").Body
	if !strings.Contains(page, "When (Europe/Berlin)") || !strings.Contains(page, "From (a day in Europe/Berlin)") {
		t.Fatalf("audit header after choosing Berlin:\n%s", page)
	}
	// Today's events are found by today's local date, and not by yesterday's.
	today := tz.Today(time.Now(), zone(t, "Europe/Berlin")).Format(time.DateOnly)
	yesterday := tz.AddDays(tz.Today(time.Now(), zone(t, "Europe/Berlin")), -1).Format(time.DateOnly)
	if got := ada.Get("/admin/audit?action=settings.notifications&from=" + today + "&to=" + today).Body; !strings.Contains(got, "<code>settings.notifications</code>") {
		t.Errorf("today's event not found by today's date:\n%s", got)
	}
	if got := ada.Get("/admin/audit?action=settings.notifications&to=" + yesterday).Body; strings.Contains(got, "<code>settings.notifications</code>") {
		t.Errorf("today's event found up to yesterday:\n%s", got)
	}

	berlin := zone(t, "Europe/Berlin")
	f, bad := web.ParseAuditFilterIn("from=2026-03-29&to=2026-10-25", berlin)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	if want := time.Date(2026, 3, 28, 23, 0, 0, 0, time.UTC); !f.From.Equal(want) {
		t.Errorf("from = %v, want Berlin's midnight %v", f.From, want)
	}
	if want := time.Date(2026, 10, 25, 23, 0, 0, 0, time.UTC); !f.To.Equal(want) { // the 25-hour day, included
		t.Errorf("to = %v, want the end of Berlin's 25 October %v", f.To, want)
	}
}
