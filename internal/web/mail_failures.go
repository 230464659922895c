package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/clinic"
)

// Undeliverable mail, for the clinic's admins: to whom, what kind, why.
func (s *Server) mailFailurePageRoutes() []route {
	return []route{
		{"GET", "/admin/mail", "mail:manage", s.mailFailuresPage},
		{"POST", "/admin/mail/:id/dismiss", "mail:manage", s.dismissMailFailure},
	}
}

func (s *Server) mailFailureAPIRoutes() []route {
	return []route{
		{"GET", "/mail-failures", "mail:manage", s.apiMailFailures},
		{"DELETE", "/mail-failures/:id", "mail:manage", s.apiDismissMailFailure},
	}
}

// mailFailuresView is the undeliverable-mail page's model.
type mailFailuresView struct {
	Items     []clinic.MailFailure
	Labels    map[string]string // what each mail kind is called
	Delivered bool              // mail really leaves the machine (SMTP is set)
}

func (s *Server) mailFailuresPage(c echo.Context) error {
	fs, err := s.Clinic.MailFailures(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_mail", page{Title: "Undeliverable mail",
		Data: mailFailuresView{Items: fs, Labels: clinic.MailKindLabel, Delivered: s.Config.MailDelivered()}})
}

func (s *Server) dismissMailFailure(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Clinic.DismissMailFailure(c.Request().Context(), mustActor(c), id); err != nil {
		return err
	}
	s.flash(c, "Taken off the list.")
	return c.Redirect(http.StatusSeeOther, "/admin/mail")
}

func (s *Server) apiMailFailures(c echo.Context) error {
	fs, err := s.Clinic.MailFailures(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": fs})
}

func (s *Server) apiDismissMailFailure(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Clinic.DismissMailFailure(c.Request().Context(), mustActor(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
