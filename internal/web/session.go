package web

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/authz"
	"github.com/mend-clinic/mend/internal/tz"
)

const (
	ctxActor   = "mend.actor"
	ctxClinics = "mend.clinics"
	ctxToken   = "mend.apitoken"
	ctxSession = "mend.session"
)

// actorOf returns the signed-in caller, if any.
func actorOf(c echo.Context) (actor.Actor, bool) {
	a, ok := c.Get(ctxActor).(actor.Actor)
	return a, ok
}

// mustActor returns the caller of a route that required sign-in.
func mustActor(c echo.Context) actor.Actor {
	a, _ := actorOf(c)
	return a
}

// baseActor carries request id and IP for anonymous requests (login, invitations).
func baseActor(c echo.Context) actor.Actor {
	return actor.Actor{RequestID: c.Response().Header().Get(echo.HeaderXRequestID), IP: c.RealIP()}
}

func (s *Server) sessionActive(c echo.Context) bool { b, _ := c.Get(ctxSession).(bool); return b }

// withSession loads the browser session (scs, stored in PostgreSQL; the
// store writes it back only when it changed or its idle deadline has to
// move, see sessionstore.go).
func (s *Server) withSession(next echo.HandlerFunc) echo.HandlerFunc {
	h := echo.WrapMiddleware(s.sessions.LoadAndSave)(func(c echo.Context) error {
		c.Set(ctxSession, true)
		return next(c)
	})
	return func(c echo.Context) error {
		r := c.Request()
		c.SetRequest(r.WithContext(withLoadedSession(r.Context())))
		return h(c)
	}
}

// csrfToken returns the session's CSRF token, creating it on first use.
func (s *Server) csrfToken(c echo.Context) string {
	ctx := c.Request().Context()
	t := s.sessions.GetString(ctx, "csrf")
	if t == "" {
		t = auth.NewToken()
		s.sessions.Put(ctx, "csrf", t)
	}
	return t
}

// checkCSRF refuses a state-changing browser request whose token (hidden
// field csrf_token or header X-CSRF-Token) does not match the session's.
func (s *Server) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		want := s.sessions.GetString(c.Request().Context(), "csrf")
		got := c.Request().Header.Get("X-CSRF-Token")
		if got == "" {
			got = c.FormValue("csrf_token")
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			return apperr.New(apperr.Forbidden, "This form has expired or did not come from Mend. Go back, reload the page and try again.")
		}
		// Every posted text must be UTF-8 without NUL characters (PostgreSQL
		// text cannot hold NUL; invalid bytes would be stored as is).
		if form, err := c.FormParams(); err == nil && badText(form) {
			return apperr.New(apperr.BadRequest, "The form holds characters that are not allowed. Remove them and try again.")
		}
		return next(c)
	}
}

// pageActor resolves the session's user, re-reading the account and its
// memberships from the database on every request (one query) so every
// instance agrees and revocations take effect at once.
func (s *Server) pageActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		uid := s.sessions.GetInt64(ctx, "user_id")
		if uid == 0 {
			return next(c)
		}
		u, ms, err := s.Accounts.WithMemberships(ctx, uid)
		if apperr.Is(err, apperr.Unauthorized) || (err == nil && !time.UnixMicro(s.sessions.GetInt64(ctx, "auth_at")).After(u.SessionsValidAfter)) {
			if err := s.sessions.Destroy(ctx); err != nil {
				return err
			}
			return next(c)
		}
		if err != nil {
			return err
		}
		clinicID := s.sessions.GetInt64(ctx, "clinic_id")
		clinics := account.Clinics(ms)
		if clinicID == 0 && len(clinics) == 1 {
			clinicID = clinics[0].ClinicID
			s.sessions.Put(ctx, "clinic_id", clinicID)
		}
		s.setActor(c, u, ms, clinicID)
		return next(c)
	}
}

func (s *Server) setActor(c echo.Context, u account.User, ms []account.Membership, clinicID int64) {
	roles, name := account.RolesIn(ms, clinicID)
	if len(roles) == 0 {
		clinicID = 0
	}
	a := actor.Actor{UserID: u.ID, Name: u.Name, Email: u.Email, ClinicID: clinicID, ClinicName: name, Roles: roles,
		RequestID: c.Response().Header().Get(echo.HeaderXRequestID), IP: c.RealIP()}
	clinicZone := account.ZoneIn(ms, clinicID)
	a.ClinicZone, a.ClinicZoneSet = tz.Or(clinicZone), clinicZone != ""
	a.Zone = a.ClinicZone
	if u.TimeZone != nil {
		a.Zone = tz.Or(*u.TimeZone)
	}
	c.Set(ctxActor, a)
	c.Set(ctxClinics, account.Clinics(ms))
}

