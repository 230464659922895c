// Package security holds Mend's authentication hardening: login throttling
// and TOTP two-factor authentication. State lives in PostgreSQL so every
// server instance agrees.
package security

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/db"
)

// Throttle limits.
const (
	Window        = 15 * time.Minute
	MaxPerAccount = 5  // failures per account key in Window before a lockout
	MaxPerIP      = 20 // failures per client IP in Window
	FirstLockout  = time.Minute
	MaxLockout    = time.Hour
	LockoutMemory = 24 * time.Hour // a lockout older than this no longer doubles the next (and is swept)
)

// Throttle counts failed sign-ins per account key and per client IP.
type Throttle struct {
	db  *sqlx.DB
	now func() time.Time
}

// NewThrottle returns a throttle backed by the database.
func NewThrottle(d *sqlx.DB) *Throttle { return &Throttle{db: d, now: time.Now} }

// AccountKey is the throttle key of a typed email: normalized the same way
// whether or not an account exists, and hashed so the table holds no emails.
func AccountKey(email string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return "email:" + hex.EncodeToString(sum[:])
}

// IPKey is the throttle key of a client IP.
func IPKey(ip string) string { return "ip:" + ip }

// Check answers how long the caller must wait before trying again (0: go
// ahead) without counting anything. Sign-in paths use Begin, which checks
// and counts in one step.
func (t *Throttle) Check(ctx context.Context, email, ip string) (time.Duration, error) {
	now := t.now()
	var until time.Time
	err := t.db.GetContext(ctx, &until, `SELECT locked_until FROM login_lockouts WHERE key = $1`, AccountKey(email))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	wait := until.Sub(now)
	if w, err := t.ipWait(ctx, t.db, IPKey(ip), now); err != nil {
		return 0, err
	} else if w > wait {
		wait = w
	}
	if wait < 0 {
		wait = 0
	}
	return wait, nil
}

// Fail records a failed attempt for the account key and the IP. Reaching
// MaxPerAccount failures locks the account key: 1 minute, then 2, 4, … up
// to an hour for lockouts in a row.
func (t *Throttle) Fail(ctx context.Context, email, ip string) error {
	now := t.now()
	ak := AccountKey(email)
	return db.InTx(ctx, t.db, func(tx *db.Tx) error {
		if err := lockKeys(ctx, tx, ak, IPKey(ip)); err != nil {
			return err
		}
		if _, err := t.record(ctx, tx, now, ak, IPKey(ip)); err != nil {
			return err
		}
		return t.lockIfFull(ctx, tx, now, ak)
	})
}

// lockKeys serialises the throttle's work per key (account first, then IP,
// always in that order), so concurrent attempts count exactly.
func lockKeys(ctx context.Context, tx *db.Tx, keys ...string) error {
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, k); err != nil {
			return err
		}
	}
	return nil
}

// record forgets failures older than the window and adds one for each key.
func (t *Throttle) record(ctx context.Context, tx *db.Tx, now time.Time, keys ...string) ([]int64, error) {
	var ids []int64
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1 AND at <= $2`, k, now.Add(-Window)); err != nil {
			return nil, err
		}
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO login_failures (key, at) VALUES ($1, $2) RETURNING id`, k, now); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// lockIfFull turns MaxPerAccount failures of the account key into a
// lockout (growing with lockouts in a row) and clears them.
func (t *Throttle) lockIfFull(ctx context.Context, tx *db.Tx, now time.Time, ak string) error {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM login_failures WHERE key = $1 AND at > $2`, ak, now.Add(-Window)); err != nil {
		return err
	}
	if n < MaxPerAccount {
		return nil
	}
	prev, err := previousLockouts(ctx, tx, ak, now)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO login_lockouts (key, lockouts, locked_until) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET lockouts = EXCLUDED.lockouts, locked_until = EXCLUDED.locked_until`,
		ak, prev+1, now.Add(LockoutFor(prev+1))); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, ak)
	return err
}

// previousLockouts counts the account key's lockouts in a row (a lockout
// older than LockoutMemory no longer counts).
func previousLockouts(ctx context.Context, q sqlx.QueryerContext, ak string, now time.Time) (int, error) {
	var prev struct {
		Lockouts int       `db:"lockouts"`
		Until    time.Time `db:"locked_until"`
	}
	err := sqlx.GetContext(ctx, q, &prev, `SELECT lockouts, locked_until FROM login_lockouts WHERE key = $1`, ak)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if now.Sub(prev.Until) > LockoutMemory {
		return 0, nil
	}
	return prev.Lockouts, nil
}

