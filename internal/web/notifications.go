package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

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

type notificationPage struct {
	Items  []notify.Item
	Unread int
	Next   string // the ?after= cursor of the next (older) page, "" on the last
}

func (s *Server) loadNotifications(c echo.Context) (notificationPage, error) {
	var p notificationPage
	b, err := paging.DecodeID(c.QueryParam("after"))
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
		p.Next = paging.EncodeID(items[limit-1].ID)
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

// apiNotifications lists "What's new" in the one list shape, with the
// unread count: {"items": [...], "unread": n, "next": cursor|null}.
func (s *Server) apiNotifications(c echo.Context) error {
	p, err := s.loadNotifications(c)
	if err != nil {
		return err
	}
	out := struct {
		Items  []notify.Item `json:"items"`
		Unread int           `json:"unread"`
		Next   *string       `json:"next"`
	}{Items: p.Items, Unread: p.Unread}
	if out.Items == nil {
		out.Items = []notify.Item{}
	}
	if p.Next != "" {
		out.Next = &p.Next
	}
	return c.JSON(http.StatusOK, out)
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
