package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/security"
)

// passwordResetPage shows the form behind a password-reset link: a new
// password, and a two-factor code when the account has two-factor sign-in
// (a reset never bypasses it). It names the account and the clinic that
// issued the link, nothing else.
func (s *Server) passwordResetPage(c echo.Context) error {
	info, err := s.Clinic.ResetByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.resetProblem(c, err)
	}
	return s.renderReset(c, http.StatusOK, info, page{})
}

func (s *Server) renderReset(c echo.Context, status int, info clinic.ResetInfo, p page) error {
	m := s.MFA
	on, err := m.Enabled(c.Request().Context(), info.UserID)
	if err != nil {
		return err
	}
	if p.Loc, err = s.Settings.ZoneOf(c.Request().Context(), info.UserID, info.ClinicID); err != nil {
		return err
	}
	p.Title = "Choose a new password"
	p.Data = resetView{Info: info, TwoFactor: on, Action: "/password-reset/" + c.Param("token")}
	return s.render(c, status, "password_reset", p)
}

// resetView is the password-reset page's model.
type resetView struct {
	Info      clinic.ResetInfo
	TwoFactor bool // the account has two-factor on: the form asks for a code
	Action    string
}

// resetProblem renders the "this link cannot be used" page for 404 and 410
// answers, and passes other errors on.
func (s *Server) resetProblem(c echo.Context, err error) error {
	ae, ok := apperr.As(err)
	if !ok || (ae.Code != apperr.Gone && ae.Code != apperr.NotFound) {
		return err
	}
	return s.render(c, statusOf[ae.Code], "password_reset_invalid", page{Title: "Password-reset link cannot be used",
		Data: messageView{Message: ae.Message}})
}

// usePasswordReset sets the new password, ends every session and token of
// the account, and signs this browser in.
func (s *Server) usePasswordReset(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	info, err := s.Clinic.ResetByToken(ctx, token)
	if err != nil {
		return s.resetProblem(c, err)
	}
	m := s.MFA
	u, err := s.Clinic.UsePasswordReset(ctx, baseActor(c), token, clinic.ResetInput{Password: c.FormValue("password"),
		Confirm: c.FormValue("confirm"), RequireConfirm: true, Code: c.FormValue("code"), MFA: m})
	if err != nil {
		ae, ok := apperr.As(err)
		switch {
		case errors.Is(err, clinic.ErrResetBadCode):
			return s.renderReset(c, http.StatusUnauthorized, info, page{Errors: ae.Fields, Error: ae.Message})
		case ok && ae.Code == apperr.Invalid:
			return s.renderReset(c, http.StatusUnprocessableEntity, info, page{Errors: ae.Fields, Error: ae.Message})
		case ok && ae.Code == apperr.TooMany:
			c.Response().Header().Set("Retry-After", toString(ae.Data["retry_after"]))
			return s.renderReset(c, http.StatusTooManyRequests, info, page{Error: ae.Message})
		}
		return s.resetProblem(c, err)
	}
	s.flash(c, "Your password was changed. Every other place you were signed in has been signed out.")
	return s.finishLogin(c, u, "", viaReset)
}

// apiUsePasswordReset is the reset through the API: {password, totp} → the
// login body with a new token. A wrong or missing code is 401 with
// "mfa_required": true (a missing one is not counted as a failure).
func (s *Server) apiUsePasswordReset(c echo.Context) error {
	var in struct {
		Password string `json:"password"`
		TOTP     string `json:"totp"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	m := s.MFA
	u, err := s.Clinic.UsePasswordReset(c.Request().Context(), baseActor(c), c.Param("token"),
		clinic.ResetInput{Password: in.Password, Code: in.TOTP, MFA: m})
	if ae, ok := apperr.As(err); ok && ae.Fields != nil {
		f := map[string]string{}
		for k, v := range ae.Fields {
			if k == "code" {
				k = "totp"
			}
			f[k] = v
		}
		if _, missing := f["totp"]; missing && ae.Code == apperr.Invalid && len(f) == 1 {
			return &apperr.Error{Code: apperr.Unauthorized, Message: "two-factor code required", Fields: f, Data: map[string]any{"mfa_required": true}}
		}
		return &apperr.Error{Code: ae.Code, Message: ae.Message, Fields: f, Data: ae.Data}
	}
	if err != nil {
		return err
	}
	return s.issueToken(c, u, viaReset)
}

// apiChangePassword is the password change through the API: {current,
// password}. Like the page it throttles the current password (429 with
// Retry-After) and ends every session and token of the account, this one
// included: the answer carries a new token.
func (s *Server) apiChangePassword(c echo.Context) error {
	var in struct {
		Current  string `json:"current"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx, a := c.Request().Context(), mustActor(c)
	if err := s.Accounts.ChangePassword(ctx, a, in.Current, in.Password, in.Password); err != nil {
		return err
	}
	tok, err := s.Tokens.Issue(ctx, a.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"token": tok})
}

// apiDisableTOTP turns two-factor off: {code} → 204. 409 (naming the
// clinic) while a clinic where the caller is staff requires it; a wrong
// code 422, throttled like a sign-in (429 with Retry-After).
func (s *Server) apiDisableTOTP(c echo.Context) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	m := s.MFA
	err := m.Disable(c.Request().Context(), mustActor(c), in.Code)
	if errors.Is(err, security.ErrBadCode) || errors.Is(err, security.ErrCodeMissing) {
		return apperr.Fields(apperr.Message(err), map[string]string{"code": apperr.Message(err)})
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiStartTOTP begins two-factor enrolment: 200 {secret, otpauth_url} (the
// same pending secret until it is confirmed); 409 when it is already on.
// Staff whose clinic requires two-factor may call it before enrolling.
func (s *Server) apiStartTOTP(c echo.Context) error {
	a := mustActor(c)
	on, err := s.MFA.Enabled(c.Request().Context(), a.UserID)
	if err != nil {
		return err
	}
	if on {
		return apperr.New(apperr.Conflict, "Two-factor sign-in is already on.")
	}
	en, err := s.MFA.Pending(c.Request().Context(), a.UserID, a.Email)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"secret": en.Secret, "otpauth_url": en.URL})
}

// apiConfirmTOTP turns two-factor on with a current code from the app:
// 200 {recovery_codes: [...]} (shown once); 422 naming "code" when wrong.
func (s *Server) apiConfirmTOTP(c echo.Context) error {
	var in struct {
		Code string `json:"code"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	codes, err := s.MFA.Confirm(c.Request().Context(), mustActor(c), in.Code)
	if errors.Is(err, security.ErrBadCode) {
		return apperr.Fields(apperr.Message(err), map[string]string{"code": apperr.Message(err)})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"recovery_codes": codes})
}
