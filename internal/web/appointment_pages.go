package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/measure"
)

// ---- scheduling ----

var sessionFormFields = []string{"date", "time", "minutes", "repeat", "until", "place"}

func (s *Server) newSessionPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form := map[string]string{"minutes": strconv.Itoa(appointment.DefaultMinutes), "repeat": "none", "time": "17:00"}
	return s.renderScheduleForm(c, http.StatusOK, id, form, nil, "")
}

func (s *Server) renderScheduleForm(c echo.Context, status int, coupleID int64, form, errs map[string]string, msg string) error {
	info, err := s.Appointments.ScheduleForm(c.Request().Context(), mustActor(c), coupleID)
	if err != nil {
		return err
	}
	return s.render(c, status, "session_new", page{Title: "Schedule a session", Form: form, Errors: errs, Error: msg,
		Data: scheduleView{Couple: info}})
}

// scheduleView is the schedule-a-session form's model.
type scheduleView struct{ Couple appointment.CoupleInfo }

// sessionView is one session's page.
type sessionView struct {
	S      appointment.View
	Linked []appointment.Linked // the work due before it
}

// calendarView is the calendar-feed page's model.
type calendarView struct {
	Feed appointment.FeedInfo
	URL  string // the new feed's address, shown once
}

// parseLocal reads a date and a time of day in the clinic's zone.
func parseLocal(date, clock string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(date)+" "+strings.TrimSpace(clock), loc)
	return t, err == nil
}

// sessionFormKey maps the service's field names to the form's inputs.
func sessionFormKey(k string) string {
	switch k {
	case "starts_at":
		return "date"
	case "note":
		return "place"
	}
	return k
}

func (s *Server) createSessions(c echo.Context) error {
	coupleID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a := mustActor(c)
	f := formValues(c, sessionFormFields...)
	errs := map[string]string{}
	in := appointment.New{Repeat: f["repeat"], Until: f["until"], Place: f["place"]}
	if f["date"] != "" || f["time"] != "" {
		t, ok := parseLocal(f["date"], f["time"], a.ClinicLoc())
		if !ok {
			errs["date"] = "Give a real date (YYYY-MM-DD) and a time (HH:MM)."
		}
		in.StartsAt = t
	}
	if in.Minutes, err = strconv.Atoi(strings.TrimSpace(f["minutes"])); err != nil && f["minutes"] != "" {
		errs["minutes"] = "Give the length in minutes."
	}
	if len(errs) > 0 {
		return s.renderScheduleForm(c, http.StatusUnprocessableEntity, coupleID, f, errs, "Please correct the highlighted fields.")
	}
	made, err := s.Appointments.Schedule(c.Request().Context(), a, coupleID, in)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		for k, v := range ae.Fields {
			errs[sessionFormKey(k)] = v
		}
		return s.renderScheduleForm(c, statusOf[ae.Code], coupleID, f, errs, ae.Message)
	}
	if err != nil {
		return err
	}
	first := made[0]
	msg := "Scheduled: " + sessionFormat(first.StartsAt, &a, true) + "."
	if len(made) > 1 {
		msg = "Scheduled " + strconv.Itoa(len(made)) + " sessions, from " + sessionFormat(first.StartsAt, &a, true) +
			" to " + sessionFormat(made[len(made)-1].StartsAt, &a, false) + "."
	}
	s.flash(c, msg+" The couple sees the time on their home page.")
	return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(coupleID))
}

// ---- one session ----

func (s *Server) sessionPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.renderSession(c, http.StatusOK, id, nil, nil, "")
}

func (s *Server) renderSession(c echo.Context, status int, id int64, form, errs map[string]string, msg string) error {
	ctx, a := c.Request().Context(), mustActor(c)
	v, err := s.Appointments.Get(ctx, a, id)
	if err != nil {
		return err
	}
	linked, err := s.Appointments.LinkedWork(ctx, a, id)
	if err != nil {
		return err
	}
	if form == nil {
		form = map[string]string{"date": v.StartsAt.Format(time.DateOnly), "time": v.StartsAt.Format("15:04"),
			"minutes": strconv.Itoa(v.Minutes)}
		if v.Place != nil {
			form["place"] = *v.Place
		}
	}
	return s.render(c, status, "session", page{Title: "Session", Form: form, Errors: errs, Error: msg,
		Data: sessionView{S: v, Linked: linked}})
}

