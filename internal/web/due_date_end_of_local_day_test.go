package web

import (
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/tz"
)

// A due date picked as a date is the last second of that day in the
// clinic's zone, however long the day is; a date and a time is that local
// time. 8 March and 1 November 2026 are New York's 23- and 25-hour days.
func TestDueDatePickedAsADateIsTheEndOfThatLocalDay(t *testing.T) {
	t.Parallel()
	ny, _ := tz.Load("America/New_York")
	berlin, _ := tz.Load("Europe/Berlin")
	cases := []struct {
		date, clock string
		loc         *time.Location
		want        string
	}{
		{"2026-03-08", "", ny, "2026-03-08T23:59:59-04:00"}, // spring forward: the day ends in daylight time
		{"2026-11-01", "", ny, "2026-11-01T23:59:59-05:00"}, // fall back: in standard time
		{"2026-03-07", "", ny, "2026-03-07T23:59:59-05:00"},
		{"2026-03-08", "08:30", ny, "2026-03-08T08:30:00-04:00"},
		{"2026-03-08", "02:30", ny, "2026-03-08T03:30:00-04:00"}, // a time the change skips moves on by the gap
		{"2026-11-01", "20:00", ny, "2026-11-01T20:00:00-05:00"},
		{"2026-03-29", "", berlin, "2026-03-29T23:59:59+02:00"},
		{"2026-10-25", "", berlin, "2026-10-25T23:59:59+01:00"},
		{" 2026-06-15 ", " 09:05 ", time.UTC, "2026-06-15T09:05:00Z"},
	}
	for _, c := range cases {
		got, err := parseDue(c.date, c.clock, c.loc)
		if err != nil {
			t.Errorf("%s %s: %v", c.date, c.clock, err)
			continue
		}
		if s := got.In(c.loc).Format(time.RFC3339); s != c.want {
			t.Errorf("%s %q in %s: %s, want %s", c.date, c.clock, c.loc, s, c.want)
		}
		// The edit form shows it back as typed: a date alone stays a date alone.
		d, clock := dueForm(got, c.loc)
		if d != strings.TrimSpace(c.date) || (clock != strings.TrimSpace(c.clock) && !(c.clock == "02:30" && clock == "03:30")) {
			t.Errorf("%s %q: the form shows %s %q", c.date, c.clock, d, clock)
		}
	}
	for _, bad := range [][2]string{{"2026-02-30", ""}, {"8 March", ""}, {"2026-03-08", "25:00"}, {"2026-03-08", "8pm"}, {"", ""}} {
		if _, err := parseDue(bad[0], bad[1], ny); err == nil {
			t.Errorf("%q %q accepted", bad[0], bad[1])
		}
	}
}

// The check-in chart's days are the clinic's: at 23:00 in New York on 8
// March (04:00 UTC on the 9th) the chart ends on the 8th.
func TestCheckinChartEndsOnTheClinicsToday(t *testing.T) {
	t.Parallel()
	ny, _ := tz.Load("America/New_York")
	now := time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC)
	series := []assignment.Series{{PartnerID: 1, Name: "Alex", Points: []assignment.Point{{Day: "2026-03-08", Trust: 6}, {Day: "2026-03-09", Trust: 9}}}}
	local := checkinSVG(series, "28", now, ny)
	utc := checkinSVG(series, "28", now, time.UTC)
	if !strings.Contains(local, ">9 Feb<") || strings.Contains(local, ">10 Feb<") {
		t.Errorf("New York chart does not start on 9 Feb:\n%s", local)
	}
	if !strings.Contains(utc, ">10 Feb<") {
		t.Errorf("UTC chart does not start on 10 Feb:\n%s", utc)
	}
	if n := strings.Count(local, "<circle"); n != 1 {
		t.Errorf("New York chart draws %d points, want the 8th only (the 9th has not begun there)", n)
	}
	if n := strings.Count(utc, "<circle"); n != 2 {
		t.Errorf("UTC chart draws %d points, want 2", n)
	}
}

// The time functions convert to the zone they are given; a date column is
// shown as its date, and an instant passed as a date is an error.
func TestTimeFunctions(t *testing.T) {
	t.Parallel()
	berlin, _ := tz.Load("Europe/Berlin")
	at := time.Date(2026, 3, 9, 3, 59, 59, 0, time.UTC) // 8 March 23:59:59 in New York
	dt := funcs["datetime"].(func(*time.Location, time.Time) string)
	dz := funcs["datetimez"].(func(*time.Location, time.Time) string)
	date := funcs["date"].(func(*time.Location, time.Time) string)
	day := funcs["day"].(func(time.Time) (string, error))
	if got := dt(berlin, at); got != "9 Mar 2026, 04:59" {
		t.Errorf("datetime: %s", got)
	}
	if got := dz(tz.Or("America/New_York"), at); got != "8 Mar 2026, 23:59 (America/New_York)" {
		t.Errorf("datetimez: %s", got)
	}
	if got := date(tz.Or("America/New_York"), at); got != "8 Mar 2026" {
		t.Errorf("date: %s", got)
	}
	if got, err := day(time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)); err != nil || got != "8 Mar 2026" {
		t.Errorf("day: %s %v", got, err)
	}
	if _, err := day(at); err == nil {
		t.Error("day took an instant")
	}
	if dt(berlin, time.Time{}) != "—" {
		t.Error("zero time")
	}
}
