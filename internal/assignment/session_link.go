package assignment

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/db"
)

// linkSession ties a new assignment to the couple's session it is due
// before, in the assignment's transaction: the due time is the session's
// start as it is now (the row is locked against a move until commit), so
// work and session agree even when the session moved since the form was
// read. A session cancelled, moved into the past or of another couple
// meanwhile is a field error on "due".
func linkSession(ctx context.Context, tx *db.Tx, a actor.Actor, assignmentID, coupleID, sessionID int64) error {
	var start time.Time
	err := tx.GetContext(ctx, &start, `SELECT starts_at FROM appointments
		WHERE id = $1 AND couple_id = $2 AND clinic_id = $3 AND status = 'scheduled' AND starts_at > now() FOR SHARE`,
		sessionID, coupleID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.Fields("Please correct the highlighted fields.", map[string]string{
			"due": "That session was cancelled or has begun meanwhile: choose again."})
	}
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assignments SET appointment_id = $2, due_at = $3 WHERE id = $1`, assignmentID, sessionID, start); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE responses SET due_at = $2 WHERE assignment_id = $1 AND occurs_on IS NULL`, assignmentID, start)
	return err
}

// unlinkSession unties an assignment from its session when its due time is
// changed by hand to due (a save that keeps the time keeps the tie): it no
// longer follows the session. Call it before the new due time is stored.
func unlinkSession(ctx context.Context, tx *db.Tx, assignmentID int64, due sql.NullTime) error {
	_, err := tx.ExecContext(ctx, `UPDATE assignments SET appointment_id = NULL
		WHERE id = $1 AND appointment_id IS NOT NULL AND due_at IS DISTINCT FROM $2`, assignmentID, due)
	return err
}
