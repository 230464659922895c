package assignment

import (
	"database/sql"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/tz"
)

// Today is the date by which work opens, for the instant now: the clinic's
// own date, here and nowhere else.
func Today(now time.Time, clinic *time.Location) time.Time { return tz.Today(now, clinic) }

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

// today is the caller's clinic's Today as the date parameter of a query.
func (s *Service) today(a actor.Actor) string {
	return Today(s.now(), a.ClinicLoc()).Format(time.DateOnly)
}
