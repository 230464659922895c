package web

import (
	"io/fs"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/templates"
)

// route is one line of the route table: every route names the permission
// it needs ("object:action" from policies/policy.csv, several joined by
// "|" of which any one is enough, or public/signed_in).
type route struct {
	Method, Path, Perm string
	h                  echo.HandlerFunc
}

// Routes returns the route table (the authorization matrix test walks it).
func (s *Server) Routes() []route { return s.routes }

// Sessionless reports whether a route of the table reads no session and
// takes no CSRF token (see sessionlessRoutes).
func (s *Server) Sessionless(method, path string) bool { return s.sessionless[method+" "+path] }

// pageRoutes are the server-rendered pages (session cookie + CSRF), one
// slice per area, each defined next to its handlers.
func (s *Server) pageRoutes() []route {
	return slices.Concat(s.corePageRoutes(), s.clinicPageRoutes(), s.libraryPageRoutes(), s.securityPageRoutes(), s.assignmentPageRoutes(),
		s.notificationPageRoutes(), s.mailFailurePageRoutes(), s.settingsPageRoutes(), s.appointmentPageRoutes(), s.measurePageRoutes())
}

// apiRoutes are the JSON API under /api/v1 (bearer tokens, no cookies).
func (s *Server) apiRoutes() []route {
	return slices.Concat(s.coreAPIRoutes(), s.clinicAPIRoutes(), s.libraryAPIRoutes(), s.securityAPIRoutes(), s.assignmentAPIRoutes(),
		s.notificationAPIRoutes(), s.mailFailureAPIRoutes(), s.settingsAPIRoutes(), s.appointmentAPIRoutes(), s.measureAPIRoutes())
}

func (s *Server) corePageRoutes() []route {
	return []route{
		{"GET", "/", signedIn, s.home},
		{"GET", "/login", public, s.loginPage},
		{"POST", "/login", public, s.login},
		{"POST", "/logout", signedIn, s.logout},
		{"GET", "/clinics", signedIn, s.clinicsPage},
		{"POST", "/clinics", signedIn, s.chooseClinic},
	}
}

func (s *Server) coreAPIRoutes() []route {
	return []route{
		{"POST", "/auth/login", public, s.apiLogin},
		{"POST", "/auth/logout", signedIn, s.apiLogout},
		{"GET", "/me", signedIn, s.apiMe},
	}
}

func (s *Server) registerRoutes() {
	e := s.echo
	static, _ := fs.Sub(templates.FS, "static")
	e.StaticFS("/static", static)
	// No session, no CSRF, no caller: only public routes may live here.
	s.sessionless = map[string]bool{}
	for _, r := range s.sessionlessRoutes() {
		if r.Perm != public {
			panic("web: sessionless route " + r.Method + " " + r.Path + " must be public")
		}
		e.Add(r.Method, r.Path, r.h, s.require(r.Perm))
		s.routes = append(s.routes, r)
		s.sessionless[r.Method+" "+r.Path] = true
	}

	pages := e.Group("", s.withSession, s.checkCSRF, s.pageActor, s.requireMFA)
	for _, r := range s.pageRoutes() {
		pages.Add(r.Method, r.Path, r.h, s.require(r.Perm))
		s.routes = append(s.routes, r)
	}
	api := e.Group("/api/v1", s.apiActor, s.requireMFA)
	for _, r := range s.apiRoutes() {
		api.Add(r.Method, r.Path, r.h, s.require(r.Perm))
		r.Path = "/api/v1" + r.Path
		s.routes = append(s.routes, r)
	}
	// Unknown API paths answer JSON 404 rather than an HTML page.
	api.Any("/*", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}
