package assignment

import (
	"context"
	"database/sql"
	"time"

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
const occurrenceBatch = 500

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

// stepDays is the distance between occurrences, in local days.
func stepDays(every string) int {
	switch every {
	case "week":
		return 7
	case "four_weeks":
		return 28
	}
	return 1
}

// StepDaysSQL is stepDays for a recur_every column, in SQL.
func StepDaysSQL(col string) string {
	return `CASE ` + col + ` WHEN 'week' THEN 7 WHEN 'four_weeks' THEN 28 ELSE 1 END`
}

// insertOccurrence makes one day's responses, due at the end of that day in
// loc. An occurrence already made (by another instance, or a run repeated
// after a crash) is left alone: the unique index responses_occurrence_uniq
// decides. It returns how many responses it made.
func insertOccurrence(ctx context.Context, tx *db.Tx, clinicID, coupleID, assignmentID int64, who []sql.NullInt64, day tz.Date, loc *time.Location) (int, error) {
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

// jobActor is who the occurrence job acts as in the audit trail (each
// event names its clinic).
var jobActor = actor.Actor{RequestID: "job:occurrences"}

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
// transaction, in three statements whatever their number: the
// occurrences (one INSERT), the next days (one UPDATE), the audit events
// (audit.LogMany). full reports that there may be more.
func (s *Service) occurrenceBatch(ctx context.Context, now time.Time, names, days []string, latest string) (int, bool, error) {
	made, full := 0, false
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
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
		if len(due) == 0 {
			return nil
		}
		var rows occurrenceRows
		plans := make([]advance, len(due))
		for i, r := range due {
			plans[i] = plan(r, now)
			for _, d := range plans[i].days {
				rows.add(r, d)
			}
		}
		// One INSERT for the batch. An occurrence already made (by another
		// instance, or a run repeated after a crash) is left alone: the
		// unique index responses_occurrence_uniq decides.
		var inserted []struct {
			AssignmentID int64     `db:"assignment_id"`
			Day          time.Time `db:"occurs_on"`
		}
		if len(rows.assignment) > 0 {
			if err := tx.SelectContext(ctx, &inserted, `INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
				SELECT c, cp, a, nullif(p, 0), d, due FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::date[], $6::timestamptz[])
					AS x(c, cp, a, p, d, due)
				ON CONFLICT (assignment_id, occurs_on, partner_id) WHERE occurs_on IS NOT NULL DO NOTHING
				RETURNING assignment_id, occurs_on`, pq.Array(rows.clinic), pq.Array(rows.couple), pq.Array(rows.assignment),
				pq.Array(rows.partner), pq.Array(rows.day), pq.Array(rows.due)); err != nil {
				return err
			}
		}
		madeBy := map[int64]int{}
		daysBy := map[int64]map[string]bool{}
		for _, x := range inserted {
			madeBy[x.AssignmentID]++
			if daysBy[x.AssignmentID] == nil {
				daysBy[x.AssignmentID] = map[string]bool{}
			}
			daysBy[x.AssignmentID][x.Day.Format(time.DateOnly)] = true
		}
		ids, nexts := make([]int64, len(due)), make([]*string, len(due))
		var events []audit.Event
		for i, r := range due {
			ids[i] = r.ID
			if pl := plans[i]; pl.next != nil {
				v := pl.next.Format(time.DateOnly)
				nexts[i] = &v
			}
			n := madeBy[r.ID]
			made += n
			if n == 0 && plans[i].skipped == 0 {
				continue
			}
			var list []string
			for _, d := range plans[i].days {
				if k := d.Format(time.DateOnly); daysBy[r.ID][k] {
					list = append(list, k)
				}
			}
			detail := map[string]any{"days": list, "responses": n}
			if plans[i].skipped > 0 {
				detail["skipped_occurrences"] = plans[i].skipped
			}
			events = append(events, audit.Event{Action: "assignment.occur", ObjectType: "assignment", ObjectID: r.ID,
				CoupleID: r.CoupleID, ClinicID: r.ClinicID, Detail: detail})
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignments a SET next_occurs_on = x.next
			FROM unnest($1::bigint[], $2::date[]) AS x(id, next) WHERE a.id = x.id`, pq.Array(ids), pq.Array(nexts)); err != nil {
			return err
		}
		return s.audit.LogMany(ctx, tx, jobActor, events)
	})
	return made, full, err
}

// advance is what one run does to one assignment: the days to make, how
// many were skipped (older than CatchUpDays), and the next day (nil: none).
type advance struct {
	days    []tz.Date
	skipped int
	next    *tz.Date
}

// plan decides an assignment's advance from next_occurs_on through its
// clinic's today at now.
func plan(r recurring, now time.Time) advance {
	var out advance
	loc := tz.Or(r.Zone)
	today := tz.Today(now, loc)
	step := stepDays(r.Every)
	next := r.Next
	if floor := tz.AddDays(today, 1-CatchUpDays); next.Before(floor) {
		k := (tz.Days(next, floor) + step - 1) / step
		next, out.skipped = tz.AddDays(next, k*step), k
	}
	for ; !next.After(today) && !next.After(r.Until); next = tz.AddDays(next, step) {
		out.days = append(out.days, next)
	}
	if !next.After(r.Until) {
		out.next = &next
	}
	return out
}

// occurrenceRows are the responses of a batch, column by column.
type occurrenceRows struct {
	clinic, couple, assignment, partner []int64
	day                                 []string
	due                                 []time.Time
}

func (o *occurrenceRows) add(r recurring, day tz.Date) {
	loc := tz.Or(r.Zone)
	for _, p := range authors(r.Mode, r.PartnerID, r.PartnerA, r.PartnerB) {
		o.clinic = append(o.clinic, r.ClinicID)
		o.couple = append(o.couple, r.CoupleID)
		o.assignment = append(o.assignment, r.ID)
		o.partner = append(o.partner, p.Int64) // 0: the joint response (NULL)
		o.day = append(o.day, day.Format(time.DateOnly))
		o.due = append(o.due, tz.End(day, loc))
	}
}
