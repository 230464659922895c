package assignment

import (
	"database/sql"
	"time"
)

// Today is the date by which work opens, for the instant now: UTC for now.
// When clinics get time zones this becomes the clinic's own date, here and
// nowhere else.
func Today(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayHasCome is the one rule for when a response opens: one-off work at
// once, an occurrence of recurring work on its own day (occurs_on), never
// before. Until then it cannot be saved, signed, submitted or reviewed.
// today is the date to judge by (Today). DayHasComeSQL is the same rule in
// SQL.
func DayHasCome(occursOn sql.NullTime, today time.Time) bool {
	return !occursOn.Valid || occursOn.Time.Format(time.DateOnly) <= today.Format(time.DateOnly)
}

// DayHasComeSQL is DayHasCome in SQL for the responses alias r and the
// placeholder of today's date (a 'YYYY-MM-DD' parameter, see Today).
func DayHasComeSQL(r, today string) string {
	return "(" + r + ".occurs_on IS NULL OR " + r + ".occurs_on <= " + today + "::date)"
}

// today is Today as the date parameter of a query.
func (s *Service) today() string { return Today(s.now()).Format(time.DateOnly) }
