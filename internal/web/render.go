package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/tz"
	"github.com/mend-clinic/mend/templates"
)

// page is what every template receives: the layout's fields, filled by
// fillPage, and Data, the page's own typed view model (a struct declared
// beside its handler, such as coupleView), never a map: a misspelt or
// missing field is then a compile error in Go and an execution error in the
// template, which the tests rendering every page catch.
type page struct {
	Title   string
	Actor   *actor.Actor
	Clinics []account.Membership // the clinics the user may switch between
	CSRF    string
	Flash   string
	Nav     []navItem
	Path    string
	Form    map[string]string // values as typed, re-shown on error
	Errors  map[string]string // per-field messages
	Error   string            // a message for the whole form
	Data    any
	// Loc is the zone every time on the page is shown in: the viewer's
	// (their own, else their clinic's; UTC when nobody is signed in, unless
	// the handler knows better). Zone is its IANA name, for labels.
	Loc  *time.Location
	Zone string
}

type navItem struct {
	Label, Href string
	Active      bool
	Count       int
	// CountLabel says what Count counts, for screen readers ("unread").
	CountLabel string
}

type views struct {
	pages map[string]*template.Template
}

// Times are shown in the page's zone, which templates pass first:
// {{datetime $.Loc .At}}. Templates are parsed once and shared by every
// request, so the zone cannot be bound into the functions; loadViews
// refuses a call without it (see checkTimeCalls).
var funcs = template.FuncMap{
	// date is the local date of an instant: "8 Mar 2026".
	"date": func(loc *time.Location, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("2 Jan 2006")
	},
	// datetime is an instant's local date and time: "8 Mar 2026, 23:59".
	"datetime": func(loc *time.Location, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("2 Jan 2006, 15:04")
	},
	// datetimez is datetime naming the zone, where a bare time could
	// mislead (a due time): "8 Mar 2026, 23:59 (America/New_York)".
	"datetimez": func(loc *time.Location, t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(loc).Format("2 Jan 2006, 15:04") + " (" + tz.Name(loc) + ")"
	},
	// day is a calendar date (a date column: an occurrence's day, the last
	// day of a recurrence), which has no zone to convert to.
	"day": func(d time.Time) (string, error) {
		if d.IsZero() {
			return "—", nil
		}
		if h, m, sec := d.Clock(); h != 0 || m != 0 || sec != 0 || d.Nanosecond() != 0 {
			return "", fmt.Errorf("day: %v is an instant, not a date: use date with the zone", d)
		}
		return d.Format("2 Jan 2006"), nil
	},
	"roleLabel": roleLabel,
	// takeoverDays is how long a takeover shows on the homes.
	"takeoverDays": func() int { return clinic.TakeoverNoticeDays },
	// human turns a status code into words ("revision_requested" → "revision requested").
	"human": func(s string) string { return strings.ReplaceAll(s, "_", " ") },
	// fieldLabel names a field of a schema by its key (the key when unknown).
	"fieldLabel": func(sc exercise.Schema, key string) string {
		if f, ok := sc.Field(key); ok {
			return f.Label
		}
		return key
	},
	// modeLabel names an assignment mode in the words the pages use.
	"modeLabel": func(m string) string {
		return map[string]string{"individual": "one partner", "each": "each partner", "joint": "jointly"}[m]
	},
	"has":  func(a *actor.Actor, role string) bool { return a != nil && a.Has(role) },
	"join": strings.Join,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
}

func roleLabel(r string) string {
	switch r {
	case actor.RoleAdmin:
		return "Clinic admin"
	case actor.RoleCounselor:
		return "Counselor"
	case actor.RoleClient:
		return "Client"
	}
	return r
}

// loadViews parses every page with the layout and partials, at start-up:
// a broken template stops the server from starting. The templates are
// embedded, so they are parsed once per process and the parsed set is
// shared (executing a template is safe from many goroutines, and nothing
// changes it after parsing): a test binary starts a server per test, and
// parsing every page cost each of them ~0.1 s of CPU (several under -race).
var loadViews = sync.OnceValues(parseViews)

