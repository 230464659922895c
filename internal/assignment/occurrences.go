package assignment

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/tz"
)

// Recurring work is made one occurrence at a time, on its day in the
// clinic's zone: Create makes the occurrences from the first day through the
// clinic's today and records the next day to make (assignments.next_occurs_on);
// MakeOccurrences, run every minute by a job, makes each later one once its
// local day has begun, due at the last second of that day (tz.End), a week
// apart for weekly work, until the last day (then next_occurs_on is NULL).
// Only active assignments of active couples get occurrences: a paused or
// closed couple gets none, and resuming skips the days in between
// (clinic.UpdateCouple moves next_occurs_on on).

// CatchUpDays bounds how far back MakeOccurrences goes when it has not run
// for a while (the server was down): the days among the last CatchUpDays
// (today included) are made late, so a short outage leaves no gap; older
// days are skipped, since nobody could have done them, and reporting weeks
// of fabricated "missed" check-ins would be false.
const CatchUpDays = 7

// occurrenceBatch is how many assignments one transaction takes.
const occurrenceBatch = 100

// recurring is an assignment whose next occurrence may be due.
type recurring struct {
	ID        int64         `db:"id"`
	ClinicID  int64         `db:"clinic_id"`
	CoupleID  int64         `db:"couple_id"`
	Mode      string        `db:"mode"`
	PartnerID sql.NullInt64 `db:"partner_id"`
	Every     string        `db:"recur_every"`
	Until     time.Time     `db:"recur_until"`
	Next      time.Time     `db:"next_occurs_on"`
	Zone      string        `db:"zone"`
	PartnerA  sql.NullInt64 `db:"partner_a"`
	PartnerB  sql.NullInt64 `db:"partner_b"`
}

// authors are the responses each occurrence has: the one partner, each
// partner, or one joint (NULL) response.
func authors(mode string, partner, a, b sql.NullInt64) []sql.NullInt64 {
	switch mode {
	case ModeIndividual:
		return []sql.NullInt64{partner}
	case ModeEach:
		return []sql.NullInt64{a, b}
	}
	return []sql.NullInt64{{}}
}

// stepDays is the distance between occurrences.
func stepDays(every string) int {
	if every == "week" {
		return 7
	}
	return 1
}

// insertOccurrence makes one day's responses, due at the end of that day in
// loc. An occurrence already made (by another instance, or a run repeated
// after a crash) is left alone: the unique index responses_occurrence_uniq
// decides. It returns how many responses it made.
func insertOccurrence(ctx context.Context, tx *sqlx.Tx, clinicID, coupleID, assignmentID int64, who []sql.NullInt64, day tz.Date, loc *time.Location) (int, error) {
	n := 0
	for _, p := range who {
		res, err := tx.ExecContext(ctx, `INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (assignment_id, occurs_on, partner_id) WHERE occurs_on IS NOT NULL DO NOTHING`,
			clinicID, coupleID, assignmentID, p, day, tz.End(day, loc))
		if err != nil {
			return n, err
		}
		k, _ := res.RowsAffected()
		n += int(k)
	}
	return n, nil
}

// jobActor is who the occurrence job acts as in the audit trail.
func jobActor(clinicID int64) actor.Actor {
	return actor.Actor{ClinicID: clinicID, RequestID: "job:occurrences"}
}

// MakeOccurrences makes every occurrence whose local day has come by now,
// for active recurring assignments of active couples, and returns how many
// responses it made. It is idempotent and safe on several instances at
// once: each batch locks its assignments (FOR UPDATE SKIP LOCKED, so two
// runs share the work instead of waiting), and the unique index on
// (assignment_id, occurs_on, partner_id) refuses a second copy of a day.
// The due assignments are found through assignments_next_occurrence_idx.
func (s *Service) MakeOccurrences(ctx context.Context, now time.Time) (int, error) {
	// Today in each clinic zone in use (a handful of names): the query then
	// compares next_occurs_on with the local date of its clinic, computed by
	// Go's zone rules like every other local day in Mend.
	var names []string
	if err := s.db.SelectContext(ctx, &names, `SELECT DISTINCT coalesce(time_zone, 'UTC') FROM clinics`); err != nil {
		return 0, err
	}
	if len(names) == 0 {
		return 0, nil
	}
	days := make([]string, len(names))
	latest := ""
	for i, n := range names {
		days[i] = tz.Today(now, tz.Or(n)).Format(time.DateOnly)
		latest = max(latest, days[i])
	}
	total := 0
	// Each batch moves its assignments past today, so the loop ends; the
	// bound only guards against a fault.
	for range 10000 {
		n, full, err := s.occurrenceBatch(ctx, now, names, days, latest)
		total += n
		if err != nil || !full {
			return total, err
		}
	}
	return total, nil
}

