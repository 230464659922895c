package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
)

func (s *Server) loginPage(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if _, ok := actorOf(c); ok {
		return c.Redirect(http.StatusSeeOther, or(next, "/"))
	}
	return s.render(c, http.StatusOK, "login", page{Title: "Sign in", Form: map[string]string{"next": next}})
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email, pw := c.FormValue("email"), c.FormValue("password")
	next := localPath(c.FormValue("next"))
	form := map[string]string{"email": email, "next": next}
	if missing := blankLogin(email, pw); len(missing) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "login", page{Title: "Sign in", Form: form, Errors: missing})
	}
	// account.SignIn throttles and counts before the password is checked:
	// a locked account answers 429 even to the right password.
	u, err := s.Accounts.SignIn(ctx, baseActor(c), account.Credentials{Email: email, Password: pw})
	switch {
	case err == account.ErrCodeRequired: // the password was right: ask for the code
		return s.startTOTP(c, u, next)
	case apperr.Is(err, apperr.TooMany):
		ae, _ := apperr.As(err)
		c.Response().Header().Set("Retry-After", toString(ae.Data["retry_after"]))
		return s.render(c, http.StatusTooManyRequests, "login", page{Title: "Sign in", Form: form, Error: ae.Message})
	case apperr.Is(err, apperr.Unauthorized):
		return s.render(c, http.StatusUnauthorized, "login", page{Title: "Sign in", Form: form, Error: apperr.Message(err)})
	case err != nil:
		return err
	}
	return s.finishLogin(c, u, next, viaPassword)
}

// localPath returns next when it is a path on this site, "" otherwise, so
// that a sign-in never sends anyone to another site: it must start with one
// "/" (not "//" nor "/\", which browsers read as another host), hold no
// backslash, control character, scheme or host, and not lead back to
// sign-in or sign-out.
func localPath(next string) string {
	if len(next) < 1 || len(next) > 2000 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") || u.Path == "/login" || strings.HasPrefix(u.Path, "/login/") || u.Path == "/logout" {
		return ""
	}
	return next
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// How a sign-in came about.
const (
	viaPassword = "password"
	viaReset    = "password_reset"
	viaInvite   = "invitation"
)

// afterLogin loads memberships and records the sign-in (audited once per
// clinic the user belongs to, so each clinic's admins see it; marked when
// it comes through a reset link). It returns the notice a clinic-issued
// password reset leaves for the next sign-in with the password.
func (s *Server) afterLogin(ctx context.Context, c echo.Context, u account.User, via string) ([]account.Membership, *account.ResetNotice, error) {
	ms, err := s.Accounts.Memberships(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	notice, err := s.Accounts.SignedIn(ctx, baseActor(c), u, via == viaReset)
	return ms, notice, err
}

func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if a, ok := actorOf(c); ok {
		if err := s.Accounts.AuditAccount(ctx, a, a.UserID, audit.Event{Action: "logout", ObjectType: "user", ObjectID: a.UserID}); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
	}
	// "next" brings the person back (for example to an invitation they
	// must accept as another account) once signed in again.
	if next := localPath(c.FormValue("next")); next != "" {
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(next))
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) clinicsPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "clinics", page{Title: "Choose a clinic"})
}

func (s *Server) chooseClinic(c echo.Context) error {
	id, _ := strconv.ParseInt(c.FormValue("clinic_id"), 10, 64)
	cl, _ := c.Get(ctxClinics).([]account.Membership)
	for _, m := range cl {
		if m.ClinicID == id {
			s.sessions.Put(c.Request().Context(), "clinic_id", id)
			return c.Redirect(http.StatusSeeOther, "/")
		}
	}
	return s.render(c, http.StatusUnprocessableEntity, "clinics", page{Title: "Choose a clinic",
		Error: "Choose one of the clinics you belong to."})
}

// healthz answers load balancers: 200 when the database answers.
func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.PingContext(ctx); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// blankLogin names the empty fields of a sign-in form (an empty form says
// nothing about any account, so it is neither counted nor audited).
func blankLogin(email, pw string) map[string]string {
	m := map[string]string{}
	if strings.TrimSpace(email) == "" {
		m["email"] = "Enter your email address."
	}
	if pw == "" {
		m["password"] = "Enter your password."
	}
	return m
}
