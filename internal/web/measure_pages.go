package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/measure"
)

func init() {
	extraNav = append(extraNav, struct{ role, label, href string }{actor.RoleClient, "My progress", "/progress"})
	// day of a chart's point or table row (a local date string).
	funcs["measureDay"] = func(on string) string {
		d, err := time.Parse(time.DateOnly, on)
		if err != nil {
			return on
		}
		return d.Format("2 Jan 2006")
	}
	funcs["cutoffText"] = fmtCut
}

// measurePageRoutes are the pages of the outcome measures: the chart image,
// the counselor's sharing switch and a partner's own progress page. The
// couple page and the caseload show them too (coupleData, caseloadPage).
func (s *Server) measurePageRoutes() []route {
	return []route{
		{"GET", "/couples/:id/measures/:measure/chart.svg", "measure:read", s.measureChart},
		{"POST", "/couples/:id/measures/sharing", "measure:share", s.measureSharing},
		{"GET", "/progress", "measure:read", s.progressPage},
	}
}

// measureAPIRoutes are the measures under /api/v1.
func (s *Server) measureAPIRoutes() []route {
	return []route{
		{"GET", "/measures", "template:read", s.apiMeasures},
		{"GET", "/couples/:id/measures", "measure:read", s.apiCoupleMeasures},
		{"PUT", "/couples/:id/measures/sharing", "measure:share", s.apiMeasureSharing},
	}
}

// measureChart is the SVG of one measure for one couple, with the lines
// the caller may read (an admin reads none: 404).
func (s *Server) measureChart(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.Measures.ForCouple(c.Request().Context(), mustActor(c), id, c.Param("measure"))
	if err != nil {
		return err
	}
	if v.CountsOnly {
		return apperr.New(apperr.NotFound, "We could not find that page.")
	}
	in, _ := measure.Get(c.Param("measure"))
	chart := measure.Chart{Instrument: in}
	if len(v.Charts) > 0 {
		chart = v.Charts[0]
	}
	c.Response().Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.String(http.StatusOK, measureSVG(chart, mustActor(c).ClinicLoc()))
}

// measureSharing turns the couple's shared progress chart on or off.
func (s *Server) measureSharing(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	shared := c.FormValue("shared") == "on"
	if err := s.Measures.SetSharing(c.Request().Context(), mustActor(c), id, shared); err != nil {
		return s.formError(c, err, "admin_couple", page{Title: "Couple"}, func() (any, error) { return s.coupleData(c, id) })
	}
	if shared {
		s.flash(c, "The couple now sees their shared progress chart: both partners' scores on the couple measures (never their answers, never the PHQ-9 or GAD-7).")
	} else {
		s.flash(c, "The shared progress chart is off: each partner sees their own scores only.")
	}
	return c.Redirect(http.StatusSeeOther, "/couples/"+strconv.FormatInt(id, 10)+"#measures")
}

// progressPage is a partner's own scores (and, while the counselor shares
// it, the couple's chart of the couple measures).
func (s *Server) progressPage(c echo.Context) error {
	a := mustActor(c)
	cid, err := s.Measures.PartnerCouple(c.Request().Context(), a)
	if err != nil {
		return err
	}
	if cid == 0 {
		return apperr.New(apperr.NotFound, "We could not find that page.")
	}
	v, err := s.Measures.ForCouple(c.Request().Context(), a, cid, "")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "progress", page{Title: "My progress", Data: progressView{Measures: v}})
}

// progressView is a partner's progress page: their own scores and the
// charts their counselor shared.
type progressView struct{ Measures measure.View }

// ---- API ----

type apiInstrument struct {
	measure.Instrument
	Measure        string         `json:"measure"`
	TemplateID     int64          `json:"template_id"`
	Version        int            `json:"version"`
	ReliableChange map[string]any `json:"reliable_change"`
}

func (s *Server) apiMeasures(c echo.Context) error {
	cat, err := s.Measures.Catalog(c.Request().Context())
	if err != nil {
		return err
	}
	items := []apiInstrument{}
	for _, e := range cat {
		rc := map[string]any{"points": nil, "verified": e.ReliableChange.Verified, "source": e.ReliableChange.Source, "note": e.ReliableChange.Note}
		if e.ReliableChange.Points > 0 {
			rc["points"] = e.ReliableChange.Points
		}
		items = append(items, apiInstrument{Instrument: e.Instrument, Measure: e.Code, TemplateID: e.TemplateID, Version: e.Version, ReliableChange: rc})
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

type apiMeasureSeries struct {
	PartnerID int64           `json:"partner_id"`
	Name      string          `json:"name"`
	Points    []measure.Point `json:"points,omitempty"`
	Completed int             `json:"completed"`
}

type apiMeasureChart struct {
	Measure        string             `json:"measure"`
	Title          string             `json:"title"`
	Kind           string             `json:"kind"`
	Min            int                `json:"min"`
	Max            int                `json:"max"`
	HigherIsBetter bool               `json:"higher_is_better"`
	Cutoff         float64            `json:"cutoff"`
	CutoffDistress string             `json:"cutoff_distress"`
	Series         []apiMeasureSeries `json:"series"`
	Gaps           []measure.Gap      `json:"gaps,omitempty"`
}

func (s *Server) apiCoupleMeasures(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.Measures.ForCouple(c.Request().Context(), mustActor(c), id, c.QueryParam("measure"))
	if err != nil {
		return err
	}
	items := []apiMeasureChart{}
	for _, ch := range v.Charts {
		in := ch.Instrument
		out := apiMeasureChart{Measure: in.Code, Title: in.Title, Kind: in.Kind, Min: in.Min, Max: in.Max, HigherIsBetter: in.HigherIsBetter,
			Cutoff: in.Cutoff.Value, CutoffDistress: in.Cutoff.Distress, Series: []apiMeasureSeries{}, Gaps: ch.Gaps}
		for _, sr := range ch.Series {
			out.Series = append(out.Series, apiMeasureSeries{PartnerID: sr.PartnerID, Name: sr.Name, Points: sr.Points, Completed: sr.Completed})
		}
		items = append(items, out)
	}
	body := map[string]any{"items": items}
	if !v.CountsOnly {
		body["shared"] = v.Shared
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) apiMeasureSharing(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Shared *bool `json:"shared"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if in.Shared == nil {
		return apperr.Fields("Say whether the couple sees their shared chart.", map[string]string{"shared": "Give true or false."})
	}
	if err := s.Measures.SetSharing(c.Request().Context(), mustActor(c), id, *in.Shared); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"shared": *in.Shared})
}
