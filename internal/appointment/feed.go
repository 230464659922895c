package appointment

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
)

// FeedInfo says whether the caller has a calendar feed (its URL is shown
// only when it is made: only a keyed hash of its secret is kept).
type FeedInfo struct {
	Active    bool       `json:"active"`
	CreatedAt *time.Time `json:"created_at"`
	UsedAt    *time.Time `json:"used_at"`
}

// The window of sessions a calendar feed holds.
const (
	FeedPast   = 92 * 24 * time.Hour
	FeedFuture = 400 * 24 * time.Hour
)

// FeedStatus tells whether the counselor has a feed in this clinic.
func (s *Service) FeedStatus(ctx context.Context, a actor.Actor) (FeedInfo, error) {
	var r struct {
		CreatedAt time.Time    `db:"created_at"`
		UsedAt    sql.NullTime `db:"used_at"`
	}
	err := s.db.GetContext(ctx, &r, `SELECT created_at, used_at FROM calendar_feeds WHERE user_id = $1 AND clinic_id = $2`, a.UserID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return FeedInfo{}, nil
	}
	if err != nil {
		return FeedInfo{}, err
	}
	info := FeedInfo{Active: true, CreatedAt: &r.CreatedAt}
	if r.UsedAt.Valid {
		info.UsedAt = &r.UsedAt.Time
	}
	return info, nil
}

// NewFeed makes the counselor's calendar feed secret (replacing any earlier
// one, whose URL stops working at once) and returns it: the only time it
// can be shown.
func (s *Service) NewFeed(ctx context.Context, a actor.Actor) (string, error) {
	if !a.Has(actor.RoleCounselor) {
		return "", apperr.New(apperr.Forbidden, "Only counselors have a calendar of sessions.")
	}
	token := auth.NewToken()
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var replaced bool
		if err := tx.GetContext(ctx, &replaced, `INSERT INTO calendar_feeds (user_id, clinic_id, token_hash) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, clinic_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now(), used_at = NULL
			RETURNING (xmax <> 0) AS replaced`, a.UserID, a.ClinicID, s.hasher.Hash(token)); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "calendar_feed.create", ObjectType: "user", ObjectID: a.UserID,
			Detail: map[string]any{"replaced": replaced}})
	})
	return token, err
}

// StopFeed turns the counselor's calendar feed off: its URL stops at once.
func (s *Service) StopFeed(ctx context.Context, a actor.Actor) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM calendar_feeds WHERE user_id = $1 AND clinic_id = $2`, a.UserID, a.ClinicID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "calendar_feed.delete", ObjectType: "user", ObjectID: a.UserID})
	})
}

// Feed is what a calendar feed holds: the counselor's sessions from a
// quarter ago to a year ahead, and where they live.
type Feed struct {
	ClinicName string
	Events     []Appointment
}

var errNoFeed = apperr.New(apperr.NotFound, "There is no calendar here.")

// FeedByToken answers a calendar app: the sessions of the counselor whose
// feed secret this is, while they are still an active counselor of the
// clinic. An unknown, replaced or stopped secret is not found.
func (s *Service) FeedByToken(ctx context.Context, token string) (Feed, error) {
	var f Feed
	if token == "" || len(token) > 100 {
		return f, errNoFeed
	}
	var owner struct {
		UserID     int64        `db:"user_id"`
		ClinicID   int64        `db:"clinic_id"`
		ClinicName string       `db:"clinic_name"`
		UsedAt     sql.NullTime `db:"used_at"`
	}
	err := s.db.GetContext(ctx, &owner, `SELECT f.user_id, f.clinic_id, cl.name AS clinic_name, f.used_at
		FROM calendar_feeds f JOIN users u ON u.id = f.user_id AND u.active
		JOIN clinics cl ON cl.id = f.clinic_id
		WHERE f.token_hash = $1 AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = f.user_id AND m.clinic_id = f.clinic_id
			AND m.role = 'counselor' AND m.active)`, s.hasher.Hash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return f, errNoFeed
	}
	if err != nil {
		return f, err
	}
	now := s.now()
	f.ClinicName = owner.ClinicName
	if err := s.db.SelectContext(ctx, &f.Events, `SELECT `+appointmentCols+appointmentFrom+`
		WHERE ap.clinic_id = $1 AND c.counselor_id = $2 AND ap.starts_at >= $3 AND ap.starts_at < $4
		  AND NOT (c.status = 'closed' AND ap.starts_at > $5)
		ORDER BY ap.starts_at, ap.id LIMIT 3000`, owner.ClinicID, owner.UserID, now.Add(-FeedPast), now.Add(FeedFuture), now); err != nil {
		return f, err
	}
	// When the feed was last fetched (shown to its owner), written at most
	// once an hour however often calendar apps poll.
	if !owner.UsedAt.Valid || now.Sub(owner.UsedAt.Time) > time.Hour {
		if _, err := s.db.ExecContext(ctx, `UPDATE calendar_feeds SET used_at = $3 WHERE user_id = $1 AND clinic_id = $2`,
			owner.UserID, owner.ClinicID, now); err != nil {
			return f, err
		}
	}
	return f, nil
}
