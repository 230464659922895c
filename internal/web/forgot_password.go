package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
)

// forgotSent is the one answer to "Forgot password?", whether or not an
// account exists for the address.
const forgotSent = "If a Mend account uses that address, we have sent it a link to choose a new password. " +
	"It works once, for 2 hours. Nothing arrived? Check the spam folder, or ask your clinic."

func (s *Server) forgotPasswordPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "forgot_password", page{Title: "Forgot password"})
}

// forgotPassword mails a reset link to an account's owner (never shown on
// the page: only the owner of the address can use it). Two-factor sign-in
// is still asked for on the reset page.
func (s *Server) forgotPassword(c echo.Context) error {
	form := formValues(c, "email")
	err := s.Clinic.RequestReset(c.Request().Context(), baseActor(c), form["email"])
	if ae, ok := apperr.As(err); ok {
		p := page{Title: "Forgot password", Form: form, Errors: ae.Fields, Error: ae.Message}
		switch ae.Code {
		case apperr.Invalid:
			return s.render(c, http.StatusUnprocessableEntity, "forgot_password", p)
		case apperr.TooMany:
			c.Response().Header().Set("Retry-After", toString(ae.Data["retry_after"]))
			return s.render(c, http.StatusTooManyRequests, "forgot_password", p)
		}
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "forgot_password", page{Title: "Forgot password", Form: form,
		Data: forgotView{Sent: forgotSent}})
}

// forgotView is the forgot-password page's model once the request is taken
// (the form alone has none).
type forgotView struct{ Sent string }

// apiForgotPassword: {"email"} → 202 whether or not the account exists;
// 422 for an address that is not one, 429 when throttled.
func (s *Server) apiForgotPassword(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := s.Clinic.RequestReset(c.Request().Context(), baseActor(c), in.Email); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": forgotSent})
}
