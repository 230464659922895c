package appointment

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/tz"
)

// New is what a counselor schedules: a first session, optionally repeated
// weekly or every two weeks until a last day (a date of the clinic).
type New struct {
	StartsAt time.Time
	Minutes  int
	Repeat   string // "", Weekly or TwoWeeks
	Until    string // YYYY-MM-DD
	Place    string
}

// Occurrences are the starts of a repetition: the same local time of day
// (in loc) on every step-th day from the first start's date through until.
// A day is a date, never 24 hours: 17:00 stays 17:00 across a
// daylight-saving change (a time the spring change skips moves on by the
// gap, as clocks do).
func Occurrences(first time.Time, stepDays int, until tz.Date, loc *time.Location) []time.Time {
	out := []time.Time{first}
	if stepDays <= 0 {
		return out
	}
	local := first.In(loc)
	day := tz.DateOf(first, loc)
	for d := tz.AddDays(day, stepDays); !d.After(until); d = tz.AddDays(d, stepDays) {
		out = append(out, tz.At(d, local.Hour(), local.Minute(), loc))
	}
	return out
}

func repeatStep(r string) (int, bool) {
	switch r {
	case "", "none":
		return 0, true
	case Weekly:
		return 7, true
	case TwoWeeks:
		return 14, true
	}
	return 0, false
}

