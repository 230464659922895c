// Package appointment is a couple's sessions with their counselor: when
// they meet (in the clinic's time zone, repeated weekly or every two weeks
// as one row per occurrence), the work due before the next one, the
// counselor's private note for each, and the counselor's calendar feed.
//
// The name is the domain's "appointment" because Mend already calls the
// browser's sign-in state a session (the sessions table belongs to it).
//
// Who sees what: the couple's counselor sees everything of their sessions;
// a clinic admin sees dates, lengths and statuses (never notes); a partner
// sees their own couple's session times. Anything else is "not found".
package appointment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/notify"
)

// Statuses and repetitions.
const (
	Scheduled = "scheduled"
	Cancelled = "cancelled"

	Weekly   = "week"
	TwoWeeks = "2weeks"
)

// Limits.
const (
	DefaultMinutes = 50
	MinMinutes     = 10
	MaxMinutes     = 480
	MaxPlace       = 200
	MaxNote        = 40000
	// MaxRepeatDays bounds a repetition: at most a year of sessions.
	MaxRepeatDays = 366
)

// Service holds the rules of sessions.
type Service struct {
	db     *sqlx.DB
	audit  *audit.Logger
	notify *notify.Service
	hasher auth.Hasher
	now    func() time.Time
}

// NewService returns the sessions service. Partners are told of moved and
// cancelled sessions through n (nil: nobody is told); h keys the stored
// hashes of calendar-feed secrets.
func NewService(d *sqlx.DB, a *audit.Logger, n *notify.Service, h auth.Hasher) *Service {
	return &Service{db: d, audit: a, notify: n, hasher: h, now: time.Now}
}

// Appointment is one session of a couple, as stored.
type Appointment struct {
	ID           int64         `db:"id"`
	ClinicID     int64         `db:"clinic_id"`
	CoupleID     int64         `db:"couple_id"`
	CoupleLabel  string        `db:"couple_label"`
	CoupleStatus string        `db:"couple_status"`
	CounselorID  int64         `db:"counselor_id"` // the couple's counselor now
	SeriesID     sql.NullInt64 `db:"series_id"`
	StartsAt     time.Time     `db:"starts_at"`
	Minutes      int           `db:"minutes"`
	Place        string        `db:"place"`
	Status       string        `db:"status"`
	Sequence     int           `db:"sequence"`
	CreatedAt    time.Time     `db:"created_at"`
	UpdatedAt    time.Time     `db:"updated_at"`
}

// EndsAt is when the session ends.
func (ap Appointment) EndsAt() time.Time {
	return ap.StartsAt.Add(time.Duration(ap.Minutes) * time.Minute)
}

// appointmentCols are the columns every read names (never a star: a
// column a later release adds must not break this one).
const appointmentCols = `ap.id, ap.clinic_id, ap.couple_id, c.label AS couple_label, c.status AS couple_status,
	c.counselor_id, ap.series_id, ap.starts_at, ap.minutes, ap.place, ap.status, ap.sequence, ap.created_at, ap.updated_at`

const appointmentFrom = ` FROM appointments ap JOIN couples c ON c.id = ap.couple_id AND c.clinic_id = ap.clinic_id`

