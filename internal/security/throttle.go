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
)

// Throttle limits.
const (
	Window         = 15 * time.Minute
	MaxPerAccount  = 5  // failures per account key in Window before a lockout
	MaxPerIP       = 20 // failures per client IP in Window
	FirstLockout   = time.Minute
	MaxLockout     = time.Hour
	lockoutForgets = 24 * time.Hour // a lockout older than this no longer doubles the next
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
// ahead). It is called before the password is verified.
func (t *Throttle) Check(ctx context.Context, email, ip string) (time.Duration, error) {
	now := t.now()
	var until time.Time
	err := t.db.GetContext(ctx, &until, `SELECT locked_until FROM login_lockouts WHERE key = $1`, AccountKey(email))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	wait := until.Sub(now)
	var ipRow struct {
		N      int          `db:"n"`
		Oldest sql.NullTime `db:"oldest"`
	}
	// The MaxPerIP-th most recent failure decides when the IP may try again.
	err = t.db.GetContext(ctx, &ipRow, `SELECT count(*) AS n, min(at) AS oldest FROM (
		SELECT at FROM login_failures WHERE key = $1 AND at > $2 ORDER BY at DESC LIMIT $3) f`,
		IPKey(ip), now.Add(-Window), MaxPerIP)
	if err != nil {
		return 0, err
	}
	if ipRow.N >= MaxPerIP && ipRow.Oldest.Valid {
		if w := ipRow.Oldest.Time.Add(Window).Sub(now); w > wait {
			wait = w
		}
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
	tx, err := t.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Serialise per account key so concurrent failures count exactly.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, ak); err != nil {
		return err
	}
	for _, k := range []string{ak, IPKey(ip)} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1 AND at <= $2`, k, now.Add(-Window)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_failures (key, at) VALUES ($1, $2)`, k, now); err != nil {
			return err
		}
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM login_failures WHERE key = $1 AND at > $2`, ak, now.Add(-Window)); err != nil {
		return err
	}
	if n >= MaxPerAccount {
		var prev struct {
			Lockouts int       `db:"lockouts"`
			Until    time.Time `db:"locked_until"`
		}
		err := tx.GetContext(ctx, &prev, `SELECT lockouts, locked_until FROM login_lockouts WHERE key = $1`, ak)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if now.Sub(prev.Until) > lockoutForgets {
			prev.Lockouts = 0
		}
		d := LockoutFor(prev.Lockouts + 1)
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_lockouts (key, lockouts, locked_until) VALUES ($1, $2, $3)
			ON CONFLICT (key) DO UPDATE SET lockouts = EXCLUDED.lockouts, locked_until = EXCLUDED.locked_until`,
			ak, prev.Lockouts+1, now.Add(d)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = $1`, ak); err != nil {
			return err
		}
	}
	return tx.Commit()
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