// Schedule creates a couple's session, or a repeated series of them (one
// row per occurrence, sharing the first one's id as series_id), for the
// couple's own counselor. It refuses times that have passed and times when
// the counselor already has a session.
func (s *Service) Schedule(ctx context.Context, a actor.Actor, coupleID int64, in New) ([]View, error) {
	var out []View
	loc := a.ClinicLoc()
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		rel, err := coupleRelation(ctx, tx, a, coupleID)
		if err != nil {
			return err
		}
		if err := rel.counselorOnly("schedule sessions"); err != nil {
			return err
		}
		if rel.Status == "closed" {
			return apperr.New(apperr.Conflict, "This couple is closed: no new sessions until it is reopened.")
		}
		fields := map[string]string{}
		now := s.now()
		in.StartsAt = in.StartsAt.Truncate(time.Minute) // sessions start on a minute
		switch {
		case in.StartsAt.IsZero():
			fields["starts_at"] = "Give the date and time of the session."
		case !in.StartsAt.After(now):
			fields["starts_at"] = "That time has passed: choose a time to come."
		}
		if in.Minutes == 0 {
			in.Minutes = DefaultMinutes
		}
		if in.Minutes < MinMinutes || in.Minutes > MaxMinutes {
			fields["minutes"] = fmt.Sprintf("A session lasts between %d and %d minutes.", MinMinutes, MaxMinutes)
		}
		var msg string
		if in.Place, msg = cleanText(in.Place, MaxPlace); msg != "" {
			fields["note"] = msg
		}
		step, ok := repeatStep(in.Repeat)
		if !ok {
			fields["repeat"] = "Repeat every week or every two weeks, or not at all."
		}
		var until tz.Date
		if step > 0 {
			var perr error
			until, perr = tz.ParseDate(in.Until)
			switch {
			case in.Until == "":
				fields["until"] = "Give the day of the last session."
			case perr != nil:
				fields["until"] = "Give the last day as YYYY-MM-DD."
			case fields["starts_at"] == "" && until.Before(tz.DateOf(in.StartsAt, loc)):
				fields["until"] = "The last day is before the first session."
			case fields["starts_at"] == "" && tz.Days(tz.DateOf(in.StartsAt, loc), until) > MaxRepeatDays:
				fields["until"] = "Repeat for at most a year; schedule more later."
			}
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		starts := Occurrences(in.StartsAt, step, until, loc)
		if clash, ok, err := s.clash(ctx, tx, a, rel.CounselorID, starts, in.Minutes, 0); err != nil {
			return err
		} else if ok {
			return apperr.Fields("That time is taken.", map[string]string{"starts_at": clashMessage(clash, loc, len(starts) > 1)})
		}
		var series sql.NullInt64
		var ids []int64
		for i, at := range starts {
			var id int64
			if err := tx.GetContext(ctx, &id, `INSERT INTO appointments (clinic_id, couple_id, series_id, starts_at, minutes, place, created_by)
				VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, a.ClinicID, coupleID, series, at, in.Minutes, in.Place, a.UserID); err != nil {
				return err
			}
			if i == 0 && len(starts) > 1 {
				series = sql.NullInt64{Int64: id, Valid: true}
				if _, err := tx.ExecContext(ctx, `UPDATE appointments SET series_id = id WHERE id = $1`, id); err != nil {
					return err
				}
			}
			ids = append(ids, id)
		}
		detail := map[string]any{"sessions": ids, "minutes": in.Minutes}
		if step > 0 {
			detail["repeat"] = in.Repeat
		}
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "appointment.create", ObjectType: "appointment", ObjectID: ids[0],
			CoupleID: coupleID, Detail: detail}); err != nil {
			return err
		}
		var aps []Appointment
		if err := tx.SelectContext(ctx, &aps, `SELECT `+appointmentCols+appointmentFrom+` WHERE ap.id = ANY($1) ORDER BY ap.starts_at`,
			pq.Array(ids)); err != nil {
			return err
		}
		for _, ap := range aps {
			out = append(out, s.view(rel, ap, loc))
		}
		return nil
	})
	return out, err
}

// clash finds a scheduled session of the counselor that overlaps one of the
// starts (each lasting minutes), other than the session skip.
func (s *Service) clash(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, counselorID int64, starts []time.Time, minutes int, skip int64) (Appointment, bool, error) {
	var found []Appointment
	err := sqlx.SelectContext(ctx, q, &found, `SELECT `+appointmentCols+appointmentFrom+`
		JOIN unnest($3::timestamptz[]) AS want(at) ON ap.starts_at < want.at + $4 * interval '1 minute'
			AND ap.starts_at + ap.minutes * interval '1 minute' > want.at
		WHERE ap.clinic_id = $1 AND c.counselor_id = $2 AND ap.status = 'scheduled' AND ap.id <> $5 AND c.status <> 'closed'
		ORDER BY ap.starts_at LIMIT 1`, a.ClinicID, counselorID, pq.Array(starts), minutes, skip)
	if err != nil || len(found) == 0 {
		return Appointment{}, false, err
	}
	return found[0], true, nil
}

func clashMessage(ap Appointment, loc *time.Location, series bool) string {
	when := ap.StartsAt.In(loc).Format("Monday 2 January 2006, 15:04") + "–" + ap.EndsAt().In(loc).Format("15:04")
	if series {
		return "One of these sessions overlaps another of yours: " + when + ". Choose another time, or move that one first."
	}
	return "You already have a session then: " + when + ". Choose another time, or move that one first."
}

// Change is what a counselor may change on a session to come.
type Change struct {
	StartsAt *time.Time
	Minutes  *int
	Place    *string
	Status   *string // Cancelled
}

// Moved tells what a change did: the session and the work that followed it.
type Moved struct {
	View
	// Followed are the assignments whose due time followed the session
	// (moved with it, or, when it was cancelled, on to the next session).
	Followed []int64
	// NextID is the session work moved on to when this one was cancelled.
	NextID int64
}

// Update moves, shortens or cancels a session to come. Work due before it
// follows: a moved session takes its due times along; a cancelled one hands
// its work on to the couple's next session after it (or leaves the due time
// as it was, no longer tied to a session, when there is none). The partners are
// told in the app and by a neutral mail. Past sessions stay as they were.
func (s *Service) Update(ctx context.Context, a actor.Actor, id int64, ch Change) (Moved, error) {
	var out Moved
	loc := a.ClinicLoc()
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		ap, rel, err := s.get(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		if err := rel.counselorOnly("change sessions"); err != nil {
			return err
		}
		now := s.now()
		switch {
		case rel.Status == "closed":
			return apperr.New(apperr.Conflict, "This couple is closed: its sessions are read-only.")
		case ap.Status == Cancelled:
			return apperr.New(apperr.Conflict, "This session was cancelled; schedule a new one instead.")
		case !ap.StartsAt.After(now):
			return apperr.New(apperr.Conflict, "This session has begun or passed: it stays in the history as it was.")
		}
		fields := map[string]string{}
		cancel := false
		if ch.Status != nil {
			switch *ch.Status {
			case Cancelled:
				cancel = true
			case Scheduled:
			default:
				fields["status"] = `Only "cancelled" can be set.`
			}
		}
		old := ap
		if ch.StartsAt != nil && !cancel {
			if !ch.StartsAt.After(now) {
				fields["starts_at"] = "That time has passed: choose a time to come."
			}
			ap.StartsAt = ch.StartsAt.Truncate(time.Minute)
		}
		if ch.Minutes != nil && !cancel {
			if *ch.Minutes < MinMinutes || *ch.Minutes > MaxMinutes {
				fields["minutes"] = fmt.Sprintf("A session lasts between %d and %d minutes.", MinMinutes, MaxMinutes)
			}
			ap.Minutes = *ch.Minutes
		}
		if ch.Place != nil && !cancel {
			var msg string
			if ap.Place, msg = cleanText(*ch.Place, MaxPlace); msg != "" {
				fields["note"] = msg
			}
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		moved := !ap.StartsAt.Equal(old.StartsAt)
		if !cancel && !moved && ap.Minutes == old.Minutes && ap.Place == old.Place {
			out.View = s.view(rel, ap, loc) // nothing changed: nothing written
			return nil
		}
		if !cancel && (moved || ap.Minutes != old.Minutes) {
			if clash, ok, err := s.clash(ctx, tx, a, rel.CounselorID, []time.Time{ap.StartsAt}, ap.Minutes, ap.ID); err != nil {
				return err
			} else if ok {
				return apperr.Fields("That time is taken.", map[string]string{"starts_at": clashMessage(clash, loc, false)})
			}
		}
		bump := 0
		if cancel || moved {
			bump = 1
		}
		status := ap.Status
		if cancel {
			status = Cancelled
		}
		if _, err := tx.ExecContext(ctx, `UPDATE appointments SET starts_at = $2, minutes = $3, place = $4, status = $5,
				sequence = sequence + $6, updated_at = now(), cancelled_at = CASE WHEN $5 = 'cancelled' THEN now() END WHERE id = $1`,
			id, ap.StartsAt, ap.Minutes, ap.Place, status, bump); err != nil {
			return err
		}
		ap.Status = status
		action, detail := "appointment.update", map[string]any{}
		switch {
		case cancel:
			action = "appointment.cancel"
			// The next session after this one: work never moves earlier.
			next, ok, err := nextAfter(ctx, tx, a.ClinicID, ap.CoupleID, old.StartsAt, ap.ID)
			if err != nil {
				return err
			}
			if ok {
				out.NextID = next.ID
				detail["work_moved_to"] = next.ID
				out.Followed, err = follow(ctx, tx, ap.ID, sql.NullInt64{Int64: next.ID, Valid: true}, &next.StartsAt)
			} else {
				// No next session: the work keeps its due time, now a plain date.
				out.Followed, err = follow(ctx, tx, ap.ID, sql.NullInt64{}, nil)
			}
			if err != nil {
				return err
			}
			if err := s.tellPartners(ctx, tx, a, notify.SessionCancelled, ap.CoupleID, old.StartsAt); err != nil {
				return err
			}
		case moved:
			action = "appointment.move"
			detail["from"], detail["to"] = old.StartsAt.UTC().Format(time.RFC3339), ap.StartsAt.UTC().Format(time.RFC3339)
			if out.Followed, err = follow(ctx, tx, ap.ID, sql.NullInt64{Int64: ap.ID, Valid: true}, &ap.StartsAt); err != nil {
				return err
			}
			if err := s.tellPartners(ctx, tx, a, notify.SessionMoved, ap.CoupleID, ap.StartsAt); err != nil {
				return err
			}
		}
		if ap.Minutes != old.Minutes {
			detail["minutes"] = ap.Minutes
		}
		if len(out.Followed) > 0 {
			detail["assignments"] = out.Followed
		}
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: action, ObjectType: "appointment", ObjectID: ap.ID,
			CoupleID: ap.CoupleID, Detail: detail}); err != nil {
			return err
		}
		out.View = s.view(rel, ap, loc)
		return nil
	})
	return out, err
}

// follow moves the active work due before session from to session to (due
// at its start); with no session to, the work is no longer tied to one and
// keeps its due time. It returns the assignments it moved.
func follow(ctx context.Context, tx *db.Tx, from int64, to sql.NullInt64, due *time.Time) ([]int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `UPDATE assignments SET appointment_id = $2, due_at = coalesce($3, due_at), updated_at = now()
		WHERE appointment_id = $1 AND status = 'active' RETURNING id`, from, to, due); err != nil {
		return nil, err
	}
	if len(ids) > 0 && due != nil {
		// One-off responses follow their assignment's due time.
		if _, err := tx.ExecContext(ctx, `UPDATE responses SET due_at = $2 WHERE assignment_id = ANY($1) AND occurs_on IS NULL`,
			pq.Array(ids), *due); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// tellPartners tells the couple's partners (those who joined) that a session
// moved or was cancelled: in the app, and by a neutral mail naming the time.
func (s *Service) tellPartners(ctx context.Context, tx *db.Tx, a actor.Actor, kind notify.Kind, coupleID int64, when time.Time) error {
	if s.notify == nil {
		return nil
	}
	users, err := notify.PartnerUsers(ctx, tx, coupleID)
	if err != nil {
		return err
	}
	return s.notify.Tell(ctx, tx, notify.Event{Kind: kind, ClinicID: a.ClinicID, ActorID: a.UserID, CoupleID: coupleID, When: when}, users...)
}
