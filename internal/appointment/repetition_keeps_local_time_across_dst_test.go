package appointment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/tz"
)

// A weekly (or two-weekly) session keeps its local clock time on every
// occurrence, across the autumn and the spring daylight-saving changes of
// New York and Berlin: the days are local dates, never 7 × 24 hours.
func TestRepetitionKeepsLocalTimeAcrossDST(t *testing.T) {
	cases := []struct {
		zone, first, until string
		step               int
		want               int
	}{
		{"America/New_York", "2026-10-20", "2026-11-24", 7, 6}, // clocks go back on 1 November
		{"America/New_York", "2027-02-23", "2027-03-30", 7, 6}, // and forward on 14 March
		{"Europe/Berlin", "2026-10-06", "2026-11-17", 14, 4},   // back on 25 October
		{"Europe/Berlin", "2027-03-16", "2027-04-27", 7, 7},    // forward on 28 March
		{"Europe/Berlin", "2027-03-21", "2027-03-21", 7, 1},    // just the one
	}
	for _, c := range cases {
		loc, ok := tz.Load(c.zone)
		if !ok {
			t.Fatal(c.zone)
		}
		d, _ := tz.ParseDate(c.first)
		until, _ := tz.ParseDate(c.until)
		first := tz.At(d, 17, 0, loc)
		got := appointment.Occurrences(first, c.step, until, loc)
		if len(got) != c.want {
			t.Errorf("%s from %s: %d occurrences, want %d", c.zone, c.first, len(got), c.want)
		}
		offsets := map[int]bool{}
		for i, at := range got {
			local := at.In(loc)
			if local.Hour() != 17 || local.Minute() != 0 {
				t.Errorf("%s #%d: %s, want 17:00 local", c.zone, i, local)
			}
			if wantDay := tz.AddDays(d, i*c.step); !tz.DateOf(at, loc).Equal(wantDay) {
				t.Errorf("%s #%d on %s, want %s", c.zone, i, tz.DateOf(at, loc).Format(time.DateOnly), wantDay.Format(time.DateOnly))
			}
			_, off := local.Zone()
			offsets[off] = true
		}
		if c.want > 1 && len(offsets) != 2 {
			t.Errorf("%s from %s: the series does not cross a change (offsets %v): the case proves nothing", c.zone, c.first, offsets)
		}
		// 7 × 24 hours would have drifted by an hour after the change.
		if c.want > 1 {
			naive := first.Add(time.Duration(c.step*(len(got)-1)) * 24 * time.Hour)
			if naive.Equal(got[len(got)-1]) {
				t.Errorf("%s: the last occurrence equals first + n×24h, so no change was crossed", c.zone)
			}
		}
	}
}

// A time the spring change skips (02:30 in Berlin on 28 March 2027) moves
// on by the gap, as clocks do; the other weeks keep 02:30.
func TestRepetitionThroughASkippedTime(t *testing.T) {
	loc, _ := tz.Load("Europe/Berlin")
	d, _ := tz.ParseDate("2027-03-21")
	until, _ := tz.ParseDate("2027-04-04")
	got := appointment.Occurrences(tz.At(d, 2, 30, loc), 7, until, loc)
	want := []string{"02:30", "03:30", "02:30"}
	for i, at := range got {
		if s := at.In(loc).Format("15:04"); i >= len(want) || s != want[i] {
			t.Errorf("#%d: %s, want %v", i, s, want)
		}
	}
}
