// Package audit writes and verifies Mend's append-only, HMAC-chained audit
// trail. Events carry ids and actions, never clinical content.
package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
)

// Event is one audited action.
type Event struct {
	Action     string // e.g. "login", "couple.reassign", "response.read"
	ObjectType string
	ObjectID   int64
	CoupleID   int64
	ClinicID   int64 // defaults to the actor's clinic
	Detail     map[string]any
}

// Row is a stored audit event.
type Row struct {
	Seq        int64          `db:"seq" json:"seq"`
	At         time.Time      `db:"at" json:"at"`
	ActorID    sql.NullInt64  `db:"actor_id" json:"-"`
	ClinicID   sql.NullInt64  `db:"clinic_id" json:"-"`
	Action     string         `db:"action" json:"action"`
	ObjectType string         `db:"object_type" json:"object_type"`
	ObjectID   sql.NullInt64  `db:"object_id" json:"-"`
	CoupleID   sql.NullInt64  `db:"couple_id" json:"-"`
	RequestID  string         `db:"request_id" json:"request_id"`
	IP         string         `db:"ip" json:"ip"`
	Detail     string         `db:"detail" json:"-"`
	PrevHash   []byte         `db:"prev_hash" json:"-"`
	Hash       []byte         `db:"hash" json:"-"`
	ActorName  sql.NullString `db:"actor_name" json:"-"`
}

// Logger appends events to the chain.
type Logger struct {
	key []byte
}

// New returns a Logger keyed with the audit key (kept outside the database).
func New(key []byte) *Logger { return &Logger{key: key} }

// lockKey serialises appends so each row chains onto the one before it.
const lockKey = 0x6d656e64 // "mend"

// Log appends ev inside the caller's transaction, so the event exists if and
// only if the change it records was committed.
func (l *Logger) Log(ctx context.Context, tx sqlx.ExtContext, a actor.Actor, ev Event) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	var last struct {
		Seq  int64  `db:"seq"`
		Hash []byte `db:"hash"`
	}
	err := sqlx.GetContext(ctx, tx, &last, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		last.Hash = make([]byte, sha256.Size)
	} else if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	detail := []byte("{}")
	if len(ev.Detail) > 0 {
		if detail, err = json.Marshal(ev.Detail); err != nil {
			return err
		}
	}
	clinic := ev.ClinicID
	if clinic == 0 {
		clinic = a.ClinicID
	}
	r := Row{
		Seq:        last.Seq + 1,
		At:         time.Now().UTC().Truncate(time.Microsecond),
		ActorID:    nullInt(a.UserID),
		ClinicID:   nullInt(clinic),
		Action:     ev.Action,
		ObjectType: ev.ObjectType,
		ObjectID:   nullInt(ev.ObjectID),
		CoupleID:   nullInt(ev.CoupleID),
		RequestID:  a.RequestID,
		IP:         a.IP,
		Detail:     string(detail),
		PrevHash:   last.Hash,
	}
	r.Hash = l.sum(r)
	_, err = sqlx.NamedExecContext(ctx, tx, `INSERT INTO audit_log
		(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash)
		VALUES (:seq, :at, :actor_id, :clinic_id, :action, :object_type, :object_id, :couple_id, :request_id, :ip, :detail, :prev_hash, :hash)`, r)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}

// LogNow appends ev in a transaction of its own (for events with no other
// change to ride on, such as a failed login or a read of clinical content).
func (l *Logger) LogNow(ctx context.Context, d *sqlx.DB, a actor.Actor, ev Event) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := l.Log(ctx, tx, a, ev); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// sum is the row's HMAC over every column and the previous hash.
func (l *Logger) sum(r Row) []byte {
	m := hmac.New(sha256.New, l.key)
	num := func(v int64) { var b [8]byte; binary.BigEndian.PutUint64(b[:], uint64(v)); m.Write(b[:]) }
	str := func(s string) { num(int64(len(s))); m.Write([]byte(s)) }
	null := func(n sql.NullInt64) {
		if n.Valid {
			m.Write([]byte{1})
			num(n.Int64)
		} else {
			m.Write([]byte{0})
		}
	}
	num(r.Seq)
	num(r.At.UTC().UnixMicro())
	null(r.ActorID)
	null(r.ClinicID)
	str(r.Action)
	str(r.ObjectType)
	null(r.ObjectID)
	null(r.CoupleID)
	str(r.RequestID)
	str(r.IP)
	str(r.Detail)
	m.Write(r.PrevHash)
	return m.Sum(nil)
}

// Head is the last link of the chain.
type Head struct {
	Seq  int64
	Hash string // hex
}

func (h Head) String() string { return fmt.Sprintf("%d:%s", h.Seq, h.Hash) }

// VerifyError names the first row that breaks the chain.
type VerifyError struct {
	Seq    int64
	Reason string
}

func (e *VerifyError) Error() string { return fmt.Sprintf("audit row %d: %s", e.Seq, e.Reason) }

// Verify walks the whole chain in order and returns its head, or a
// *VerifyError naming the first tampered or missing row.
func (l *Logger) Verify(ctx context.Context, d *sqlx.DB) (Head, error) {
	rows, err := d.QueryxContext(ctx, `SELECT seq, at, actor_id, clinic_id, action, object_type, object_id,
		couple_id, request_id, ip, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return Head{}, err
	}
	defer rows.Close()
	prev := make([]byte, sha256.Size)
	var head Head
	var want int64 = 1
	for rows.Next() {
		var r Row
		if err := rows.StructScan(&r); err != nil {
			return head, err
		}
		switch {
		case r.Seq != want:
			return head, &VerifyError{Seq: want, Reason: fmt.Sprintf("missing (next row present is %d)", r.Seq)}
		case !hmac.Equal(r.PrevHash, prev):
			return head, &VerifyError{Seq: r.Seq, Reason: "does not link to the row before it (a row was removed or replaced)"}
		case !hmac.Equal(r.Hash, l.sum(r)):
			return head, &VerifyError{Seq: r.Seq, Reason: "content does not match its hash (tampered)"}
		}
		prev, want = r.Hash, r.Seq+1
		head = Head{Seq: r.Seq, Hash: hex.EncodeToString(r.Hash)}
	}
	return head, rows.Err()
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// CheckHead confirms that a head recorded earlier (SEQ:HASH) is still in the
// chain, so rows cut from the end are noticed.
func (l *Logger) CheckHead(ctx context.Context, d *sqlx.DB, expect string) error {
	var seq int64
	var want string
	if _, err := fmt.Sscanf(strings.Replace(expect, ":", " ", 1), "%d %s", &seq, &want); err != nil {
		return fmt.Errorf("--expect-head: want SEQ:HASH, got %q", expect)
	}
	var got []byte
	err := d.GetContext(ctx, &got, `SELECT hash FROM audit_log WHERE seq = $1`, seq)
	if errors.Is(err, sql.ErrNoRows) {
		return &VerifyError{Seq: seq, Reason: "the expected head is missing: rows were cut from the end of the chain"}
	}
	if err != nil {
		return err
	}
	if hex.EncodeToString(got) != strings.ToLower(want) {
		return &VerifyError{Seq: seq, Reason: "the row at the expected head has a different hash"}
	}
	return nil
}