// View is a session as one caller may see it: the couple's counselor
// everything, an admin dates and statuses, a partner the times.
type View struct {
	ID          int64     `json:"id"`
	CoupleID    int64     `json:"couple_id"`
	CoupleLabel string    `json:"couple_label,omitempty"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Minutes     int       `json:"minutes"`
	Status      string    `json:"status"`
	Past        bool      `json:"past"`
	// Place is the counselor's place or format note ("note" in the API).
	Place    *string `json:"note,omitempty"`
	SeriesID *int64  `json:"series_id,omitempty"`
	PrepURL  string  `json:"prep_url,omitempty"`
	// Counselor: the caller is the couple's counselor (pages offer changes).
	Counselor bool `json:"-"`
}

// relation is the caller's relation to a couple. Roles add up: an admin
// who also counsels the couple is its counselor.
type relation struct {
	CoupleID    int64  `db:"id"`
	Label       string `db:"label"`
	Status      string `db:"status"`
	CounselorID int64  `db:"counselor_id"`
	IsPartner   bool   `db:"is_partner"`
	Counselor   bool   `db:"-"`
	Admin       bool   `db:"-"`
	Partner     bool   `db:"-"`
}

var errNotFound = apperr.New(apperr.NotFound, "We could not find that session.")

// coupleRelation loads the caller's relation to a couple of their clinic;
// none is "not found", never "forbidden".
func coupleRelation(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, coupleID int64) (relation, error) {
	var rel relation
	err := sqlx.GetContext(ctx, q, &rel, `SELECT c.id, c.label, c.status, c.counselor_id,
			EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = c.id AND p.user_id = $3) AS is_partner
		FROM couples c WHERE c.id = $1 AND c.clinic_id = $2`, coupleID, a.ClinicID, a.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return rel, apperr.New(apperr.NotFound, "We could not find that couple.")
	}
	if err != nil {
		return rel, err
	}
	rel.fill(a)
	if !rel.Counselor && !rel.Admin && !rel.Partner {
		return rel, apperr.New(apperr.NotFound, "We could not find that couple.")
	}
	return rel, nil
}

func (rel *relation) fill(a actor.Actor) {
	rel.Counselor = a.Has(actor.RoleCounselor) && rel.CounselorID == a.UserID
	rel.Admin = a.Has(actor.RoleAdmin)
	rel.Partner = a.Has(actor.RoleClient) && rel.IsPartner
}

// counselorOnly refuses whoever is not the couple's counselor: staff and
// partners who may know the couple get 403, anyone else 404.
func (rel relation) counselorOnly(what string) error {
	if rel.Counselor {
		return nil
	}
	if rel.Admin || rel.Partner {
		return apperr.New(apperr.Forbidden, "Only the couple's counselor can %s.", what)
	}
	return errNotFound
}

// view shapes a session for the caller.
func (s *Service) view(rel relation, ap Appointment, loc *time.Location) View {
	v := View{ID: ap.ID, CoupleID: ap.CoupleID, StartsAt: ap.StartsAt.In(loc), EndsAt: ap.EndsAt().In(loc), Minutes: ap.Minutes,
		Status: ap.Status, Past: !ap.StartsAt.After(s.now())}
	if rel.Counselor || rel.Admin {
		v.CoupleLabel = ap.CoupleLabel
	}
	if rel.Counselor {
		place := ap.Place
		v.Place, v.Counselor = &place, true
		if ap.SeriesID.Valid {
			id := ap.SeriesID.Int64
			v.SeriesID = &id
		}
		v.PrepURL = fmt.Sprintf("/sessions/%d/prep", ap.ID)
	}
	return v
}

// get loads one session of the caller's clinic with the caller's relation
// to its couple.
func (s *Service) get(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, id int64, lock bool) (Appointment, relation, error) {
	var ap Appointment
	query := `SELECT ` + appointmentCols + appointmentFrom + ` WHERE ap.id = $1 AND ap.clinic_id = $2`
	if lock {
		query += ` FOR UPDATE OF ap`
	}
	err := sqlx.GetContext(ctx, q, &ap, query, id, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return ap, relation{}, errNotFound
	}
	if err != nil {
		return ap, relation{}, err
	}
	rel, err := coupleRelation(ctx, q, a, ap.CoupleID)
	if err != nil {
		return ap, rel, errNotFound
	}
	return ap, rel, nil
}

// Get returns one session as the caller may see it.
func (s *Service) Get(ctx context.Context, a actor.Actor, id int64) (View, error) {
	ap, rel, err := s.get(ctx, s.db, a, id, false)
	if err != nil {
		return View{}, err
	}
	return s.view(rel, ap, a.ClinicLoc()), nil
}

// ForCouple lists a couple's sessions, past and to come, in time order.
func (s *Service) ForCouple(ctx context.Context, a actor.Actor, coupleID int64) ([]View, error) {
	rel, err := coupleRelation(ctx, s.db, a, coupleID)
	if err != nil {
		return nil, err
	}
	var aps []Appointment
	if err := s.db.SelectContext(ctx, &aps, `SELECT `+appointmentCols+appointmentFrom+`
		WHERE ap.couple_id = $1 AND ap.clinic_id = $2 ORDER BY ap.starts_at, ap.id LIMIT 2000`, coupleID, a.ClinicID); err != nil {
		return nil, err
	}
	out := make([]View, 0, len(aps))
	for _, ap := range aps {
		out = append(out, s.view(rel, ap, a.ClinicLoc()))
	}
	return out, nil
}

// MaxListDays bounds a listing's time range.
const MaxListDays = 400

// List returns the caller's sessions starting in [from, to): a counselor's
// own couples', a partner's own couple's, and for an admin the clinic's
// (dates and statuses).
func (s *Service) List(ctx context.Context, a actor.Actor, from, to time.Time) ([]View, error) {
	if !to.After(from) {
		return nil, apperr.Fields("The end of the range is not after its start.", map[string]string{"to": "Give an end after the start."})
	}
	if to.Sub(from) > MaxListDays*24*time.Hour {
		return nil, apperr.Fields("The range is too long.", map[string]string{"to": fmt.Sprintf("Ask for at most %d days at a time.", MaxListDays)})
	}
	var rows []struct {
		Appointment
		IsPartner bool `db:"is_partner"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+appointmentCols+`,
			EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = c.id AND p.user_id = $2) AS is_partner`+appointmentFrom+`
		WHERE ap.clinic_id = $1 AND ap.starts_at >= $3 AND ap.starts_at < $4
		  AND ($5 OR ($6 AND c.counselor_id = $2)
		       OR ($7 AND EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = c.id AND p.user_id = $2)))
		ORDER BY ap.starts_at, ap.id LIMIT 2000`,
		a.ClinicID, a.UserID, from, to, a.Has(actor.RoleAdmin), a.Has(actor.RoleCounselor), a.Has(actor.RoleClient))
	if err != nil {
		return nil, err
	}
	out := make([]View, 0, len(rows))
	for _, r := range rows {
		rel := relation{CoupleID: r.CoupleID, CounselorID: r.CounselorID, IsPartner: r.IsPartner}
		rel.fill(a)
		out = append(out, s.view(rel, r.Appointment, a.ClinicLoc()))
	}
	return out, nil
}

