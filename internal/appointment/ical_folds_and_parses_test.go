package appointment_test

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/mend-clinic/mend/internal/appointment"
)

// Long lines are folded at 75 octets (never inside a character) and read
// back whole by a real parser; an empty feed is still a valid calendar.
func TestCalendarFoldsLongLinesAndParses(t *testing.T) {
	base := "https://mend.a-rather-long-practice-domain-name-for-testing.example.org/mend"
	start := time.Date(2026, 12, 9, 16, 0, 0, 0, time.UTC)
	f := appointment.Feed{Events: []appointment.Appointment{{ID: 123456789, StartsAt: start, Minutes: 50, Status: appointment.Scheduled,
		UpdatedAt: start.Add(-time.Hour)}}}
	var buf bytes.Buffer
	if err := appointment.WriteCalendar(&buf, f, base, start.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	if !strings.Contains(buf.String(), "\r\n ") {
		t.Fatal("nothing was folded: the test proves nothing")
	}
	cal, err := ical.NewDecoder(&buf).Decode()
	if err != nil {
		t.Fatal(err)
	}
	ev := cal.Events()[0]
	desc, _ := ev.Props.Text(ical.PropDescription)
	if want := "Prepare in Mend: " + base + "/sessions/123456789/prep"; desc != want || ev.Props.Get(ical.PropURL).Value != base+"/sessions/123456789/prep" {
		t.Errorf("description %q, url %q", desc, ev.Props.Get(ical.PropURL).Value)
	}
	if s, _ := ev.DateTimeStart(time.UTC); !s.Equal(start) {
		t.Errorf("start %v", s)
	}

	buf.Reset()
	if err := appointment.WriteCalendar(&buf, appointment.Feed{}, base, start); err != nil {
		t.Fatal(err)
	}
	cal, err = ical.NewDecoder(&buf).Decode()
	if err != nil || len(cal.Events()) != 0 || len(cal.Children) != 1 {
		t.Fatalf("empty feed: %v %+v", err, cal)
	}
}

// Folding never splits a UTF-8 character.
func TestFoldKeepsCharactersWhole(t *testing.T) {
	f := appointment.Feed{Events: []appointment.Appointment{{ID: 1, StartsAt: time.Now(), Minutes: 50, Status: appointment.Scheduled}}}
	var buf bytes.Buffer
	if err := appointment.WriteCalendar(&buf, f, "https://mend.example/"+strings.Repeat("é", 60), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if !utf8.ValidString(line) || len(line) > 75 {
			t.Fatalf("bad line %q", line)
		}
	}
}
