package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/tz"
)

// sessionInput is the API body of new sessions.
type sessionInput struct {
	StartsAt string `json:"starts_at"`
	Minutes  int    `json:"minutes"`
	Repeat   *struct {
		Every string `json:"every"`
		Until string `json:"until"`
	} `json:"repeat"`
	Note string `json:"note"`
}

func badTime(field string) error {
	return apperr.Fields(field+" must be an RFC 3339 time.", map[string]string{field: "Use an RFC 3339 time such as 2026-12-09T17:00:00+01:00."})
}

func (s *Server) apiCreateSessions(c echo.Context) error {
	coupleID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in sessionInput
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	n := appointment.New{Minutes: in.Minutes, Place: in.Note}
	if in.StartsAt != "" {
		t, err := time.Parse(time.RFC3339, in.StartsAt)
		if err != nil {
			return badTime("starts_at")
		}
		n.StartsAt = t
	}
	if in.Repeat != nil {
		n.Repeat, n.Until = in.Repeat.Every, in.Repeat.Until
		if n.Repeat == "" {
			return apperr.Fields("repeat.every is missing.", map[string]string{"repeat": `Give "every": "week" or "2weeks".`})
		}
	}
	made, err := s.Appointments.Schedule(c.Request().Context(), mustActor(c), coupleID, n)
	if ae, ok := apperr.As(err); ok && ae.Fields != nil {
		// The API names the body's fields.
		f := map[string]string{}
		for k, v := range ae.Fields {
			switch k {
			case "repeat":
				k = "repeat.every"
			case "until":
				k = "repeat.until"
			}
			f[k] = v
		}
		return &apperr.Error{Code: ae.Code, Message: ae.Message, Fields: f}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]any{"items": made})
}

func (s *Server) apiCoupleSessions(c echo.Context) error {
	coupleID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	items, err := s.Appointments.ForCouple(c.Request().Context(), mustActor(c), coupleID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// rangeParam reads ?from= and ?to= as RFC 3339 times or dates of the
// clinic (a date "to" includes its day). The default is the next 31 days.
func rangeParam(c echo.Context, loc *time.Location, now time.Time) (time.Time, time.Time, error) {
	read := func(name string, end bool) (time.Time, bool, error) {
		v := c.QueryParam(name)
		if v == "" {
			return time.Time{}, false, nil
		}
		if d, err := tz.ParseDate(v); err == nil {
			if end {
				d = tz.AddDays(d, 1)
			}
			return tz.Start(d, loc), true, nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return t, false, apperr.Fields(name+" must be a date or an RFC 3339 time.", map[string]string{name: "Use YYYY-MM-DD or an RFC 3339 time."})
		}
		return t, true, nil
	}
	from, ok, err := read("from", false)
	if err != nil {
		return from, from, err
	}
	if !ok {
		from = tz.Start(tz.Today(now, loc), loc)
	}
	to, ok, err := read("to", true)
	if err != nil {
		return from, to, err
	}
	if !ok {
		to = tz.Start(tz.AddDays(tz.DateOf(from, loc), 31), loc)
	}
	return from, to, nil
}

func (s *Server) apiSessions(c echo.Context) error {
	a := mustActor(c)
	from, to, err := rangeParam(c, a.ClinicLoc(), time.Now())
	if err != nil {
		return err
	}
	items, err := s.Appointments.List(c.Request().Context(), a, from, to)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items, "from": from.In(a.ClinicLoc()), "to": to.In(a.ClinicLoc())})
}

func (s *Server) apiSession(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.Appointments.Get(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// apiPatchSession applies a JSON Merge Patch (see patch.go): the note may
// be removed with null, the time, length and status may not.
func (s *Server) apiPatchSession(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	var ch appointment.Change
	if t := pr.instant("starts_at", false); t != nil {
		ch.StartsAt = *t
	}
	if n := pr.integer("minutes", "Give the length in minutes."); n != nil {
		m := int(*n)
		ch.Minutes = &m
	}
	ch.Place = pr.str("note", true)
	ch.Status = pr.str("status", false)
	pr.ignore("id", "couple_id", "couple_label", "ends_at", "past", "series_id", "prep_url")
	if err := pr.done(); err != nil {
		return err
	}
	return s.answerChange(c, id, ch)
}

func (s *Server) answerChange(c echo.Context, id int64, ch appointment.Change) error {
	m, err := s.Appointments.Update(c.Request().Context(), mustActor(c), id, ch)
	if err != nil {
		return err
	}
	followed := m.Followed
	if followed == nil {
		followed = []int64{}
	}
	body := map[string]any{"session": m.View, "assignments_followed": followed}
	if m.NextID != 0 {
		body["work_moved_to"] = m.NextID
	}
	return c.JSON(http.StatusOK, body)
}

// apiCancelSession cancels a session (it stays in the history, cancelled).
func (s *Server) apiCancelSession(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	st := appointment.Cancelled
	return s.answerChange(c, id, appointment.Change{Status: &st})
}

// apiPrep is the prep page as JSON.
func (s *Server) apiPrep(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.loadPrep(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"session": v.Prep.Session, "previous_session": v.Prep.Previous,
		"period": v.Period, "private_note": v.Note})
}

func (s *Server) apiSaveNote(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Text    *string `json:"text"`
		Version int     `json:"version"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Text == nil {
		if err := s.Appointments.CanWriteNote(c.Request().Context(), mustActor(c), id); err != nil {
			return err
		}
		return apperr.Fields("text is missing.", map[string]string{"text": "Send the note's text (an empty text empties it)."})
	}
	n, err := s.Appointments.SaveNote(c.Request().Context(), mustActor(c), id, *in.Text, in.Version)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, n)
}

func (s *Server) apiNewFeed(c echo.Context) error {
	token, err := s.Appointments.NewFeed(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, map[string]string{"url": s.feedURL(token)})
}

func (s *Server) apiStopFeed(c echo.Context) error {
	if err := s.Appointments.StopFeed(c.Request().Context(), mustActor(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// applyDue reads the API's "due" of a new assignment: "next_session" (due
// at the couple's next session, following it when it moves) instead of
// due_at. No next session is 422 with a message on "due".
func (s *Server) applyDue(c echo.Context, coupleID int64, due string, hasDueAt bool, n *assignment.NewAssignment) error {
	switch {
	case due == "":
		return nil
	case due != "next_session":
		return apperr.Fields(`due must be "next_session".`, map[string]string{"due": `Use "next_session", or give due_at instead.`})
	case hasDueAt:
		return apperr.Fields("Give due or due_at, not both.", map[string]string{"due": "Give due or due_at, not both."})
	}
	msg, err := s.dueNextSession(c, coupleID, n)
	if err != nil {
		return err
	}
	if msg != "" {
		return apperr.Fields(msg, map[string]string{"due": msg})
	}
	return nil
}
