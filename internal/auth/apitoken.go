package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Session and API token lifetimes.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
)

// Tokens issues and checks API bearer tokens, stored hashed.
type Tokens struct {
	db     *sqlx.DB
	hasher Hasher
	now    func() time.Time
}

// NewTokens returns the API token store.
func NewTokens(db *sqlx.DB, h Hasher) *Tokens { return &Tokens{db: db, hasher: h, now: time.Now} }

// Issue creates a token for the user and returns it (shown once, never stored).
func (t *Tokens) Issue(ctx context.Context, userID int64) (string, error) {
	tok := NewToken()
	now := t.now()
	_, err := t.db.ExecContext(ctx, `INSERT INTO api_tokens (user_id, token_hash, created_at, last_used_at, expires_at)
		VALUES ($1, $2, $3, $3, $4)`, userID, t.hasher.Hash(tok), now, now.Add(AbsoluteTimeout))
	return tok, err
}

// Lookup returns the user id and issue time of a live token, sliding its
// idle deadline. ok is false for unknown, idle-expired or expired tokens.
func (t *Tokens) Lookup(ctx context.Context, token string) (userID int64, issued time.Time, ok bool, err error) {
	var row struct {
		UserID    int64     `db:"user_id"`
		CreatedAt time.Time `db:"created_at"`
	}
	// One statement: find the live token and touch it (at most once a minute).
	err = t.db.GetContext(ctx, &row, `UPDATE api_tokens SET last_used_at = CASE
			WHEN last_used_at < now() - interval '1 minute' THEN now() ELSE last_used_at END
		WHERE token_hash = $1 AND expires_at > now() AND last_used_at > now() - $2 * interval '1 second'
		RETURNING user_id, created_at`, t.hasher.Hash(token), int(IdleTimeout.Seconds()))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, err
	}
	return row.UserID, row.CreatedAt, true, nil
}

// Revoke deletes one token.
func (t *Tokens) Revoke(ctx context.Context, token string) error {
	_, err := t.db.ExecContext(ctx, `DELETE FROM api_tokens WHERE token_hash = $1`, t.hasher.Hash(token))
	return err
}
