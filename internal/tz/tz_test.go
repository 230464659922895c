package tz

import (
	"testing"
	"time"
)

// The days on which clocks change are 23 and 25 hours long; a day is still
// one date, and its end is the last second before the next local midnight.
func TestDaysAcrossDaylightSavingChanges(t *testing.T) {
	cases := []struct {
		zone  string
		day   string
		hours float64
	}{
		{"America/New_York", "2026-03-08", 23}, // spring forward
		{"America/New_York", "2026-11-01", 25}, // fall back
		{"Europe/Berlin", "2026-03-29", 23},
		{"Europe/Berlin", "2026-10-25", 25},
		{"Europe/Berlin", "2026-06-15", 24},
	}
	for _, c := range cases {
		loc, ok := Load(c.zone)
		if !ok {
			t.Fatalf("zone %s not loaded", c.zone)
		}
		d, _ := ParseDate(c.day)
		start, end := Start(d, loc), End(d, loc)
		if got := end.Add(time.Second).Sub(start).Hours(); got != c.hours {
			t.Errorf("%s %s: %v hours, want %v", c.zone, c.day, got, c.hours)
		}
		if DateOf(start, loc) != d || DateOf(end, loc) != d || DateOf(end.Add(time.Second), loc) != AddDays(d, 1) {
			t.Errorf("%s %s: start %v / end %v not on the day", c.zone, c.day, start, end)
		}
	}
}

func TestLocalDateIsNotTheUTCDate(t *testing.T) {
	ny, _ := Load("America/New_York")
	// 20:00 in New York on 1 December is 01:00 UTC on 2 December.
	at := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	if got := DateOf(at, ny).Format(time.DateOnly); got != "2026-12-01" {
		t.Errorf("local date = %s, want 2026-12-01", got)
	}
}

func TestAtSkipsTheSpringGap(t *testing.T) {
	berlin, _ := Load("Europe/Berlin")
	d, _ := ParseDate("2026-03-29")
	got := At(d, 2, 30, berlin)
	if h := got.In(berlin).Hour(); h != 3 {
		t.Errorf("02:30 on the spring change = %v, want 03:30 local", got.In(berlin))
	}
	// time.Date answers New York's gap an hour early (01:30 EST): At moves
	// it on like Berlin's, to 03:30 EDT.
	ny, _ := Load("America/New_York")
	nyDay, _ := ParseDate("2026-03-08")
	if got := At(nyDay, 2, 30, ny).Format(time.RFC3339); got != "2026-03-08T03:30:00-04:00" {
		t.Errorf("02:30 on New York's spring change = %s, want 03:30 EDT", got)
	}
	if got := At(nyDay, 1, 30, ny).Format(time.RFC3339); got != "2026-03-08T01:30:00-05:00" {
		t.Errorf("01:30 before the change = %s", got)
	}
	fall, _ := ParseDate("2026-11-01")
	if got := At(fall, 1, 30, ny).Format(time.RFC3339); got != "2026-11-01T01:30:00-04:00" {
		t.Errorf("the repeated 01:30 = %s, want the first (EDT)", got)
	}
	if nine := At(d, 9, 0, berlin); nine.UTC().Hour() != 7 {
		t.Errorf("09:00 CEST = %v UTC, want 07:00", nine.UTC())
	}
}

func TestOnlyIANANamesAreAccepted(t *testing.T) {
	for _, ok := range []string{"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires"} {
		if !Valid(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "EST", "+02:00", "Local", "Europe/Nowhere", "../etc/passwd", "Europe/ Berlin", "/etc/localtime"} {
		if Valid(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	if Or("nonsense") != time.UTC {
		t.Error("unknown zone does not fall back to UTC")
	}
}

func TestDaysCountsCalendarDays(t *testing.T) {
	a, _ := ParseDate("2026-03-01")
	b, _ := ParseDate("2026-04-01")
	if Days(a, b) != 31 {
		t.Errorf("Days = %d", Days(a, b))
	}
}

// Every zone offered in a chooser is one Go's embedded tzdata loads, and
// the list holds the places people pick.
func TestZoneList(t *testing.T) {
	n := 0
	for _, a := range Areas() {
		for _, p := range a.Places {
			n++
			if !Valid(p.Name) || !Offered(p.Name) {
				t.Errorf("%s offered but not valid", p.Name)
			}
			if p.Label == "" {
				t.Errorf("%s has no label", p.Name)
			}
		}
	}
	if n < 300 {
		t.Errorf("only %d zones offered", n)
	}
	for _, z := range []string{"America/New_York", "Europe/Berlin", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"} {
		if !Offered(z) {
			t.Errorf("%s not offered", z)
		}
	}
	if Offered("Asia/Calcutta") || !Valid("Asia/Calcutta") {
		t.Error("an alias is valid but not offered")
	}
}
