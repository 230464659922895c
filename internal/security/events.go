package security

import (
	"context"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
)

// LogAccountEvent records an event about an account (a sign-in, a failed
// password or two-factor code, a recovery code used, a password or
// two-factor change) once for each clinic where the account has an active
// membership, so that the admins of every clinic the person belongs to see
// it in their audit trail; the copies share the request id. An unknown
// account (userID 0), or one with no active membership, gets one event
// without a clinic: installation-level, seen by no admin (still in the
// chain that `mend audit verify` checks).
func LogAccountEvent(ctx context.Context, q sqlx.ExtContext, l *audit.Logger, a actor.Actor, userID int64, ev audit.Event) error {
	var clinics []int64
	if userID != 0 {
		if err := sqlx.SelectContext(ctx, q, &clinics, `SELECT DISTINCT clinic_id FROM memberships
			WHERE user_id = $1 AND active ORDER BY clinic_id`, userID); err != nil {
			return err
		}
	}
	if len(clinics) == 0 {
		a.ClinicID, ev.ClinicID = 0, 0
		return l.Log(ctx, q, a, ev)
	}
	for _, id := range clinics {
		ev.ClinicID = id
		if err := l.Log(ctx, q, a, ev); err != nil {
			return err
		}
	}
	return nil
}

// LogAccountEventNow is LogAccountEvent in a transaction of its own.
func LogAccountEventNow(ctx context.Context, d *sqlx.DB, l *audit.Logger, a actor.Actor, userID int64, ev audit.Event) error {
	return db.InTx(ctx, d, func(tx *db.Tx) error { return LogAccountEvent(ctx, tx, l, a, userID, ev) })
}
