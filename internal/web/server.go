// Package web serves Mend's pages and its JSON API over the same services.
package web

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/authz"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/config"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/measure"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/security"
	"github.com/mend-clinic/mend/internal/settings"
)

// Deps is everything the web layer needs, wired by cmd/mend.
type Deps struct {
	Config      config.Config
	DB          *sqlx.DB
	Log         *slog.Logger
	Authz       *authz.Enforcer
	Accounts    *account.Service
	Tokens      *auth.Tokens
	Audit       *audit.Logger
	Clinic      *clinic.Service
	Assignments *assignment.Service
	Library     *library.Service
	MFA         *security.MFA
	Notify      *notify.Service
	Settings    *settings.Service
	Measures    *measure.Service
	// SessionCleanup is how often expired sessions are purged (0: never, for tests).
	SessionCleanup time.Duration

	// Appointments are the couples' sessions with their counselor.
	Appointments *appointment.Service
}

// Server is the HTTP application.
type Server struct {
	Deps
	echo     *echo.Echo
	sessions *scs.SessionManager
	store    *sessionStore
	views    *views
	routes   []route
	// sessionless are the routes registered without session and CSRF.
	sessionless map[string]bool
}

// New builds the server: templates parsed once (a broken one fails here),
// middleware, and the one route table.
func New(d Deps) (*Server, error) {
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, echo: echo.New(), views: v}
	s.store = newSessionStore(d.DB.DB, d.SessionCleanup)
	sm := scs.New()
	sm.Store = s.store
	sm.HashTokenInStore = true
	sm.IdleTimeout = auth.IdleTimeout
	sm.Lifetime = auth.AbsoluteTimeout
	sm.Cookie.Name = "mend_session"
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	if d.Config.HTTPS() {
		sm.Cookie.Name = "__Host-mend_session"
		sm.Cookie.Secure = true
	}
	sm.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		d.Log.Error("session store", "err", err, "request_id", r.Header.Get(echo.HeaderXRequestID))
		http.Error(w, "Something went wrong on our side. Please try again.", http.StatusInternalServerError)
	}
	s.sessions = sm

	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(d.Config.TrustedProxies)
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: auth.NewToken}))
	e.Use(s.logRequests)
	e.Use(s.recoverPanic)
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimit(bodyLimit(d.Config.BodyLimit)))
	e.Use(s.readForm)
	e.Use(s.cleanQuery)
	s.registerRoutes()
	return s, nil
}

// Handler returns the server as an http.Handler (for tests).
func (s *Server) Handler() http.Handler { return s.echo }

// Close stops background work.
func (s *Server) Close() { s.store.StopCleanup() }

// ListenAndServe serves until ctx is cancelled, then shuts down gracefully:
// in-flight requests finish within the grace period.
func (s *Server) ListenAndServe(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	if s.Config.TLS() {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	errc := make(chan error, 1)
	go func() {
		if s.Config.TLS() {
			errc <- hs.ServeTLS(ln, s.Config.TLSCert, s.Config.TLSKey)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.Log.Info("shutting down: waiting for in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), s.Config.ShutdownGrace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}

// ipExtractor takes the client IP from the socket, trusting X-Forwarded-For
// only when the direct peer is one of the configured proxies.
func ipExtractor(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

func bodyLimit(n int64) string {
	return itoa(n) + "B"
}
