package measure

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
)

// Service reads scores by the privacy rule (viewer.reads) and keeps the
// couple's sharing choice.
type Service struct {
	db    *sqlx.DB
	audit *audit.Logger
}

// NewService returns the measures service.
func NewService(d *sqlx.DB, a *audit.Logger) *Service { return &Service{db: d, audit: a} }

var errNotFound = apperr.New(apperr.NotFound, "We could not find that page.")

// viewer is the caller's relation to one couple, as assignment.coupleAccess
// reads it: its counselor, a clinic admin, one of its partners, or nobody.
type viewer struct {
	CoupleID    int64  `db:"id"`
	Label       string `db:"label"`
	Status      string `db:"status"`
	CounselorID int64  `db:"counselor_id"`
	Shared      bool   `db:"shared"`
	counselor   bool
	admin       bool
	partnerID   int64
	partners    []partner
}

type partner struct {
	ID     int64         `db:"id"`
	Slot   string        `db:"slot"`
	Name   string        `db:"name"`
	UserID sql.NullInt64 `db:"user_id"`
}

func (s *Service) viewerOf(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, coupleID int64) (viewer, error) {
	var v viewer
	err := sqlx.GetContext(ctx, q, &v, `SELECT c.id, c.label, c.status, c.counselor_id, coalesce(ms.shared, false) AS shared
		FROM couples c LEFT JOIN measure_sharing ms ON ms.couple_id = c.id WHERE c.id = $1 AND c.clinic_id = $2`, coupleID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return v, errNotFound
	}
	if err != nil {
		return v, err
	}
	if err := sqlx.SelectContext(ctx, q, &v.partners, `SELECT id, slot, name, user_id FROM partners WHERE couple_id = $1 ORDER BY slot`, coupleID); err != nil {
		return v, err
	}
	for _, p := range v.partners {
		if a.Has(actor.RoleClient) && p.UserID.Valid && p.UserID.Int64 == a.UserID {
			v.partnerID = p.ID
		}
	}
	v.counselor = a.Has(actor.RoleCounselor) && v.CounselorID == a.UserID
	v.admin = a.Has(actor.RoleAdmin)
	if !v.counselor && !v.admin && v.partnerID == 0 {
		return v, errNotFound
	}
	return v, nil
}

// reads is the one rule for who reads a score, the rule of
// assignment.partnerReads for a measure's answers: a partner reads their
// own; the other partner's only for a couple measure (CSI) and only while
// the counselor shares the couple's progress chart (never an individual
// measure such as the PHQ-9, never the answers); the counselor reads every
// score; an admin none (counts only). The partner rule comes first: a
// person who is also staff of the clinic gets no more through the staff role.
func (v viewer) reads(in Instrument, partnerID int64) bool {
	if v.partnerID != 0 {
		return partnerID == v.partnerID || in.Couple() && v.Shared
	}
	return v.counselor
}

// scoresAny tells whether the caller reads any score of the couple.
func (v viewer) scoresAny() bool { return v.partnerID != 0 || v.counselor }

func (v viewer) name(id int64) (string, string) {
	for _, p := range v.partners {
		if p.ID == id {
			return p.Name, p.Slot
		}
	}
	return "", ""
}

// Point is one score on a chart: the latest submission of one response.
type Point struct {
	On       string `json:"on"` // the clinic's local day it was submitted
	Score    int    `json:"score"`
	Band     string `json:"band"`
	Distress bool   `json:"distress"`

	ResponseID  int64     `json:"-"`
	SubmittedAt time.Time `json:"-"` // where the chart draws it
	round       string    // assignment and occurrence: the partners' answers to the same request
}

// Series is one partner's line. Points is nil for an admin, who gets
// Completed (how many were submitted) only.
type Series struct {
	PartnerID int64   `json:"partner_id"`
	Name      string  `json:"name"`
	Slot      string  `json:"-"`
	Points    []Point `json:"points,omitempty"`
	Completed int     `json:"completed"`
}