// occurrenceBatch advances up to occurrenceBatch due assignments in one
// transaction; full reports that there may be more.
func (s *Service) occurrenceBatch(ctx context.Context, now time.Time, names, days []string, latest string) (int, bool, error) {
	made, full := 0, false
	err := db.InTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var due []recurring
		if err := tx.SelectContext(ctx, &due, `SELECT a.id, a.clinic_id, a.couple_id, a.mode, a.partner_id, a.recur_every,
				a.recur_until, a.next_occurs_on, z.zone,
				(SELECT p.id FROM partners p WHERE p.couple_id = a.couple_id AND p.slot = 'A') AS partner_a,
				(SELECT p.id FROM partners p WHERE p.couple_id = a.couple_id AND p.slot = 'B') AS partner_b
			FROM assignments a
			JOIN couples c ON c.id = a.couple_id AND c.status = 'active'
			JOIN clinics cl ON cl.id = a.clinic_id
			JOIN unnest($1::text[], $2::date[]) AS z(zone, today) ON z.zone = coalesce(cl.time_zone, 'UTC')
			WHERE a.status = 'active' AND a.next_occurs_on IS NOT NULL AND a.next_occurs_on <= $3::date
			  AND a.next_occurs_on <= z.today
			ORDER BY a.next_occurs_on, a.id LIMIT $4
			FOR UPDATE OF a SKIP LOCKED`, pq.Array(names), pq.Array(days), latest, occurrenceBatch); err != nil {
			return err
		}
		full = len(due) == occurrenceBatch
		for _, r := range due {
			n, err := s.advance(ctx, tx, r, now)
			if err != nil {
				return err
			}
			made += n
		}
		return nil
	})
	return made, full, err
}

// advance makes an assignment's occurrences from next_occurs_on through its
// clinic's today (within CatchUpDays) and moves next_occurs_on past them.
func (s *Service) advance(ctx context.Context, tx *sqlx.Tx, r recurring, now time.Time) (int, error) {
	loc := tz.Or(r.Zone)
	today := tz.Today(now, loc)
	step := stepDays(r.Every)
	next := r.Next
	skipped := 0
	if floor := tz.AddDays(today, 1-CatchUpDays); next.Before(floor) {
		k := (tz.Days(next, floor) + step - 1) / step
		next, skipped = tz.AddDays(next, k*step), k
	}
	who := authors(r.Mode, r.PartnerID, r.PartnerA, r.PartnerB)
	made := 0
	var daysMade []string
	for !next.After(today) && !next.After(r.Until) {
		n, err := insertOccurrence(ctx, tx, r.ClinicID, r.CoupleID, r.ID, who, next, loc)
		if err != nil {
			return made, err
		}
		if n > 0 {
			daysMade = append(daysMade, next.Format(time.DateOnly))
		}
		made += n
		next = tz.AddDays(next, step)
	}
	var nextDay sql.NullTime
	if !next.After(r.Until) {
		nextDay = sql.NullTime{Time: next, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE assignments SET next_occurs_on = $2 WHERE id = $1`, r.ID, nextDay); err != nil {
		return made, err
	}
	if made == 0 && skipped == 0 {
		return 0, nil
	}
	detail := map[string]any{"days": daysMade, "responses": made}
	if skipped > 0 {
		detail["skipped_occurrences"] = skipped
	}
	return made, s.audit.Log(ctx, tx, jobActor(r.ClinicID), audit.Event{Action: "assignment.occur", ObjectType: "assignment",
		ObjectID: r.ID, CoupleID: r.CoupleID, Detail: detail})
}
