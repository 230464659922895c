package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/clinic"
)

// homeView is the home page's model: one part per panel the viewer's
// roles show (nil when the panel is not shown).
type homeView struct {
	Admin          *adminHome
	Counselor      *counselorHome
	Client         *clientHome
	Sessions       *appointment.Agenda // a counselor's day and week
	ClientSessions *clientSessionsHome // a partner's next session
}

type adminHome struct {
	Totals    clinic.Totals
	Takeovers []clinic.Takeover // couples an admin took over lately
}

type counselorHome struct {
	Couples   []clinic.CoupleSummary
	Counts    assignment.Counts
	TakenFrom []clinic.Takeover // couples an admin took from this counselor
}

type clientHome struct {
	Couple clinic.ClientCouple
	Work   assignment.ClientHome
	Now    time.Time
}

type clientSessionsHome struct{ Next *appointment.View }

// homePanel fills one role's part of the home page.
type homePanel struct {
	role string
	load func(s *Server, c echo.Context, v *homeView) error
}

// homePanels are the home page's parts, one or more per role.
var homePanels = []homePanel{
	{actor.RoleAdmin, func(s *Server, c echo.Context, v *homeView) error {
		ctx, a := c.Request().Context(), mustActor(c)
		totals, err := s.Clinic.ClinicTotals(ctx, a)
		if err != nil {
			return err
		}
		// Couples an admin took over: something every admin looks at.
		takeovers, err := s.Clinic.RecentTakeovers(ctx, a)
		v.Admin = &adminHome{Totals: totals, Takeovers: takeovers}
		return err
	}},
	{actor.RoleCounselor, func(s *Server, c echo.Context, v *homeView) error {
		ctx, a := c.Request().Context(), mustActor(c)
		cs, err := s.Clinic.MyCaseload(ctx, a)
		if err != nil {
			return err
		}
		counts, err := s.Assignments.CountsFor(ctx, a)
		if err != nil {
			return err
		}
		// Couples an admin took from this counselor: they are told here.
		taken, err := s.Clinic.TakenFrom(ctx, a)
		v.Counselor = &counselorHome{Couples: cs, Counts: counts, TakenFrom: taken}
		return err
	}},
	{actor.RoleClient, func(s *Server, c echo.Context, v *homeView) error {
		ctx, a := c.Request().Context(), mustActor(c)
		cc, err := s.Clinic.MyCouple(ctx, a)
		if err != nil {
			return err
		}
		home, err := s.Assignments.Home(ctx, a)
		v.Client = &clientHome{Couple: cc, Work: home, Now: time.Now()}
		return err
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
	var v homeView
	for _, p := range homePanels {
		if a.Has(p.role) {
			if err := p.load(s, c, &v); err != nil {
				return err
			}
		}
	}
	return s.render(c, http.StatusOK, "home", page{Title: "Home", Data: v})
}