func parseViews() (*views, error) {
	names, err := fs.Glob(templates.FS, "pages/*.html")
	if err != nil {
		return nil, err
	}
	v := &views{pages: map[string]*template.Template{}}
	for _, n := range names {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templates.FS, "layout.html", "partials*.html", n)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		if err := checkTimeCalls(t); err != nil {
			return nil, fmt.Errorf("template %s: %w", n, err)
		}
		v.pages[strings.TrimSuffix(path.Base(n), ".html")] = t
	}
	if v.pages["error"] == nil {
		return nil, fmt.Errorf("template pages/error.html is missing")
	}
	return v, nil
}

// render executes a page into a buffer first, so a template error gives a
// 500 page, never half a page.
func (s *Server) render(c echo.Context, status int, name string, p page) error {
	t := s.views.pages[name]
	if t == nil {
		return fmt.Errorf("no template %q", name)
	}
	if _, ok := p.Data.(map[string]any); ok {
		return fmt.Errorf("page %q: Data is a map: give the page a typed view model", name)
	}
	s.fillPage(c, &p)
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		s.Log.Error("template", "page", name, "err", err)
		if name == "error" {
			return c.String(http.StatusInternalServerError, statusText[500])
		}
		return s.render(c, http.StatusInternalServerError, "error", page{Title: "Error",
			Data: errorView{Status: 500, Message: statusText[500]}})
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// fillPage adds what the layout needs: who is signed in, the CSRF token,
// the flash message and the navigation.
func (s *Server) fillPage(c echo.Context, p *page) {
	ctx := c.Request().Context()
	p.Path = c.Request().URL.Path
	if a, ok := actorOf(c); ok {
		p.Actor = &a
		if cl, ok := c.Get(ctxClinics).([]account.Membership); ok {
			p.Clinics = cl
		}
		p.Nav = navFor(a, p.Path)
		s.navCounts(c, a, p.Nav)
	}
	if s.sessionActive(c) {
		p.CSRF = s.csrfToken(c)
		if p.Flash == "" {
			p.Flash = s.sessions.PopString(ctx, "flash")
		}
	}
	if p.Form == nil {
		p.Form = map[string]string{}
	}
	if p.Loc == nil {
		p.Loc = time.UTC
		if p.Actor != nil {
			p.Loc = p.Actor.Loc()
		}
	}
	p.Zone = tz.Name(p.Loc)
}

// navFor builds the navigation for the actor's roles in the current clinic.
func navFor(a actor.Actor, current string) []navItem {
	var items []navItem
	add := func(label, href string) {
		active := current == href || (href != "/" && strings.HasPrefix(current, href+"/"))
		items = append(items, navItem{Label: label, Href: href, Active: active})
	}
	if a.ClinicID == 0 {
		return nil
	}
	add("Home", "/")
	add("What's new", "/notifications")
	for _, item := range extraNav {
		if a.Has(item.role) {
			add(item.label, item.href)
		}
	}
	return items
}

// extraNav lists the sections each role reaches from the navigation bar.
// Areas append to it as they are built.
var extraNav []struct{ role, label, href string }

// flash stores a one-time message shown on the next page.
func (s *Server) flash(c echo.Context, msg string) {
	s.sessions.Put(c.Request().Context(), "flash", msg)
}

// navCounts puts the in-app counts on the navigation, in one query: unread
// notifications (What's new), new submissions for a counselor (Review),
// new feedback for a client (Home).
func (s *Server) navCounts(c echo.Context, a actor.Actor, nav []navItem) {
	if s.Assignments == nil || a.ClinicID == 0 {
		return
	}
	counts, err := s.Assignments.CountsFor(c.Request().Context(), a)
	if err != nil {
		s.Log.Warn("nav counts", "err", err)
		return
	}
	for i := range nav {
		switch {
		case nav[i].Href == "/notifications":
			nav[i].Count, nav[i].CountLabel = counts.Unread, "unread"
		case nav[i].Href == "/review":
			nav[i].Count, nav[i].CountLabel = counts.AwaitingReview, "waiting for review"
		case nav[i].Href == "/" && a.Has(actor.RoleClient):
			nav[i].Count, nav[i].CountLabel = counts.NewFeedback, "with new feedback"
		}
	}
}
