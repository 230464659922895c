// Package tz is Mend's one notion of local time: a clinic's (or a person's)
// IANA zone, its calendar days, and the instants that begin and end them.
// A day is a date in a zone, never 24 hours: the days on which clocks
// change are 23 or 25 hours long.
package tz

import (
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // a bare server without /usr/share/zoneinfo still knows every zone
)

// Default is the zone of a clinic that has not chosen one.
const Default = "UTC"

var cache sync.Map // name → *time.Location

// Load returns the zone with an IANA name ("Europe/Berlin"). Only area
// names are accepted ("UTC" too), not abbreviations or offsets such as
// "EST" or "+02", which do not follow daylight-saving changes.
func Load(name string) (*time.Location, bool) {
	if l, ok := cache.Load(name); ok {
		return l.(*time.Location), true
	}
	if !Valid(name) {
		return nil, false
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	cache.Store(name, l)
	return l, true
}

// Valid reports whether name is an IANA zone Mend accepts.
func Valid(name string) bool {
	if name == "UTC" {
		return true
	}
	if name == "" || len(name) > 64 || !strings.Contains(name, "/") || strings.HasPrefix(name, "/") ||
		strings.Contains(name, "..") || strings.ContainsAny(name, " \\") {
		return false
	}
	_, err := time.LoadLocation(name)
	return err == nil
}

// Or returns the named zone, or UTC for an empty or unknown name.
func Or(name string) *time.Location {
	if l, ok := Load(name); ok {
		return l
	}
	return time.UTC
}

// Date is a calendar day, held as midnight UTC of that date (the way the
// database driver reads a date column).
type Date = time.Time

// DateOf returns the local date of instant t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Today is DateOf(now, loc).
func Today(now time.Time, loc *time.Location) Date { return DateOf(now, loc) }

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) { return time.Parse(time.DateOnly, s) }

// Start is the first instant of day d in loc (local midnight; on the rare
// day that skips midnight, the first instant that exists).
func Start(d Date, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}

// End is the last second of day d in loc: the due time of work due "on"
// that day. It is one second before the next local midnight, however long
// the day was.
func End(d Date, loc *time.Location) time.Time {
	return Start(d.AddDate(0, 0, 1), loc).Add(-time.Second)
}

// At is hour:minute of day d in loc. A time that the spring change skips
// (02:30 in Berlin on the last Sunday of March) is moved forward by the gap,
// the way clocks are.
func At(d Date, hour, minute int, loc *time.Location) time.Time {
	t := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, loc)
	if t.Hour() == hour && t.Minute() == minute && t.Day() == d.Day() {
		return t
	}
	// In the gap: time.Date may answer either side of it (an hour early in
	// New York, an hour late in Berlin). Read the clock in the offset that
	// held before the change, which lands after the gap.
	_, before := t.Add(-6 * time.Hour).Zone()
	wall := time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, time.UTC)
	return wall.Add(-time.Duration(before) * time.Second).In(loc)
}

// AddDays moves a date by n calendar days.
func AddDays(d Date, n int) Date { return d.AddDate(0, 0, n) }

// Days counts the calendar days from a to b (b - a).
func Days(a, b Date) int {
	return int(b.Sub(a).Round(time.Hour).Hours() / 24)
}

// Name is the zone's IANA name for display ("America/New_York").
func Name(loc *time.Location) string {
	if loc == nil {
		return Default
	}
	return loc.String()
}