// Latest is the partner's latest score (nil without one).
func (s Series) Latest() *Point {
	if len(s.Points) == 0 {
		return nil
	}
	return &s.Points[len(s.Points)-1]
}

// Gap is how far apart the partners' answers to the same request are.
type Gap struct {
	On    string    `json:"on"`
	A     int       `json:"a"`
	B     int       `json:"b"`
	Gap   int       `json:"gap"`
	At    time.Time `json:"-"` // the later answer's time
	round string
}

// Chart is one measure's scores for the caller.
type Chart struct {
	Instrument Instrument `json:"-"`
	Series     []Series   `json:"series"`
	// Gaps are the rounds both partners answered, where the caller reads both.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Code is the measure's code.
func (c Chart) Code() string { return c.Instrument.Code }

// Both reports whether the chart has both partners' lines.
func (c Chart) Both() bool {
	return len(c.Series) == 2 && len(c.Series[0].Points) > 0 && len(c.Series[1].Points) > 0
}

// Rows lists every score for the data table beside the chart: one row per
// request (an assignment's occurrence) with each partner's answer to it
// (nil where they have none) and the gap between them, in order of time.
func (c Chart) Rows() []Row {
	byRound := map[string]*Row{}
	var order []*Row
	for i, s := range c.Series {
		for j := range s.Points {
			p := &s.Points[j]
			r := byRound[p.round]
			if r == nil {
				r = &Row{On: p.On, Scores: make([]*Point, len(c.Series)), first: p.SubmittedAt}
				byRound[p.round] = r
				order = append(order, r)
			}
			r.Scores[i] = p
			if p.On < r.On {
				r.On = p.On
			}
			if p.SubmittedAt.Before(r.first) {
				r.first = p.SubmittedAt
			}
		}
	}
	for _, g := range c.Gaps {
		if r := byRound[g.round]; r != nil {
			n := g.Gap
			r.Gap = &n
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].first.Before(order[j].first) })
	out := make([]Row, 0, len(order))
	for _, r := range order {
		out = append(out, *r)
	}
	return out
}

// Row is one request's line of the data table: the day of its first answer.
type Row struct {
	On     string
	Scores []*Point
	Gap    *int
	first  time.Time
}

// View is the measures of a couple as one caller may see them.
type View struct {
	CoupleID    int64   `json:"-"`
	CoupleLabel string  `json:"-"`
	Shared      bool    `json:"shared"`
	Charts      []Chart `json:"items"`
	// CanShare: the caller is the counselor, who may change Shared.
	CanShare bool `json:"-"`
	// CountsOnly: an admin, who sees that measures were completed, no scores.
	CountsOnly bool `json:"-"`
	// Alerts are the counselor's latest alerts for the couple.
	Alerts []AlertView `json:"-"`
}

// AlertView is one alert, for the counselor's page.
type AlertView struct {
	Kind    string    `db:"kind"`
	Measure string    `db:"measure"`
	Partner string    `db:"partner"`
	At      time.Time `db:"created_at"`
}

// Text words the alert.
func (a AlertView) Text() string {
	in, _ := Get(a.Measure)
	switch a.Kind {
	case AlertDistress:
		return in.Short + ": " + a.Partner + "'s score crossed the distress cut-off"
	case AlertDrop:
		return in.Short + ": " + a.Partner + "'s score worsened by the reliable-change figure or more"
	}
	return in.Short + ": the partners' scores moved apart"
}

type scoreRow struct {
	ResponseID   int64        `db:"response_id"`
	PartnerID    int64        `db:"partner_id"`
	AssignmentID int64        `db:"assignment_id"`
	OccursOn     sql.NullTime `db:"occurs_on"`
	Measure      string       `db:"measure"`
	Score        int          `db:"score"`
	Band         string       `db:"band"`
	Distress     bool         `db:"distress"`
	ScoredOn     time.Time    `db:"scored_on"`
	SubmittedAt  time.Time    `db:"submitted_at"`
}

