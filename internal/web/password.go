package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
)

func (s *Server) passwordPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "account_password", page{Title: "Change password"})
}

// changePassword sets a new password, ends every other session and token of
// the account, and keeps this browser signed in with a fresh session.
func (s *Server) changePassword(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	err := s.Accounts.ChangePassword(ctx, a, c.FormValue("current"), c.FormValue("password"), c.FormValue("confirm"))
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		return s.render(c, http.StatusUnprocessableEntity, "account_password", page{Title: "Change password",
			Errors: ae.Fields, Error: ae.Message})
	}
	if err != nil {
		return err
	}
	u, err := s.Accounts.ByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	ms, err := s.Accounts.Memberships(ctx, a.UserID)
	if err != nil {
		return err
	}
	clinic := a.ClinicID
	if err := s.signIn(c, u, ms); err != nil {
		return err
	}
	s.sessions.Put(ctx, "clinic_id", clinic)
	s.flash(c, "Your password was changed. Every other place you were signed in has been signed out.")
	return c.Redirect(http.StatusSeeOther, "/account/security")
}
