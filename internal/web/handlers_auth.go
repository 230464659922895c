package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/security"
)

func (s *Server) loginPage(c echo.Context) error {
	if _, ok := actorOf(c); ok {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.render(c, http.StatusOK, "login", page{Title: "Sign in"})
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email, pw := c.FormValue("email"), c.FormValue("password")
	if missing := blankLogin(email, pw); len(missing) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "login", page{Title: "Sign in",
			Form: map[string]string{"email": email}, Errors: missing})
	}
	th := s.throttle()
	// Throttled before the password is checked: a locked account answers
	// 429 even to the right password.
	if wait, err := th.Check(ctx, email, c.RealIP()); err != nil {
		return err
	} else if wait > 0 {
		c.Response().Header().Set("Retry-After", itoa(security.RetrySeconds(wait)))
		return s.render(c, http.StatusTooManyRequests, "login", page{Title: "Sign in",
			Form: map[string]string{"email": email}, Error: security.RetryMessage(wait)})
	}
	u, err := s.Accounts.Authenticate(ctx, baseActor(c), email, pw)
	if apperr.Is(err, apperr.Unauthorized) {
		if err := th.Fail(ctx, email, c.RealIP()); err != nil {
			return err
		}
		ae, _ := apperr.As(err)
		return s.render(c, http.StatusUnauthorized, "login", page{Title: "Sign in",
			Form: map[string]string{"email": email}, Error: ae.Message})
	}
	if err != nil {
		return err
	}
	if m, err := s.mfa(); err != nil {
		return err
	} else if on, err := m.Enabled(ctx, u.ID); err != nil {
		return err
	} else if on {
		return s.startTOTP(c, u) // the email counter clears after the second factor
	}
	if err := th.Succeed(ctx, email); err != nil {
		return err
	}
	return s.finishLogin(c, u)
}

// afterLogin loads memberships and audits the sign-in.
func (s *Server) afterLogin(ctx context.Context, c echo.Context, u account.User) ([]account.Membership, error) {
	ms, err := s.Accounts.Memberships(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	a := baseActor(c)
	a.UserID = u.ID
	var clinic int64
	if cl := account.Clinics(ms); len(cl) == 1 {
		clinic = cl[0].ClinicID
	}
	return ms, s.Accounts.Audit(ctx, a, audit.Event{Action: "login", ObjectType: "user", ObjectID: u.ID, ClinicID: clinic})
}

func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	if a, ok := actorOf(c); ok {
		if err := s.Accounts.Audit(ctx, a, audit.Event{Action: "logout", ObjectType: "user", ObjectID: a.UserID}); err != nil {
			return err
		}
	}
	if err := s.sessions.Destroy(ctx); err != nil {
		return err
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