// ForCouple returns every measure of the couple the caller may see (code
// "": all; else that one), with an audit event for the scores read: the
// counselor's, a partner's own and, where shared, the other's line of a
// couple measure. An admin gets how many of each were completed.
func (s *Service) ForCouple(ctx context.Context, a actor.Actor, coupleID int64, code string) (View, error) {
	v, err := s.viewerOf(ctx, s.db, a, coupleID)
	if err != nil {
		return View{}, err
	}
	if code != "" {
		if _, ok := Get(code); !ok {
			return View{}, errNotFound
		}
	}
	out := View{CoupleID: coupleID, CoupleLabel: v.Label, Shared: v.Shared, CanShare: v.counselor && v.partnerID == 0, Charts: []Chart{}}
	if !v.scoresAny() {
		out.CountsOnly = true
		return out, s.counts(ctx, v, code, &out)
	}
	var rows []scoreRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT response_id, partner_id, assignment_id, occurs_on, measure, score, band, distress,
			scored_on, submitted_at FROM (
			SELECT DISTINCT ON (response_id) response_id, partner_id, assignment_id, occurs_on, measure, score, band, distress,
				scored_on, submitted_at FROM measure_scores WHERE couple_id = $1 AND clinic_id = $2 AND ($3 = '' OR measure = $3)
			ORDER BY response_id, submission_id DESC) latest
		ORDER BY submitted_at, response_id`, coupleID, a.ClinicID, code); err != nil {
		return View{}, err
	}
	byMeasure := map[string]map[int64]*Series{}
	var read []int64
	for _, r := range rows {
		in, ok := Get(r.Measure)
		if !ok || !v.reads(in, r.PartnerID) {
			continue
		}
		if byMeasure[r.Measure] == nil {
			byMeasure[r.Measure] = map[int64]*Series{}
		}
		line := byMeasure[r.Measure][r.PartnerID]
		if line == nil {
			name, slot := v.name(r.PartnerID)
			line = &Series{PartnerID: r.PartnerID, Name: name, Slot: slot, Points: []Point{}}
			byMeasure[r.Measure][r.PartnerID] = line
		}
		round := strconv.FormatInt(r.AssignmentID, 10) + "/"
		if r.OccursOn.Valid {
			round += r.OccursOn.Time.Format(time.DateOnly)
		}
		line.Points = append(line.Points, Point{On: r.ScoredOn.Format(time.DateOnly), Score: r.Score, Band: r.Band, Distress: r.Distress,
			ResponseID: r.ResponseID, round: round, SubmittedAt: r.SubmittedAt})
		line.Completed++
		read = append(read, r.ResponseID)
	}
	for _, in := range All() {
		lines := byMeasure[in.Code]
		if lines == nil {
			continue
		}
		c := Chart{Instrument: in}
		for _, p := range v.partners { // partner A first, then B
			if l := lines[p.ID]; l != nil {
				c.Series = append(c.Series, *l)
			}
		}
		if in.Couple() {
			c.Gaps = gaps(c.Series) // the gap between partners: a couple measure's
		}
		out.Charts = append(out.Charts, c)
	}
	if v.counselor && v.partnerID == 0 {
		if err := s.db.SelectContext(ctx, &out.Alerts, `SELECT m.kind, m.measure, p.name AS partner, m.created_at FROM measure_alerts m
			JOIN partners p ON p.id = m.partner_id WHERE m.couple_id = $1 AND m.clinic_id = $2 AND ($3 = '' OR m.measure = $3)
			ORDER BY m.created_at DESC, m.id DESC LIMIT 10`, coupleID, a.ClinicID, code); err != nil {
			return View{}, err
		}
	}
	if len(read) == 0 {
		return out, nil
	}
	view := "measures"
	if code != "" {
		view = "measures:" + code
	}
	return out, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "couple", ObjectID: coupleID,
		CoupleID: coupleID, Detail: map[string]any{"responses": read, "view": view}})
}

// counts fills an admin's view: per measure and partner, how many were
// completed (a submitted response), nothing about what they scored.
func (s *Service) counts(ctx context.Context, v viewer, code string, out *View) error {
	var rows []struct {
		Measure   string `db:"measure"`
		PartnerID int64  `db:"partner_id"`
		N         int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT measure, partner_id, count(DISTINCT response_id) AS n FROM measure_scores
		WHERE couple_id = $1 AND ($2 = '' OR measure = $2) GROUP BY measure, partner_id`, v.CoupleID, code); err != nil {
		return err
	}
	for _, in := range All() {
		c := Chart{Instrument: in}
		for _, p := range v.partners {
			for _, r := range rows {
				if r.Measure == in.Code && r.PartnerID == p.ID {
					c.Series = append(c.Series, Series{PartnerID: p.ID, Name: p.Name, Slot: p.Slot, Completed: r.N})
				}
			}
		}
		if len(c.Series) > 0 {
			out.Charts = append(out.Charts, c)
		}
	}
	return nil
}