func (s *Server) sessionUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), mustActor(c)
	var ch appointment.Change
	f := formValues(c, "date", "time", "minutes", "place")
	errs := map[string]string{}
	if c.FormValue("op") == "cancel" {
		st := appointment.Cancelled
		ch.Status = &st
	} else {
		if t, ok := parseLocal(f["date"], f["time"], a.ClinicLoc()); ok {
			ch.StartsAt = &t
		} else {
			errs["date"] = "Give a real date (YYYY-MM-DD) and a time (HH:MM)."
		}
		if n, err := strconv.Atoi(strings.TrimSpace(f["minutes"])); err == nil {
			ch.Minutes = &n
		} else {
			errs["minutes"] = "Give the length in minutes."
		}
		place := f["place"]
		ch.Place = &place
	}
	if len(errs) > 0 {
		return s.renderSession(c, http.StatusUnprocessableEntity, id, f, errs, "Please correct the highlighted fields.")
	}
	m, err := s.Appointments.Update(ctx, a, id, ch)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		for k, v := range ae.Fields {
			errs[sessionFormKey(k)] = v
		}
		return s.renderSession(c, statusOf[ae.Code], id, f, errs, ae.Message)
	}
	if err != nil {
		return err
	}
	work := ""
	if n := len(m.Followed); n > 0 {
		work = " " + plural(n, "exercise due before it follows", "exercises due before it follow") + "."
	}
	switch {
	case m.Status == appointment.Cancelled:
		work = ""
		if n := len(m.Followed); n > 0 && m.NextID != 0 {
			work = " " + plural(n, "exercise that was due before it is now due before the next session", "exercises that were due before it are now due before the next session") + "."
		} else if n > 0 {
			work = " " + plural(n, "exercise keeps its due date", "exercises keep their due dates") + " (no session follows)."
		}
		s.flash(c, "The session was cancelled; the couple is told."+work)
	default:
		s.flash(c, "Saved: "+sessionFormat(m.StartsAt, &a, true)+"."+work)
	}
	return c.Redirect(http.StatusSeeOther, "/sessions/"+itoa(id))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// ---- preparing ----

// prepView is the prep page: the session, the one before it, the couple's
// work since then, and the counselor's private note.
type prepView struct {
	Prep   appointment.Prep
	Period assignment.Period
	Note   appointment.Note
	// Measures are both partners' scores over time (an audited read).
	Measures measure.View
	// Typed is the text the counselor sent (kept after a refused save);
	// Saved is the newer text saved meanwhile, shown beside it.
	Typed string
	Saved *appointment.Note
}

func (s *Server) loadPrep(c echo.Context, id int64) (prepView, error) {
	ctx, a := c.Request().Context(), mustActor(c)
	var v prepView
	var err error
	if v.Prep, err = s.Appointments.PrepFor(ctx, a, id); err != nil {
		return v, err
	}
	if v.Period, err = s.Assignments.PeriodFor(ctx, a, v.Prep.Session.CoupleID, v.Prep.Before, v.Prep.From, v.Prep.To); err != nil {
		return v, err
	}
	if v.Note, err = s.Appointments.ReadNote(ctx, a, id); err != nil {
		return v, err
	}
	if v.Measures, err = s.Measures.ForCouple(ctx, a, v.Prep.Session.CoupleID, ""); err != nil {
		return v, err
	}
	v.Typed = v.Note.Text
	return v, nil
}

func (s *Server) prepPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.loadPrep(c, id)
	if err != nil {
		return err
	}
	return s.renderPrep(c, http.StatusOK, v, "")
}

func (s *Server) renderPrep(c echo.Context, status int, v prepView, msg string) error {
	a := mustActor(c)
	return s.render(c, status, "session_prep", page{Title: "Prepare for " + sessionFormat(v.Prep.Session.StartsAt, &a, false),
		Error: msg, Data: v})
}

// saveNote is the note form's Save button (it works without JavaScript).
// A stale save re-shows the page with both texts, so nothing is lost.
func (s *Server) saveNote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx, a := c.Request().Context(), mustActor(c)
	text := c.FormValue("text")
	version, _ := strconv.Atoi(c.FormValue("version"))
	_, err = s.Appointments.SaveNote(ctx, a, id, text, version)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Conflict || ae.Code == apperr.Invalid) {
		v, lerr := s.loadPrep(c, id)
		if lerr != nil {
			return lerr
		}
		v.Typed = text
		if ae.Code == apperr.Conflict {
			saved := v.Note
			v.Saved = &saved
		} else {
			// Refused as it is: keep the version it was based on.
			v.Note.Version = version
		}
		return s.renderPrep(c, statusOf[ae.Code], v, ae.Message)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Note saved. Only you can read it.")
	return c.Redirect(http.StatusSeeOther, "/sessions/"+itoa(id)+"/prep#note")
}

// autosaveNote saves the note from the page's script and answers JSON (the
// same shape as a response's autosave, so the same script drives both). It
// renders nothing, so it reads nothing.
func (s *Server) autosaveNote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	version, _ := strconv.Atoi(c.FormValue("version"))
	n, err := s.Appointments.SaveNote(c.Request().Context(), mustActor(c), id, c.FormValue("text"), version)
	if ae, ok := apperr.As(err); ok {
		body := map[string]any{"error": ae.Message}
		if ae.Fields != nil {
			body["fields"] = ae.Fields
		}
		if v, ok := ae.Data["version"]; ok {
			body["version"] = v // never the text: the page posts the form to show it
		}
		return c.JSON(statusOf[ae.Code], body)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"version": n.Version, "saved_at": time.Now().UTC().Format(time.RFC3339)})
}

