// Package remind follows up between sessions by mail: partners are reminded
// of work that is due, counselors get a morning digest of their caseload.
// Mail carries counts only, never what the work is (see internal/mail).
//
// Nothing is scheduled per reminder. Two sweeps (Reminders and Digests) run
// every minute as periodic jobs, enqueued by the elected leader and each run
// worked by one instance, and recompute from the current data who is to be
// told at that minute in their own zone. So a reminder is re-planned by
// itself when anything it depends on changes: a new or moved due date, a
// submission, a cancelled exercise, a pause, a clinic's or a person's time
// zone, an hour or an on/off setting all take effect at the next minute,
// with no scheduled job to find, move or cancel, and a restart loses
// nothing (the first run after it catches up, until the quiet hours).
//
// Each sweep is driven by an index: reminders by the open responses whose
// due time falls in the next two days (responses_open_due_idx), digests by
// the counselors' memberships; neither scans the users. What was sent is
// recorded in reminder_sends, whose key (person, kind, local day) is what
// makes "at most one reminder and one digest per person per day" true on
// any number of instances: the row and the queued mail are written in one
// transaction, and a second writer of the same row writes nothing.
package remind

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/tz"
)

// Quiet hours, local to the recipient: nothing is sent from QuietFrom:00
// until QuietUntil:00. A day whose mail could not go out before the quiet
// hours (the server was down) is not caught up the next morning: the next
// day plans anew.
const (
	QuietFrom  = 21
	QuietUntil = 8
)

// Default hours, local (notification_settings without a row).
const (
	DefaultReminderHour = 9
	DefaultCheckinHour  = 19
	DefaultDigestHour   = 8
)

// Quiet reports whether t falls in the quiet hours of loc.
func Quiet(t time.Time, loc *time.Location) bool {
	h := t.In(loc).Hour()
	return h >= QuietFrom || h < QuietUntil
}

// Mailer queues a mail in the caller's transaction (notify.Service.Mail).
type Mailer interface {
	Mail(ctx context.Context, tx *db.Tx, a mail.Args) error
}

// Service owns reminders and digests.
type Service struct {
	db   *sqlx.DB
	mail Mailer
}

// New returns the service; mail is queued through m.
func New(d *sqlx.DB, m Mailer) *Service { return &Service{db: d, mail: m} }

// zoneOf is a person's zone: their own, else their clinic's, else UTC.
func zoneOf(user, clinic *string) *time.Location {
	if user != nil && *user != "" {
		return tz.Or(*user)
	}
	if clinic != nil {
		return tz.Or(*clinic)
	}
	return time.UTC
}

// dayName is a local day as mail writes it ("Monday 9 March").
func dayName(d tz.Date) string { return d.Format("Monday 2 January") }

// send is one person's mail of one kind for one local day (Args nil:
// nothing to tell, the day is settled without a mail).
type send struct {
	UserID int64
	Day    tz.Date
	Args   *mail.Args
}

// batch is how many people one transaction settles.
const batch = 200

// record settles each person's mail of one kind for their local day and
// queues the mails, batch by batch: the reminder_sends rows and the queued
// mails of a batch are one transaction, so a mail is queued if and only if
// its row is written. A row that exists already (another instance, an
// earlier run) is left alone and its mail not queued again; sends are in
// user order, so two instances writing the same rows wait for each other
// instead of deadlocking. It returns how many mails it queued.
func (s *Service) record(ctx context.Context, kind string, now time.Time, sends []send) (int, error) {
	queued := 0
	for len(sends) > 0 {
		n := min(batch, len(sends))
		q, err := s.recordBatch(ctx, kind, now, sends[:n])
		queued += q
		if err != nil {
			return queued, err
		}
		sends = sends[n:]
	}
	return queued, nil
}

func (s *Service) recordBatch(ctx context.Context, kind string, now time.Time, sends []send) (int, error) {
	users, days := make([]int64, len(sends)), make([]string, len(sends))
	for i, x := range sends {
		users[i], days[i] = x.UserID, x.Day.Format(time.DateOnly)
	}
	queued := 0
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var wrote []struct {
			UserID int64     `db:"user_id"`
			Day    time.Time `db:"day"`
		}
		if err := tx.SelectContext(ctx, &wrote, `INSERT INTO reminder_sends (user_id, kind, day, sent_at)
		SELECT u, $3, d, $4 FROM unnest($1::bigint[], $2::date[]) AS x(u, d)
		ON CONFLICT (user_id, kind, day) DO NOTHING RETURNING user_id, day`, pq.Array(users), pq.Array(days), kind, now); err != nil {
			return err
		}
		mine := map[int64]bool{}
		for _, w := range wrote {
			mine[w.UserID] = true
		}
		for _, x := range sends {
			if !mine[x.UserID] || x.Args == nil {
				continue
			}
			if err := s.mail.Mail(ctx, tx, *x.Args); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return queued, nil
}
