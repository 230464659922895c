package appointment

import (
	"context"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/tz"
)

// Agenda is a counselor's sessions of today and of the six days after it
// (local days of the clinic), scheduled or cancelled.
type Agenda struct {
	Today []View `json:"today"`
	Week  []View `json:"week"`
}

// AgendaFor returns the counselor's own sessions for today and the week.
func (s *Service) AgendaFor(ctx context.Context, a actor.Actor) (Agenda, error) {
	loc := a.ClinicLoc()
	today := tz.Today(s.now(), loc)
	from, tomorrow, end := tz.Start(today, loc), tz.Start(tz.AddDays(today, 1), loc), tz.Start(tz.AddDays(today, 7), loc)
	var aps []Appointment
	if err := s.db.SelectContext(ctx, &aps, `SELECT `+appointmentCols+appointmentFrom+`
		WHERE ap.clinic_id = $1 AND c.counselor_id = $2 AND ap.starts_at >= $3 AND ap.starts_at < $4 AND c.status <> 'closed'
		ORDER BY ap.starts_at, ap.id LIMIT 500`, a.ClinicID, a.UserID, from, end); err != nil {
		return Agenda{}, err
	}
	ag := Agenda{Today: []View{}, Week: []View{}}
	for _, ap := range aps {
		rel := relation{CoupleID: ap.CoupleID, CounselorID: ap.CounselorID}
		rel.fill(a)
		v := s.view(rel, ap, loc)
		if ap.StartsAt.Before(tomorrow) {
			ag.Today = append(ag.Today, v)
		} else {
			ag.Week = append(ag.Week, v)
		}
	}
	return ag, nil
}

// NextByCouple maps each couple of the counselor's caseload to the start of
// its next scheduled session (couples without one are left out).
func (s *Service) NextByCouple(ctx context.Context, a actor.Actor) (map[int64]time.Time, error) {
	var rows []struct {
		CoupleID int64     `db:"couple_id"`
		StartsAt time.Time `db:"starts_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT DISTINCT ON (ap.couple_id) ap.couple_id, ap.starts_at
		FROM appointments ap JOIN couples c ON c.id = ap.couple_id
		WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed' AND ap.status = 'scheduled' AND ap.starts_at > $3
		ORDER BY ap.couple_id, ap.starts_at`, a.ClinicID, a.UserID, s.now()); err != nil {
		return nil, err
	}
	out := map[int64]time.Time{}
	for _, r := range rows {
		out[r.CoupleID] = r.StartsAt.In(a.ClinicLoc())
	}
	return out, nil
}

// Counts are sessions as dates and counts (what an admin sees): held (past
// and not cancelled), cancelled, to come, the last held and the next.
type Counts struct {
	Held      int        `db:"held" json:"held"`
	Recent    int        `db:"recent" json:"held_last_28_days"`
	Cancelled int        `db:"cancelled" json:"cancelled"`
	Upcoming  int        `db:"upcoming" json:"upcoming"`
	Last      *time.Time `db:"last_at" json:"last"`
	Next      *time.Time `db:"next_at" json:"next"`
}

// CounselorCounts are one counselor's sessions (over the couples they have now).
type CounselorCounts struct {
	CounselorID int64  `db:"counselor_id" json:"counselor_id"`
	Name        string `db:"name" json:"name"`
	Counts
}

// CoupleCounts are one couple's sessions.
type CoupleCounts struct {
	CoupleID      int64  `db:"couple_id" json:"couple_id"`
	Label         string `db:"label" json:"label"`
	Status        string `db:"status" json:"status"`
	CounselorName string `db:"counselor_name" json:"counselor_name"`
	Counts
}

// ClinicCounts are the clinic's sessions per counselor and per couple.
type ClinicCounts struct {
	Counselors []CounselorCounts `json:"per_counselor"`
	Couples    []CoupleCounts    `json:"per_couple"`
}

const countCols = `count(ap.id) FILTER (WHERE ap.status = 'scheduled' AND ap.starts_at <= $2) AS held,
	count(ap.id) FILTER (WHERE ap.status = 'scheduled' AND ap.starts_at <= $2 AND ap.starts_at > $2::timestamptz - interval '28 days') AS recent,
	count(ap.id) FILTER (WHERE ap.status = 'cancelled') AS cancelled,
	count(ap.id) FILTER (WHERE ap.status = 'scheduled' AND ap.starts_at > $2 AND c.status <> 'closed') AS upcoming,
	max(ap.starts_at) FILTER (WHERE ap.status = 'scheduled' AND ap.starts_at <= $2) AS last_at,
	min(ap.starts_at) FILTER (WHERE ap.status = 'scheduled' AND ap.starts_at > $2 AND c.status <> 'closed') AS next_at`

// ClinicCounts returns, for a clinic admin, every counselor's and every
// couple's sessions as dates and counts: never a place note or a note.
func (s *Service) ClinicCounts(ctx context.Context, a actor.Actor) (ClinicCounts, error) {
	out := ClinicCounts{Counselors: []CounselorCounts{}, Couples: []CoupleCounts{}}
	if !a.Has(actor.RoleAdmin) {
		return out, apperr.New(apperr.Forbidden, "Only the clinic's admins see every counselor's sessions.")
	}
	now := s.now()
	if err := s.db.SelectContext(ctx, &out.Counselors, `SELECT u.id AS counselor_id, u.name, `+countCols+`
		FROM memberships m JOIN users u ON u.id = m.user_id
		LEFT JOIN couples c ON c.clinic_id = m.clinic_id AND c.counselor_id = m.user_id
		LEFT JOIN appointments ap ON ap.couple_id = c.id
		WHERE m.clinic_id = $1 AND m.role = 'counselor'
		GROUP BY u.id, u.name ORDER BY lower(u.name), u.id`, a.ClinicID, now); err != nil {
		return out, err
	}
	err := s.db.SelectContext(ctx, &out.Couples, `SELECT c.id AS couple_id, c.label, c.status, u.name AS counselor_name, `+countCols+`
		FROM couples c JOIN users u ON u.id = c.counselor_id
		LEFT JOIN appointments ap ON ap.couple_id = c.id
		WHERE c.clinic_id = $1
		GROUP BY c.id, c.label, c.status, u.name ORDER BY c.status = 'closed', lower(c.label), c.id LIMIT 1000`, a.ClinicID, now)
	for i := range out.Counselors {
		out.Counselors[i].Counts.localize(a.ClinicLoc())
	}
	for i := range out.Couples {
		out.Couples[i].Counts.localize(a.ClinicLoc())
	}
	return out, err
}

func (c *Counts) localize(loc *time.Location) {
	for _, t := range []*time.Time{c.Last, c.Next} {
		if t != nil {
			*t = t.In(loc)
		}
	}
}
