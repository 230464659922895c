// Package clinic owns the practice: counselors, couples, partners,
// invitations and caseloads.
package clinic

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/security"
)

// Service holds the clinic rules.
type Service struct {
	db     *sqlx.DB
	audit  *audit.Logger
	hasher auth.Hasher // invitation tokens are stored as keyed hashes
	notify *notify.Service
	guard  *security.Guard
}

// NewService returns the clinic service.
// Invitation and reset links are mailed through n, in the transaction
// that issues them.
func NewService(d *sqlx.DB, a *audit.Logger, h auth.Hasher, n *notify.Service) *Service {
	return &Service{db: d, audit: a, hasher: h, notify: n, guard: security.NewGuard(d)}
}

// Totals are the clinic's headline counts for the admin home.
type Totals struct {
	Counselors  int `db:"counselors" json:"counselors"`
	Couples     int `db:"couples" json:"couples"`
	Paused      int `db:"paused" json:"paused"`
	Clients     int `db:"clients" json:"clients"`
	Invitations int `db:"invitations" json:"pending_invitations"`
	Awaiting    int `db:"awaiting" json:"awaiting_review"`
	Overdue     int `db:"overdue" json:"overdue"`
	// Undelivered counts mail that could not be delivered, not yet dismissed.
	Undelivered int `db:"undelivered" json:"undelivered_mail"`
}

// ClinicTotals counts the actor's clinic. Nothing of a paused or closed
// couple is overdue.
func (s *Service) ClinicTotals(ctx context.Context, a actor.Actor) (Totals, error) {
	var t Totals
	err := s.db.GetContext(ctx, &t, `SELECT
		(SELECT count(*) FROM memberships WHERE clinic_id = $1 AND role = 'counselor' AND active) AS counselors,
		(SELECT count(*) FROM couples WHERE clinic_id = $1 AND status <> 'closed') AS couples,
		(SELECT count(*) FROM couples WHERE clinic_id = $1 AND status = 'paused') AS paused,
		(SELECT count(*) FROM memberships WHERE clinic_id = $1 AND role = 'client' AND active) AS clients,
		(SELECT count(*) FROM invitations WHERE clinic_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
			AND expires_at > now()) AS invitations,
		(SELECT count(*) FROM responses r JOIN couples c ON c.id = r.couple_id AND c.status <> 'closed'
			JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			WHERE r.clinic_id = $1 AND `+assignment.WaitsForReviewSQL("r", "a")+`) AS awaiting,
		(SELECT count(*) FROM responses r JOIN couples c ON c.id = r.couple_id AND c.status = 'active'
			JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			WHERE r.clinic_id = $1 AND r.status IN ('draft', 'revision_requested') AND r.due_at < now()) AS overdue,
		(SELECT count(*) FROM mail_failures WHERE clinic_id = $1 AND dismissed_at IS NULL) AS undelivered`, a.ClinicID)
	return t, err
}

// CoupleSummary is one line of a caseload.
type CoupleSummary struct {
	ID        int64     `db:"id" json:"id"`
	Label     string    `db:"label" json:"label"`
	Status    string    `db:"status" json:"status"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
}

// MyCaseload lists the counselor's own couples in the current clinic.
func (s *Service) MyCaseload(ctx context.Context, a actor.Actor) ([]CoupleSummary, error) {
	out := []CoupleSummary{}
	err := s.db.SelectContext(ctx, &out, `SELECT id, label, status, created_at FROM couples
		WHERE clinic_id = $1 AND counselor_id = $2 ORDER BY status = 'closed', lower(label), id LIMIT 500`, a.ClinicID, a.UserID)
	return out, err
}

// ClientCouple is what a client sees of their own couple.
type ClientCouple struct {
	CoupleID      int64  `db:"couple_id"`
	CoupleLabel   string `db:"label"`
	CounselorName string `db:"counselor_name"`
	PartnerID     int64  `db:"partner_id"`
}

// MyCouple returns the client's couple in the current clinic (zero when none).
func (s *Service) MyCouple(ctx context.Context, a actor.Actor) (ClientCouple, error) {
	var cc ClientCouple
	err := s.db.GetContext(ctx, &cc, `SELECT c.id AS couple_id, c.label, u.name AS counselor_name, p.id AS partner_id
		FROM partners p JOIN couples c ON c.id = p.couple_id JOIN users u ON u.id = c.counselor_id
		WHERE p.user_id = $1 AND p.clinic_id = $2 ORDER BY c.status = 'closed', c.id DESC LIMIT 1`, a.UserID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return cc, nil
	}
	return cc, err
}
