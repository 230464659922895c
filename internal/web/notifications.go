package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/paging"
)

// notificationPageRoutes are "What's new": the same events as the mails,
// worded with their titles (inside the app they may show).
func (s *Server) notificationPageRoutes() []route {
	return []route{
		{"GET", "/notifications", signedIn, s.notificationsPage},
		{"POST", "/notifications/:id/open", signedIn, s.openNotification},
		{"POST", "/notifications/read-all", signedIn, s.readAllNotifications},
	}
}

func (s *Server) notificationAPIRoutes() []route {
	return []route{
		{"GET", "/notifications", signedIn, s.apiNotifications},
		{"POST", "/notifications/:id/read", signedIn, s.apiReadNotification},
	}
}

// before reads ?before=ID, the page cursor of the notification lists.
func before(c echo.Context) (int64, error) {
	v := c.QueryParam("before")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.BadRequest, "before must be a notification id from a previous page.")
	}
	return id, nil
}

type notificationPage struct {
	Items  []notify.Item
	Unread int
	Next   int64 // the ?before= of the next page (0: none)
}

func (s *Server) loadNotifications(c echo.Context) (notificationPage, error) {
	var p notificationPage
	b, err := before(c)
	if err != nil {
		return p, err
	}
	limit, err := paging.ParseLimit(c.QueryParam("limit"))
	if err != nil {
		return p, err
	}
	ctx, a := c.Request().Context(), mustActor(c)
	items, err := s.Notify.List(ctx, a, b, limit+1)
	if err != nil {
		return p, err
	}
	if len(items) > limit {
		items = items[:limit]
		p.Next = items[limit-1].ID
	}
	p.Items = items
	p.Unread, err = s.Notify.Unread(ctx, a)
	return p, err
}

func (s *Server) notificationsPage(c echo.Context) error {
	p, err := s.loadNotifications(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "notifications", page{Title: "What's new", Data: p})
}

// openNotification marks a notification read and goes where it leads.
func (s *Server) openNotification(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	it, err := s.Notify.Open(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, it.Link)
}

func (s *Server) readAllNotifications(c echo.Context) error {
	if err := s.Notify.ReadAll(c.Request().Context(), mustActor(c)); err != nil {
		return err
	}
	s.flash(c, "Everything is marked as read.")
	return c.Redirect(http.StatusSeeOther, "/notifications")
}

// apiNotifications lists "What's new": {"items": [...], "unread": n, "next": id|null}.
func (s *Server) apiNotifications(c echo.Context) error {
	p, err := s.loadNotifications(c)
	if err != nil {
		return err
	}
	var next *int64
	if p.Next != 0 {
		next = &p.Next
	}
	return c.JSON(http.StatusOK, map[string]any{"items": p.Items, "unread": p.Unread, "next": next})
}

// apiReadNotification marks one read and returns it (with its link).
func (s *Server) apiReadNotification(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	it, err := s.Notify.Open(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, it)
}