// Attempt is one try at a credential (a password, a two-factor code). It
// is counted as a failure from the moment it begins: Begin checks the
// limits and records the try in one transaction, under a lock per account
// key and per IP, so a burst of parallel tries never gets more than the
// limit allows. The caller ends it with Fail (it stays counted and may
// lock the account), Release (the credential was right: the try is taken
// back) or Succeed (a finished sign-in: the account's failures and lockout
// are cleared as well). An attempt that is never ended stays counted.
type Attempt struct {
	t     *Throttle
	email string
	ids   []int64
}

// Begin starts an attempt for the typed email from the client IP. A
// positive wait means the caller must refuse it (429): the account is
// locked, earlier attempts still being checked have used up its allowance,
// or the IP is over its limit. Refused attempts are not counted.
func (t *Throttle) Begin(ctx context.Context, email, ip string) (*Attempt, time.Duration, error) {
	now := t.now()
	ak, ik := AccountKey(email), IPKey(ip)
	var att *Attempt
	var wait time.Duration
	err := db.InTx(ctx, t.db, func(tx *db.Tx) error {
		if err := lockKeys(ctx, tx, ak, ik); err != nil {
			return err
		}
		var until time.Time
		err := tx.GetContext(ctx, &until, `SELECT locked_until FROM login_lockouts WHERE key = $1`, ak)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		wait = until.Sub(now)
		if wait <= 0 {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM login_failures WHERE key = $1 AND at > $2`, ak, now.Add(-Window)); err != nil {
				return err
			}
			if n >= MaxPerAccount { // attempts in flight may yet lock the account
				prev, err := previousLockouts(ctx, tx, ak, now)
				if err != nil {
					return err
				}
				wait = LockoutFor(prev + 1)
			}
		}
		if w, err := t.ipWait(ctx, tx, ik, now); err != nil {
			return err
		} else if w > wait {
			wait = w
		}
		if wait > 0 {
			return nil
		}
		ids, err := t.record(ctx, tx, now, ak, ik)
		if err != nil {
			return err
		}
		att = &Attempt{t: t, email: email, ids: ids}
		return nil
	})
	if err != nil || wait > 0 {
		return nil, max(wait, 0), err
	}
	return att, 0, nil
}

// ipWait is how long the IP must wait: the MaxPerIP-th most recent failure
// decides when it may try again.
func (t *Throttle) ipWait(ctx context.Context, q sqlx.QueryerContext, ik string, now time.Time) (time.Duration, error) {
	var row struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT count(*) AS n, min(at) AS oldest FROM (
		SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3) f`,
		ik, now.Add(-Window), MaxPerIP)
	if err != nil || row.N < MaxPerIP || !row.Oldest.Valid {
		return 0, err
	}
	return row.Oldest.Time.Add(Window).Sub(now), nil
}

// Fail ends a wrong attempt: it stays counted, and the account is locked
// when it reaches MaxPerAccount failures.
func (a *Attempt) Fail(ctx context.Context) error {
	now := a.t.now()
	ak := AccountKey(a.email)
	return db.InTx(ctx, a.t.db, func(tx *db.Tx) error {
		if err := lockKeys(ctx, tx, ak); err != nil {
			return err
		}
		return a.t.lockIfFull(ctx, tx, now, ak)
	})
}

// Release takes the attempt back: the credential was right (for example a
// password before its second factor), or the request was refused before
// any credential was checked.
func (a *Attempt) Release(ctx context.Context) error {
	_, err := a.t.db.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ANY($1)`, pq.Array(a.ids))
	return err
}

// Succeed ends a successful sign-in: the attempt is taken back and the
// account's failures and lockouts are cleared (not the IP's).
func (a *Attempt) Succeed(ctx context.Context) error {
	if err := a.Release(ctx); err != nil {
		return err
	}
	return a.t.Succeed(ctx, a.email)
}

// LockoutFor is the length of the n-th lockout in a row (n ≥ 1).
func LockoutFor(n int) time.Duration {
	d := FirstLockout
	for i := 1; i < n && d < MaxLockout; i++ {
		d *= 2
	}
	return min(d, MaxLockout)
}

// Succeed clears the account key's failures and lockouts (not the IP's).
func (t *Throttle) Succeed(ctx context.Context, email string) error {
	ak := AccountKey(email)
	if _, err := t.db.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, ak); err != nil {
		return err
	}
	_, err := t.db.ExecContext(ctx, `DELETE FROM login_lockouts WHERE key = $1`, ak)
	return err
}

// RetryMessage is the sign-in page's message for a wait.
func RetryMessage(wait time.Duration) string {
	m := int((wait + time.Minute - 1) / time.Minute)
	if m <= 1 {
		return "Too many attempts. Try again in 1 minute."
	}
	return "Too many attempts. Try again in " + itoa(m) + " minutes."
}

// RetrySeconds rounds a wait up to whole seconds (at least 1).
func RetrySeconds(wait time.Duration) int64 {
	s := int64((wait + time.Second - 1) / time.Second)
	return max(s, 1)
}