// Next returns the couple's next scheduled session (nil when none), as the
// caller may see it. A closed couple has none.
func (s *Service) Next(ctx context.Context, a actor.Actor, coupleID int64) (*View, error) {
	rel, err := coupleRelation(ctx, s.db, a, coupleID)
	if err != nil {
		return nil, err
	}
	ap, ok, err := nextAfter(ctx, s.db, a.ClinicID, coupleID, s.now(), 0)
	if err != nil || !ok {
		return nil, err
	}
	v := s.view(rel, ap, a.ClinicLoc())
	return &v, nil
}

// nextAfter is the couple's first scheduled session starting after t,
// other than the session skip.
func nextAfter(ctx context.Context, q sqlx.QueryerContext, clinicID, coupleID int64, t time.Time, skip int64) (Appointment, bool, error) {
	var ap Appointment
	err := sqlx.GetContext(ctx, q, &ap, `SELECT `+appointmentCols+appointmentFrom+`
		WHERE ap.couple_id = $1 AND ap.clinic_id = $2 AND ap.status = 'scheduled' AND ap.starts_at > $3 AND ap.id <> $4
		  AND c.status <> 'closed'
		ORDER BY ap.starts_at, ap.id LIMIT 1`, coupleID, clinicID, t, skip)
	if errors.Is(err, sql.ErrNoRows) {
		return ap, false, nil
	}
	return ap, err == nil, err
}

// previousBefore is the couple's last session held (scheduled, not
// cancelled) starting before t.
func previousBefore(ctx context.Context, q sqlx.QueryerContext, clinicID, coupleID int64, t time.Time) (Appointment, bool, error) {
	var ap Appointment
	err := sqlx.GetContext(ctx, q, &ap, `SELECT `+appointmentCols+appointmentFrom+`
		WHERE ap.couple_id = $1 AND ap.clinic_id = $2 AND ap.status = 'scheduled' AND ap.starts_at < $3
		ORDER BY ap.starts_at DESC, ap.id DESC LIMIT 1`, coupleID, clinicID, t)
	if errors.Is(err, sql.ErrNoRows) {
		return ap, false, nil
	}
	return ap, err == nil, err
}

// NextForAssigning is the couple's next session for the counselor who
// assigns work due before it: its id and start (ok false when none).
func (s *Service) NextForAssigning(ctx context.Context, a actor.Actor, coupleID int64) (int64, time.Time, bool, error) {
	rel, err := coupleRelation(ctx, s.db, a, coupleID)
	if err != nil {
		return 0, time.Time{}, false, err
	}
	if err := rel.counselorOnly("assign exercises"); err != nil {
		return 0, time.Time{}, false, err
	}
	ap, ok, err := nextAfter(ctx, s.db, a.ClinicID, coupleID, s.now(), 0)
	return ap.ID, ap.StartsAt, ok, err
}

// cleanText trims free text and checks it: valid UTF-8, no NUL, at most max
// characters. The message is empty when the text is fine.
func cleanText(v string, max int) (string, string) {
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r", ""))
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return v, "The text contains characters that are not allowed."
	case utf8.RuneCountInString(v) > max:
		return v, fmt.Sprintf("Use at most %d characters.", max)
	}
	return v, ""
}
