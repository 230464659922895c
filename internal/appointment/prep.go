package appointment

import (
	"context"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
)

// CoupleInfo is what the scheduling form shows of a couple.
type CoupleInfo struct {
	ID     int64
	Label  string
	Status string
}

// ScheduleForm checks that the caller may schedule the couple's sessions
// (its own counselor) and returns what the form shows.
func (s *Service) ScheduleForm(ctx context.Context, a actor.Actor, coupleID int64) (CoupleInfo, error) {
	rel, err := coupleRelation(ctx, s.db, a, coupleID)
	if err != nil {
		return CoupleInfo{}, err
	}
	if err := rel.counselorOnly("schedule sessions"); err != nil {
		return CoupleInfo{}, err
	}
	return CoupleInfo{ID: rel.CoupleID, Label: rel.Label, Status: rel.Status}, nil
}

// Prep is the frame of a session's prep page: the session, the one before
// it, and the periods to look at. From is the previous session's start (or
// the couple's first day in Mend), To this session's start; Before starts
// the period before (the session before the previous one, or as long
// again before From), for comparing the daily check-ins.
type Prep struct {
	Session  View  `json:"session"`
	Previous *View `json:"previous_session"`
	From     time.Time
	To       time.Time
	Before   time.Time
}

// PrepFor returns the frame of a session's prep page for the couple's
// counselor (anyone else: not found).
func (s *Service) PrepFor(ctx context.Context, a actor.Actor, id int64) (Prep, error) {
	ap, rel, err := s.get(ctx, s.db, a, id, false)
	if err != nil {
		return Prep{}, err
	}
	if !rel.Counselor {
		return Prep{}, errNotFound
	}
	loc := a.ClinicLoc()
	p := Prep{Session: s.view(rel, ap, loc), To: ap.StartsAt}
	prev, ok, err := previousBefore(ctx, s.db, a.ClinicID, ap.CoupleID, ap.StartsAt)
	if err != nil {
		return p, err
	}
	if ok {
		v := s.view(rel, prev, loc)
		p.Previous, p.From = &v, prev.StartsAt
		before, ok, err := previousBefore(ctx, s.db, a.ClinicID, ap.CoupleID, prev.StartsAt)
		if err != nil {
			return p, err
		}
		if ok {
			p.Before = before.StartsAt
		}
	} else {
		if err := s.db.GetContext(ctx, &p.From, `SELECT created_at FROM couples WHERE id = $1 AND clinic_id = $2`, ap.CoupleID, a.ClinicID); err != nil {
			return p, err
		}
		if p.From.After(p.To) {
			p.From = p.To
		}
	}
	if p.Before.IsZero() {
		p.Before = p.From.Add(-p.To.Sub(p.From))
	}
	return p, nil
}

// Linked is work due before a session: what it is and its status.
type Linked struct {
	AssignmentID int64  `db:"id" json:"assignment_id"`
	Title        string `db:"title" json:"template_title"`
	Status       string `db:"status" json:"status"`
}

// LinkedWork lists the assignments due before a session, for the couple's
// counselor (empty for anyone else).
func (s *Service) LinkedWork(ctx context.Context, a actor.Actor, id int64) ([]Linked, error) {
	out := []Linked{}
	_, rel, err := s.get(ctx, s.db, a, id, false)
	if err != nil || !rel.Counselor {
		return out, err
	}
	// As everywhere, a partner of the couple (roles add up) never learns of
	// the other partner's safety check.
	err = s.db.SelectContext(ctx, &out, `SELECT a.id, v.title, a.status FROM assignments a
		JOIN exercise_templates t ON t.id = a.template_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE a.appointment_id = $1 AND a.clinic_id = $2
		  AND NOT EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = a.couple_id AND me.user_id = $3
			AND (t.private_to_counselor OR v.private_to_counselor) AND a.partner_id IS DISTINCT FROM me.id)
		ORDER BY a.id`, id, a.ClinicID, a.UserID)
	return out, err
}
