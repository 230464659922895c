package clinic

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
)

// MailFailure is a mail of the clinic that could not be delivered: to whom,
// what kind (never its content), when and why.
type MailFailure struct {
	ID        int64     `db:"id" json:"id"`
	Kind      string    `db:"kind" json:"kind"`
	Recipient string    `db:"recipient" json:"recipient"`
	Reason    string    `db:"reason" json:"reason"`
	Attempts  int       `db:"attempts" json:"attempts"`
	FailedAt  time.Time `db:"failed_at" json:"failed_at"`
	// Name is the recipient's account name, when they have one.
	Name sql.NullString `db:"name" json:"-"`
}

// MailKindLabel names a kind of mail for admins.
var MailKindLabel = map[string]string{
	"invitation": "Invitation", "password_reset": "Password reset link", "password_changed": "Password changed notice",
	"two_factor_off": "Two-factor turned off notice", "signin_after_reset": "Sign-in after a reset notice",
	"new_work": "New work", "feedback": "Counselor feedback", "partner_shared": "Partner shared", "both_submitted": "Both submitted",
	"reminder": "Reminder", "digest": "Counselor's daily summary", "safety_alert": "Attention alert to a counselor",
	"undeliverable": "Undeliverable-mail notice", "counselor_joined": "Counselor joined", "caseload_changed": "Caseload change",
}

// MailFailures lists the clinic's undeliverable mail not yet dismissed,
// newest first (at most 200).
func (s *Service) MailFailures(ctx context.Context, a actor.Actor) ([]MailFailure, error) {
	out := []MailFailure{}
	err := s.db.SelectContext(ctx, &out, `SELECT f.id, f.kind, f.recipient, f.reason, f.attempts, f.failed_at, u.name
		FROM mail_failures f LEFT JOIN users u ON u.id = f.user_id
		WHERE f.clinic_id = $1 AND f.dismissed_at IS NULL ORDER BY f.id DESC LIMIT 200`, a.ClinicID)
	return out, err
}

// DismissMailFailure takes an undeliverable mail off the list (the admin
// has dealt with it: fixed the address, sent a new invitation).
func (s *Service) DismissMailFailure(ctx context.Context, a actor.Actor, id int64) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var kind string
		err := tx.GetContext(ctx, &kind, `UPDATE mail_failures SET dismissed_at = $3
		WHERE id = $1 AND clinic_id = $2 AND dismissed_at IS NULL RETURNING kind`, id, a.ClinicID, tx.Now())
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "We could not find that message.")
		}
		if err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "mail_failure.dismiss", ObjectType: "mail_failure", ObjectID: id,
			Detail: map[string]any{"kind": kind}})
	})
}
