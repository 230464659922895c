package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
)

// homePanel fills one role's part of the home page.
type homePanel struct {
	role, key string
	load      func(s *Server, c echo.Context) (any, error)
}

// homePanels are the home page's parts, one or more per role.
var homePanels = []homePanel{
	{actor.RoleAdmin, "admin", func(s *Server, c echo.Context) (any, error) {
		ctx, a := c.Request().Context(), mustActor(c)
		totals, err := s.Clinic.ClinicTotals(ctx, a)
		if err != nil {
			return nil, err
		}
		// Couples an admin took over: something every admin looks at.
		takeovers, err := s.Clinic.RecentTakeovers(ctx, a)
		return map[string]any{"Totals": totals, "Takeovers": takeovers}, err
	}},
	{actor.RoleCounselor, "counselor", func(s *Server, c echo.Context) (any, error) {
		ctx, a := c.Request().Context(), mustActor(c)
		cs, err := s.Clinic.MyCaseload(ctx, a)
		if err != nil {
			return nil, err
		}
		counts, err := s.Assignments.CountsFor(ctx, a)
		if err != nil {
			return nil, err
		}
		// Couples an admin took from this counselor: they are told here.
		taken, err := s.Clinic.TakenFrom(ctx, a)
		return map[string]any{"Couples": cs, "Counts": counts, "TakenFrom": taken}, err
	}},
	{actor.RoleClient, "client", func(s *Server, c echo.Context) (any, error) {
		ctx, a := c.Request().Context(), mustActor(c)
		cc, err := s.Clinic.MyCouple(ctx, a)
		if err != nil {
			return nil, err
		}
		home, err := s.Assignments.Home(ctx, a)
		return map[string]any{"Couple": cc, "Work": home, "Now": time.Now()}, err
	}},
}

// home is each role's start page in the current clinic. A person with two
// roles in one clinic (an admin who also counsels) sees both panels.
func (s *Server) home(c echo.Context) error {
	a := mustActor(c)
	if a.ClinicID == 0 {
		if cl, _ := c.Get(ctxClinics).([]account.Membership); len(cl) > 0 {
			return c.Redirect(http.StatusSeeOther, "/clinics")
		}
		return s.render(c, http.StatusOK, "home", page{Title: "Welcome"})
	}
	data := map[string]any{}
	for _, p := range homePanels {
		if a.Has(p.role) {
			v, err := p.load(s, c)
			if err != nil {
				return err
			}
			data[p.key] = v
		}
	}
	return s.render(c, http.StatusOK, "home", page{Title: "Home", Data: data})
}
