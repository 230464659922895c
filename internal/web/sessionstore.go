package web

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"reflect"
	"time"

	"github.com/alexedwards/scs/postgresstore"
	"github.com/alexedwards/scs/v2"
)

// sessionSlack is how far the stored expiry of a session may lag behind
// its idle deadline: a session that did not change is written again only
// when its deadline has to move by this much or more, so at most once a
// minute, and it may end up to a minute before its full idle timeout.
const sessionSlack = time.Minute

// sessionStore is scs's PostgreSQL store (the same table and rows, tokens
// stored hashed) that writes a session only when it changed or its idle
// deadline needs moving. scs marks every session that has an idle timeout
// as modified on every request, so that its expiry moves; with the plain
// store that is an INSERT … ON CONFLICT and a commit (an fsync) per page
// view. Everything else is as before: the absolute lifetime is in the
// session's data and caps the expiry, a logout or a sign-in deletes the row,
// and revocation (users.sessions_valid_after) is checked on every request
// by pageActor, on every instance.
type sessionStore struct {
	*postgresstore.PostgresStore
	db    *sql.DB
	codec scs.Codec
}

func newSessionStore(d *sql.DB, cleanup time.Duration) *sessionStore {
	return &sessionStore{PostgresStore: postgresstore.NewWithCleanupInterval(d, cleanup), db: d, codec: scs.GobCodec{}}
}

// loadedSession is the stored row a request's session was loaded from.
type loadedSession struct {
	token  string // hashed
	data   []byte
	expiry time.Time
}

type loadedSessionKey struct{}

// withLoadedSession gives a request the place where the store notes the
// session it loads.
func withLoadedSession(ctx context.Context) context.Context {
	return context.WithValue(ctx, loadedSessionKey{}, &loadedSession{})
}

func loadedFrom(ctx context.Context) *loadedSession {
	l, _ := ctx.Value(loadedSessionKey{}).(*loadedSession)
	return l
}

// FindCtx returns a live session's data and notes what was stored.
func (s *sessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	var expiry time.Time
	err := s.db.QueryRowContext(ctx, `SELECT data, expiry FROM sessions WHERE token = $1 AND current_timestamp < expiry`, token).Scan(&b, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if l := loadedFrom(ctx); l != nil {
		*l = loadedSession{token: token, data: b, expiry: expiry}
	}
	return b, true, nil
}

// CommitCtx writes the session unless it is the one loaded, unchanged, and
// its stored expiry is less than sessionSlack behind the new one.
func (s *sessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	l := loadedFrom(ctx)
	if l != nil && l.token == token && expiry.Sub(l.expiry) < sessionSlack && s.same(l.data, b) {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = EXCLUDED.data, expiry = EXCLUDED.expiry`, token, b, expiry); err != nil {
		return err
	}
	if l != nil {
		*l = loadedSession{token: token, data: b, expiry: expiry}
	}
	return nil
}

// same reports whether two encodings hold the same session: gob writes a
// map in no fixed order, so equal sessions may differ byte for byte.
func (s *sessionStore) same(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	da, va, err := s.codec.Decode(a)
	if err != nil {
		return false
	}
	db, vb, err := s.codec.Decode(b)
	if err != nil {
		return false
	}
	return da.Equal(db) && reflect.DeepEqual(va, vb)
}

// DeleteCtx removes a session (logout, a new sign-in, a revoked session).
func (s *sessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return err
}

// Find, Commit and Delete are the context-free forms scs's Store names.
func (s *sessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

func (s *sessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

func (s *sessionStore) Delete(token string) error { return s.DeleteCtx(context.Background(), token) }