// gaps pairs the partners' answers to the same request (an assignment's
// occurrence): the gap is shown on the later one's day.
func gaps(series []Series) []Gap {
	if len(series) != 2 {
		return nil
	}
	b := map[string]Point{}
	for _, p := range series[1].Points {
		b[p.round] = p
	}
	var out []Gap
	for _, pa := range series[0].Points {
		pb, ok := b[pa.round]
		if !ok {
			continue
		}
		on, at := pa.On, pa.SubmittedAt
		if pb.SubmittedAt.After(at) {
			on, at = pb.On, pb.SubmittedAt
		}
		out = append(out, Gap{On: on, A: pa.Score, B: pb.Score, Gap: abs(pa.Score - pb.Score), At: at, round: pa.round})
	}
	return out
}

// SetSharing turns the couple's shared progress chart on or off: the
// couple's own counselor only, audited. While it is on, each partner sees
// both partners' scores (never answers) of the couple measures.
func (s *Service) SetSharing(ctx context.Context, a actor.Actor, coupleID int64, shared bool) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		v, err := s.viewerOf(ctx, tx, a, coupleID)
		if err != nil {
			return err
		}
		if !v.counselor || v.partnerID != 0 {
			return apperr.New(apperr.Forbidden, "Only the couple's counselor can share their progress chart.")
		}
		if v.Status == "closed" {
			return apperr.New(apperr.Conflict, "This couple's work is closed and read-only.")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO measure_sharing (couple_id, clinic_id, shared, changed_by) VALUES ($1, $2, $3, $4)
		ON CONFLICT (couple_id) DO UPDATE SET shared = EXCLUDED.shared, changed_by = EXCLUDED.changed_by, changed_at = now()`,
			coupleID, a.ClinicID, shared, a.UserID); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "measure.sharing", ObjectType: "couple", ObjectID: coupleID, CoupleID: coupleID,
			Detail: map[string]any{"shared": shared}})
	})
}

// PartnerCouple is the couple the caller is a partner of in their clinic
// (0: none), the one their home page shows.
func (s *Service) PartnerCouple(ctx context.Context, a actor.Actor) (int64, error) {
	var id int64
	err := s.db.GetContext(ctx, &id, `SELECT p.couple_id FROM partners p JOIN couples c ON c.id = p.couple_id
		WHERE p.user_id = $1 AND p.clinic_id = $2 ORDER BY c.status = 'closed', p.id DESC LIMIT 1`, a.UserID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) || !a.Has(actor.RoleClient) {
		return 0, nil
	}
	return id, err
}

// CaseloadLine is one partner's latest CSI-4 on the counselor's caseload.
type CaseloadLine struct {
	Name     string
	Score    int
	Distress bool
	// Change since the partner's previous CSI-4 (nil: the first); positive
	// is better.
	Change *int
}

// Amount is the size of the change (0 for the first).
func (l CaseloadLine) Amount() int {
	if l.Change == nil {
		return 0
	}
	return abs(*l.Change)
}

// Direction words the change: "up", "down", "same" or "" (the first).
func (l CaseloadLine) Direction() string {
	switch {
	case l.Change == nil:
		return ""
	case *l.Change > 0:
		return "up"
	case *l.Change < 0:
		return "down"
	}
	return "same"
}

// CaseloadCSI4 is the caseload's at-a-glance column: for each couple of the
// counselor, each partner's latest CSI-4 and its direction since the one
// before, partner A first. The scores are clinical content: one audit event
// lists the responses read.
func (s *Service) CaseloadCSI4(ctx context.Context, a actor.Actor) (map[int64][]CaseloadLine, error) {
	out := map[int64][]CaseloadLine{}
	if !a.Has(actor.RoleCounselor) {
		return out, nil
	}
	var rows []struct {
		ResponseID int64  `db:"response_id"`
		CoupleID   int64  `db:"couple_id"`
		PartnerID  int64  `db:"partner_id"`
		Name       string `db:"name"`
		Score      int    `db:"score"`
		Distress   bool   `db:"distress"`
		Rank       int    `db:"rn"`
	}
	if err := s.db.SelectContext(ctx, &rows, `WITH latest AS (
			SELECT DISTINCT ON (ms.response_id) ms.response_id, ms.couple_id, ms.partner_id, ms.score, ms.distress, ms.submitted_at
			FROM measure_scores ms JOIN couples c ON c.id = ms.couple_id
			WHERE ms.clinic_id = $1 AND c.clinic_id = $1 AND c.counselor_id = $2 AND ms.measure = 'csi-4'
			ORDER BY ms.response_id, ms.submission_id DESC),
		ranked AS (SELECT response_id, couple_id, partner_id, score, distress,
			row_number() OVER (PARTITION BY partner_id ORDER BY submitted_at DESC, response_id DESC) AS rn FROM latest)
		SELECT r.response_id, r.couple_id, r.partner_id, p.name, r.score, r.distress, r.rn
		FROM ranked r JOIN partners p ON p.id = r.partner_id WHERE r.rn <= 2 ORDER BY r.couple_id, p.slot, r.rn`,
		a.ClinicID, a.UserID); err != nil {
		return nil, err
	}
	var read, couples []int64
	for i := 0; i < len(rows); i++ {
		r := rows[i]
		read = append(read, r.ResponseID)
		if r.Rank != 1 {
			continue
		}
		l := CaseloadLine{Name: r.Name, Score: r.Score, Distress: r.Distress}
		if i+1 < len(rows) && rows[i+1].PartnerID == r.PartnerID && rows[i+1].Rank == 2 {
			d := r.Score - rows[i+1].Score
			l.Change = &d
		}
		if out[r.CoupleID] == nil {
			couples = append(couples, r.CoupleID)
		}
		out[r.CoupleID] = append(out[r.CoupleID], l)
	}
	if len(read) == 0 {
		return out, nil
	}
	return out, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "caseload", ObjectID: a.UserID,
		Detail: map[string]any{"responses": read, "couples": couples, "view": "caseload:csi-4"}})
}

// CatalogEntry is a built-in measure with the library template that
// assigns it.
type CatalogEntry struct {
	Instrument
	TemplateID int64
	Version    int
}

// Catalog lists the built-in measures with their templates (after
// library.SyncBuiltins has stored them).
func (s *Service) Catalog(ctx context.Context) ([]CatalogEntry, error) {
	var rows []struct {
		ID      int64  `db:"id"`
		Version int    `db:"current_version"`
		Measure string `db:"measure"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, current_version, measure FROM exercise_templates
		WHERE visibility = 'builtin' AND measure IS NOT NULL`); err != nil {
		return nil, err
	}
	ids := map[string][2]int64{}
	for _, r := range rows {
		ids[r.Measure] = [2]int64{r.ID, int64(r.Version)}
	}
	var out []CatalogEntry
	for _, in := range All() {
		out = append(out, CatalogEntry{Instrument: in, TemplateID: ids[in.Code][0], Version: int(ids[in.Code][1])})
	}
	return out, nil
}
