package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
)

// Session times on pages go through these helpers only, so how a session's
// time is written (and in which zone) is decided in one place. A session
// lives in the clinic's zone; it is shown in the viewer's, and the zone is
// named when the two differ.
func init() {
	funcs["sessionWhen"] = func(t time.Time, a *actor.Actor) string {
		if t.IsZero() {
			return "—"
		}
		return sessionFormat(t, a, true) + zoneNote(a)
	}
	funcs["sessionDay"] = func(t time.Time, a *actor.Actor) string { return sessionFormat(t, a, false) }
	funcs["sessionSpan"] = func(from, to time.Time, a *actor.Actor) string {
		return sessionFormat(from, a, true) + "–" + to.In(viewerLoc(a)).Format("15:04") + zoneNote(a)
	}
	funcs["sessionDate"] = func(t time.Time, a *actor.Actor) string { return t.In(viewerLoc(a)).Format(time.DateOnly) }
	funcs["sessionClock"] = func(t time.Time, a *actor.Actor) string { return t.In(viewerLoc(a)).Format("15:04") }
	funcs["zoneName"] = func(a *actor.Actor) string { return viewerLoc(a).String() }
	// clinicZoneName is the zone a session's form takes times in.
	funcs["clinicZoneName"] = func(a *actor.Actor) string {
		if a == nil {
			return "UTC"
		}
		return a.ClinicLoc().String()
	}
	// dueBefore keeps the work due at or before t (a partner's home: what
	// is due before the next session).
	funcs["dueBefore"] = func(items []assignment.HomeItem, t time.Time) []assignment.HomeItem {
		var out []assignment.HomeItem
		for _, it := range items {
			if it.DueAt.Valid && !it.DueAt.Time.After(t) {
				out = append(out, it)
			}
		}
		return out
	}
	// signed writes a change with its sign: "+0.8", "−1.2", "±0".
	funcs["signed"] = func(v float64) string {
		switch {
		case v > 0:
			return fmt.Sprintf("+%.1f", v)
		case v < 0:
			return fmt.Sprintf("−%.1f", -v)
		}
		return "±0"
	}
	// dayName writes a YYYY-MM-DD date as "Sunday 29 November".
	funcs["dayName"] = func(d string) string {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return d
		}
		return t.Format("Monday 2 January")
	}
	funcs["str"] = func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	funcs["one"] = func(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") }

	homePanels = append(homePanels,
		homePanel{actor.RoleCounselor, func(s *Server, c echo.Context, v *homeView) error {
			ag, err := s.Appointments.AgendaFor(c.Request().Context(), mustActor(c))
			v.Sessions = &ag
			return err
		}},
		homePanel{actor.RoleClient, func(s *Server, c echo.Context, v *homeView) error {
			ctx, a := c.Request().Context(), mustActor(c)
			cc, err := s.Clinic.MyCouple(ctx, a)
			if err != nil || cc.CoupleID == 0 {
				return err
			}
			next, err := s.Appointments.Next(ctx, a, cc.CoupleID)
			v.ClientSessions = &clientSessionsHome{Next: next}
			return err
		}},
	)
}

func viewerLoc(a *actor.Actor) *time.Location {
	if a == nil {
		return time.UTC
	}
	return a.Loc()
}

// zoneNote names the viewer's zone when it is not the clinic's (where a
// bare time could mislead).
func zoneNote(a *actor.Actor) string {
	if a == nil || a.Loc().String() == a.ClinicLoc().String() {
		return ""
	}
	return " (" + a.Loc().String() + ")"
}

// sessionFormat writes "Tuesday 9 December" (with the year when it is not
// this year) and, with clock, ", 17:00".
func sessionFormat(t time.Time, a *actor.Actor, clock bool) string {
	if t.IsZero() {
		return "—"
	}
	loc := viewerLoc(a)
	lt := t.In(loc)
	layout := "Monday 2 January"
	if lt.Year() != time.Now().In(loc).Year() {
		layout += " 2006"
	}
	if !clock {
		return lt.Format(layout)
	}
	return lt.Format(layout + ", 15:04")
}
