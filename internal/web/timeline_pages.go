package web

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/assignment"
)

// coupleTimelineView is the couple timeline page's model: one page of the
// couple's events, newest first, for their counselor.
type coupleTimelineView struct {
	CoupleID    int64
	CoupleLabel string
	Events      []assignment.Event
	Next, First string // the next and the first page's URLs ("" when none)
}

func (s *Server) coupleTimelinePage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	limit, err := listLimit(c)
	if err != nil {
		return err
	}
	after := c.QueryParam("after")
	t, err := s.Assignments.CoupleTimeline(c.Request().Context(), mustActor(c), id, limit, after)
	if err != nil {
		return err
	}
	base := "/couples/" + itoa(id) + "/timeline"
	d := coupleTimelineView{CoupleID: id, CoupleLabel: t.CoupleLabel, Events: t.Items}
	if t.Next != "" {
		q := url.Values{"after": {t.Next}}
		if l := c.QueryParam("limit"); l != "" {
			q.Set("limit", l)
		}
		d.Next = base + "?" + q.Encode()
	}
	if after != "" {
		d.First = base
	}
	return s.render(c, http.StatusOK, "couple_timeline", page{Title: "Timeline: " + t.CoupleLabel, Data: d})
}

// apiCoupleTimeline is GET /api/v1/couples/{id}/timeline: one page of the
// couple's events, newest first, {"items": [...], "next": ...}.
func (s *Server) apiCoupleTimeline(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	limit, err := listLimit(c)
	if err != nil {
		return err
	}
	t, err := s.Assignments.CoupleTimeline(c.Request().Context(), mustActor(c), id, limit, c.QueryParam("after"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t.Page)
}
