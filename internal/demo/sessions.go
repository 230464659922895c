package demo

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/tz"
)

// seedSessions gives every demo couple two past weekly sessions and the
// next six, at 17:00 in the clinic's zone, and ties the open joint plan and
// conversation starters to the next one ("due before the next session").
func seedSessions(ctx context.Context, d *sqlx.DB) error {
	var couples []struct {
		ID          int64          `db:"id"`
		ClinicID    int64          `db:"clinic_id"`
		CounselorID int64          `db:"counselor_id"`
		Zone        sql.NullString `db:"time_zone"`
	}
	if err := d.SelectContext(ctx, &couples, `SELECT c.id, c.clinic_id, c.counselor_id, cl.time_zone
		FROM couples c JOIN clinics cl ON cl.id = c.clinic_id ORDER BY c.id`); err != nil {
		return err
	}
	now := time.Now()
	for i, c := range couples {
		loc := tz.Or(c.Zone.String)
		today := tz.Today(now, loc)
		// Couples meet on different days of the week, 17:00 or 18:30.
		first := tz.AddDays(today, 1+i%4-14)
		hour, minute := 17, 0
		if i%2 == 1 {
			hour, minute = 18, 30
		}
		var next int64
		var nextAt time.Time
		for k := 0; k < 8; k++ {
			at := tz.At(tz.AddDays(first, 7*k), hour, minute, loc)
			var id int64
			if err := d.GetContext(ctx, &id, `INSERT INTO appointments (clinic_id, couple_id, starts_at, minutes, place, created_by, created_at)
				VALUES ($1, $2, $3, 50, $4, $5, $6) RETURNING id`, c.ClinicID, c.ID, at, []string{"Room 2", "Video"}[i%2], c.CounselorID,
				now.Add(-15*24*time.Hour)); err != nil {
				return err
			}
			if next == 0 && at.After(now) {
				next, nextAt = id, at
			}
		}
		if _, err := d.ExecContext(ctx, `UPDATE appointments SET series_id = (SELECT min(id) FROM appointments WHERE couple_id = $1)
			WHERE couple_id = $1`, c.ID); err != nil {
			return err
		}
		var linked []int64
		if err := d.SelectContext(ctx, &linked, `UPDATE assignments a SET appointment_id = $2, due_at = $3
			FROM exercise_templates t WHERE t.id = a.template_id AND a.couple_id = $1 AND a.status = 'active'
			  AND t.slug IN ('transparency-plan', 'conversation-starters') RETURNING a.id`, c.ID, next, nextAt); err != nil {
			return err
		}
		for _, id := range linked {
			if _, err := d.ExecContext(ctx, `UPDATE responses SET due_at = $2 WHERE assignment_id = $1 AND occurs_on IS NULL`, id, nextAt); err != nil {
				return err
			}
		}
	}
	return nil
}