// ---- the calendar feed ----

func (s *Server) feedURL(token string) string {
	return strings.TrimRight(s.Config.BaseURL, "/") + "/calendar/" + token + ".ics"
}

func (s *Server) calendarPage(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	info, err := s.Appointments.FeedStatus(ctx, a)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "session_calendar", page{Title: "Your calendar of sessions", Data: calendarView{
		Feed: info, URL: s.sessions.PopString(ctx, "calendar_url")}})
}

func (s *Server) calendarAction(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	switch c.FormValue("op") {
	case "off":
		if err := s.Appointments.StopFeed(ctx, a); err != nil {
			return err
		}
		s.flash(c, "Your calendar link is turned off: calendars subscribed to it get nothing more.")
	default:
		token, err := s.Appointments.NewFeed(ctx, a)
		if err != nil {
			return err
		}
		// Shown once, on the next page view (only its hash is kept).
		s.sessions.Put(ctx, "calendar_url", s.feedURL(token))
		s.flash(c, "Your new calendar link is below. Any earlier link has stopped working.")
	}
	return c.Redirect(http.StatusSeeOther, "/account/calendar")
}

// calendarFeed answers calendar apps: the counselor's sessions as
// iCalendar, neutral events ("Mend session") with a link to each prep page.
func (s *Server) calendarFeed(c echo.Context) error {
	token := strings.TrimSuffix(c.Param("file"), ".ics")
	f, err := s.Appointments.FeedByToken(c.Request().Context(), token)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := appointment.WriteCalendar(&buf, f, s.Config.BaseURL, time.Now()); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `inline; filename="mend-sessions.ics"`)
	h.Set("Referrer-Policy", "no-referrer")
	return c.Blob(http.StatusOK, "text/calendar; charset=utf-8", buf.Bytes())
}

// ---- the couple page, the caseloads, the assign form ----

// coupleSessions adds a couple's sessions to its page: the next one and
// the past ones (dates only for an admin).
func (s *Server) coupleSessions(c echo.Context, coupleID int64) (coupleSessionsView, error) {
	all, err := s.Appointments.ForCouple(c.Request().Context(), mustActor(c), coupleID)
	if err != nil {
		return coupleSessionsView{}, err
	}
	var next *appointment.View
	var upcoming, past []appointment.View
	for i := range all {
		switch {
		case !all[i].Past:
			if next == nil && all[i].Status == appointment.Scheduled {
				next = &all[i]
				continue
			}
			upcoming = append(upcoming, all[i])
		default:
			past = append([]appointment.View{all[i]}, past...) // newest first
		}
	}
	more := 0
	if len(past) > 12 {
		more, past = len(past)-12, past[:12]
	}
	return coupleSessionsView{Next: next, Upcoming: upcoming, Past: past, PastMore: more}, nil
}

// coupleSessionsView is the sessions part of the couple page.
type coupleSessionsView struct {
	Next           *appointment.View
	Upcoming, Past []appointment.View // Past newest first, at most 12
	PastMore       int                // past sessions left out
}

// assignForm is the assign page's data: the service's options and the
// couple's next session, which work can be due before.
type assignForm struct {
	assignment.AssignOptions
	NextSession *appointment.View
}

func (s *Server) assignFormData(c echo.Context, opts assignment.AssignOptions) (assignForm, error) {
	next, err := s.Appointments.Next(c.Request().Context(), mustActor(c), opts.CoupleID)
	return assignForm{AssignOptions: opts, NextSession: next}, err
}

// dueNextSession resolves "due before the next session" into the session's
// start and id before the assignment's own checks (which then lock the
// session and take its start as it is at that moment). No next session, or
// a repeating exercise (whose occurrences each have their day), is a field
// message on "due".
func (s *Server) dueNextSession(c echo.Context, coupleID int64, in *assignment.NewAssignment) (string, error) {
	if in.Recurrence != nil {
		return "A repeating exercise starts on a day: choose a date instead.", nil
	}
	id, start, ok, err := s.Appointments.NextForAssigning(c.Request().Context(), mustActor(c), coupleID)
	if err != nil {
		return "", err
	}
	if !ok {
		return "No session is scheduled for this couple: schedule one first, or choose a date.", nil
	}
	in.DueAt, in.SessionID = &start, id
	return "", nil
}

// caseloadsWithSessions is the admin's caseloads with every counselor's and
// couple's sessions as dates and counts (API: the same, with "sessions").
type caseloadsWithSessions struct {
	clinic.Caseloads
	Sessions appointment.ClinicCounts `json:"sessions"`
}