// apiActor resolves an Authorization: Bearer token and the Mend-Clinic header.
func (s *Server) apiActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get("Authorization")
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		uid, issued, ok, err := s.Tokens.Lookup(ctx, tok)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Unauthorized, "The token is invalid or has expired. Sign in again.")
		}
		u, ms, err := s.Accounts.WithMemberships(ctx, uid)
		if err != nil {
			return err
		}
		if !issued.After(u.SessionsValidAfter) {
			return apperr.New(apperr.Unauthorized, "The token was revoked. Sign in again.")
		}
		var clinicID int64
		clinics := account.Clinics(ms)
		if v := c.Request().Header.Get("Mend-Clinic"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return apperr.New(apperr.BadRequest, "Mend-Clinic must be a clinic id.")
			}
			if roles, _ := account.RolesIn(ms, id); len(roles) == 0 {
				return apperr.New(apperr.Forbidden, "You are not a member of clinic %d.", id)
			}
			clinicID = id
		} else if len(clinics) == 1 {
			clinicID = clinics[0].ClinicID
		}
		c.Set(ctxToken, tok)
		s.setActor(c, u, ms, clinicID)
		return next(c)
	}
}

// Route access levels besides "object:action" permissions.
const (
	public   = "public"
	signedIn = "signed_in"
)

// clinicFree are the signed-in routes that make sense without a chosen
// clinic: who am I, sign out, choose a clinic (and the home page, which
// sends a member of several clinics to choose). Every other route, even
// one that only needs a sign-in, answers a member of several clinics who
// has not named one 400 in the API (Mend-Clinic header) and sends the
// pages to the clinic picker: its objects belong to one clinic.
var clinicFree = map[string]bool{
	"GET /": true, "POST /logout": true, "GET /clinics": true, "POST /clinics": true,
	"GET /api/v1/me": true, "POST /api/v1/auth/logout": true,
}

// require enforces a route's permission: sign-in, a chosen clinic (except
// on clinicFree routes), and the Casbin rule for the caller's roles in that
// clinic. Deny by default.
func (s *Server) require(perm string) echo.MiddlewareFunc {
	p := authz.ParseAny(perm)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if perm == public {
				return next(c)
			}
			a, ok := actorOf(c)
			if !ok {
				if isAPI(c) {
					return apperr.New(apperr.Unauthorized, "Sign in first: send Authorization: Bearer <token>.")
				}
				if c.Request().Method == http.MethodGet {
					return c.Redirect(http.StatusSeeOther, "/login")
				}
				return apperr.New(apperr.Unauthorized, "Your session has ended. Sign in again; what you saved is kept.")
			}
			if perm == signedIn && (a.ClinicID != 0 || clinicFree[c.Request().Method+" "+c.Path()]) {
				return next(c)
			}
			if a.ClinicID == 0 {
				if cl, _ := c.Get(ctxClinics).([]account.Membership); len(cl) == 0 {
					return apperr.New(apperr.Forbidden, "Your account has no active clinic membership. Ask your clinic for help.")
				}
				if isAPI(c) {
					return apperr.New(apperr.BadRequest, "You belong to several clinics: name one with the Mend-Clinic header.")
				}
				return c.Redirect(http.StatusSeeOther, "/clinics")
			}
			if !s.Authz.CanAny(a.Roles, a.ClinicID, p) {
				return apperr.New(apperr.Forbidden, "You do not have permission to do that.")
			}
			return next(c)
		}
	}
}

// signIn starts a fresh session for the user: a new session id (no
// fixation), a new CSRF token, and the clinic when there is only one.
func (s *Server) signIn(c echo.Context, u account.User, ms []account.Membership) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, "user_id", u.ID)
	s.sessions.Put(ctx, "auth_at", time.Now().UnixMicro())
	s.sessions.Put(ctx, "csrf", auth.NewToken())
	s.sessions.Remove(ctx, "clinic_id")
	if cl := account.Clinics(ms); len(cl) == 1 {
		s.sessions.Put(ctx, "clinic_id", cl[0].ClinicID)
	}
	return nil
}
