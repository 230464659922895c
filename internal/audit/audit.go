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
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/db"
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
	// Chain is the row's chain: its clinic, or 0 for an installation-level
	// event; NULL for a row of the legacy chain (see Logger). ChainSeq is
	// its position there, from 1.
	Chain    sql.NullInt64 `db:"chain" json:"-"`
	ChainSeq sql.NullInt64 `db:"chain_seq" json:"-"`
	// anchor is the hash of the legacy chain's last row when the row was
	// appended (nil: none), covered by the HMAC of a chained row, not stored.
	anchor []byte
}

// Logger appends events to the chains.
//
// Every clinic has its own chain, and events that belong to no clinic (a
// failed sign-in with an unknown email) have the installation's, chain 0:
// each row holds the HMAC of its content (its seq, chain and position
// included) and of the row before it in its chain. Appends to one chain are
// serialised by a transaction-level advisory lock of that chain, held until
// commit, so appends of different clinics never wait on each other. seq is
// the installation-wide order of appends (audit_log_seq, taken under the
// chain's lock, so it grows along each chain; a rolled-back append leaves a
// gap, which is not a missing row: positions in a chain have no gaps).
//
// The rows written before chains existed (migration 00022) are the legacy
// chain, one for the installation, each linked to the row before it by seq
// and verified as before. Every chained row's HMAC also covers the legacy
// chain's last row at the time (and a chain's first row links to it; zeros
// when there was none), so no legacy row can be removed without breaking
// the chained rows that follow it.
//
// Instances of the previous release may still append legacy rows during a
// rolling deploy: they take the installation-wide lock exclusively for each
// append; appends here take it in shared mode, so they never wait on each
// other, only (briefly) on such an append. The next release can drop it.
type Logger struct {
	key []byte
}

// New returns a Logger keyed with the audit key (kept outside the database).
func New(key []byte) *Logger { return &Logger{key: key} }

// lockKey is the installation-wide lock of the legacy chain (bigint form);
// chain locks are pg_advisory_xact_lock(lockKey, chain) (two-int form, a
// separate key space).
const lockKey = 0x6d656e64 // "mend"

// chainLock is a chain's key in the two-int advisory lock space. Two chains
// whose ids agree modulo 2³¹ share a lock: they wait on each other, nothing
// worse (each reads its own head).
func chainLock(chain int64) int32 { return int32(chain & 0x7fffffff) }

// Log appends ev inside the caller's transaction, so the event exists if and
// only if the change it records was committed. It waits only on appends of
// the same clinic (until they commit).
func (l *Logger) Log(ctx context.Context, tx sqlx.ExtContext, a actor.Actor, ev Event) error {
	clinic := ev.ClinicID
	if clinic == 0 {
		clinic = a.ClinicID
	}
	chain := clinic
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1::bigint), pg_advisory_xact_lock($2::int, $3::int)`,
		int64(lockKey), int32(lockKey), chainLock(chain)); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	// A statement of its own, after the lock: it sees the previous append
	// of the chain, committed while this one waited.
	var head struct {
		Seq      int64         `db:"seq"`
		ChainSeq sql.NullInt64 `db:"chain_seq"`
		Hash     []byte        `db:"hash"`
		Anchor   []byte        `db:"anchor"`
	}
	err := sqlx.GetContext(ctx, tx, &head, `SELECT nextval('audit_log_seq') AS seq, h.chain_seq, h.hash,
			(SELECT hash FROM audit_log WHERE chain IS NULL ORDER BY seq DESC LIMIT 1) AS anchor
		FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT chain_seq, hash FROM audit_log WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 1) h ON true`, chain)
	if err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	prev, pos := head.Hash, head.ChainSeq.Int64+1
	if !head.ChainSeq.Valid {
		prev = genesis(head.Anchor)
	}
	detail := []byte("{}")
	if len(ev.Detail) > 0 {
		if detail, err = json.Marshal(ev.Detail); err != nil {
			return err
		}
	}
	r := Row{
		Seq:        head.Seq,
		At:         when(tx),
		ActorID:    nullInt(a.UserID),
		ClinicID:   nullInt(clinic),
		Action:     ev.Action,
		ObjectType: ev.ObjectType,
		ObjectID:   nullInt(ev.ObjectID),
		CoupleID:   nullInt(ev.CoupleID),
		RequestID:  a.RequestID,
		IP:         a.IP,
		Detail:     string(detail),
		PrevHash:   prev,
		Chain:      sql.NullInt64{Int64: chain, Valid: true},
		ChainSeq:   sql.NullInt64{Int64: pos, Valid: true},
		anchor:     head.Anchor,
	}
	r.Hash = l.sum(r)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.Seq, r.At, r.ActorID, r.ClinicID, r.Action, r.ObjectType, r.ObjectID, r.CoupleID, r.RequestID, r.IP, r.Detail, r.PrevHash, r.Hash,
		r.Chain, r.ChainSeq)
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}

// when is the instant an event happens at: its transaction's (db.Tx.Now),
// so the audit row carries the same time as the change it records.
func when(tx sqlx.ExtContext) time.Time {
	return db.Now(tx).UTC().Truncate(time.Microsecond)
}

// genesis is what a chain's first row links to: the legacy chain's last
// row (nil: none, zeros).
func genesis(anchor []byte) []byte {
	if anchor == nil {
		return make([]byte, sha256.Size)
	}
	return anchor
}

// LogNow appends ev in a transaction of its own (for events with no other
// change to ride on, such as a failed login or a read of clinical content).
func (l *Logger) LogNow(ctx context.Context, d *sqlx.DB, a actor.Actor, ev Event) error {
	return db.InTx(ctx, d, func(tx *db.Tx) error { return l.Log(ctx, tx, a, ev) })
}

// sum is the row's HMAC over every column and the previous hash: the
// legacy form for a row without a chain, else the chained form, which
// also covers its chain, its position and its anchor.
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
	if r.Chain.Valid {
		m.Write([]byte("mend audit chain v2\x00"))
		num(r.Chain.Int64)
		num(r.ChainSeq.Int64)
		str(string(r.anchor))
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

// Link is the last row of one chain.
type Link struct {
	Chain int64 // the clinic, 0 for the installation; Legacy for the legacy chain
	Pos   int64 // position in the chain (the seq, for the legacy chain)
	Seq   int64
	Hash  string // hex
}

// Legacy is the Chain of a Link of the legacy chain (rows from before
// per-clinic chains).
const Legacy = -1

// Head is the end of every chain: kept elsewhere and given back to
// CheckHead, it catches rows cut from the end of any chain.
type Head struct {
	Rows  int64
	Links []Link // the legacy chain first, then by chain
}

// headHex is how much of each hash a head keeps: 128 bits of an HMAC,
// which no one can match without the key.
const headHex = 32

// String is the head as `mend audit verify` prints it and --expect-head
// takes it back: comma-separated L<seq>:<hash> for the legacy chain and
// <chain>.<position>:<hash> for each chain.
func (h Head) String() string {
	parts := make([]string, 0, len(h.Links))
	for _, k := range h.Links {
		if k.Chain == Legacy {
			parts = append(parts, fmt.Sprintf("L%d:%s", k.Pos, k.Hash[:headHex]))
		} else {
			parts = append(parts, fmt.Sprintf("%d.%d:%s", k.Chain, k.Pos, k.Hash[:headHex]))
		}
	}
	if len(parts) == 0 {
		return "empty"
	}
	return strings.Join(parts, ",")
}

// VerifyError names the first row that breaks a chain.
type VerifyError struct {
	Seq    int64 // the row (0: it is missing and no later row of its chain is present)
	Chain  int64 // its chain: a clinic, 0 for the installation, Legacy
	Pos    int64 // its position in the chain (0 for the legacy chain)
	Reason string
}

func (e *VerifyError) Error() string {
	if e.Chain == Legacy {
		return fmt.Sprintf("audit row %d: %s", e.Seq, e.Reason)
	}
	where := fmt.Sprintf("chain of clinic %d", e.Chain)
	if e.Chain == 0 {
		where = "installation chain"
	}
	if e.Seq == 0 {
		return fmt.Sprintf("audit %s, position %d: %s", where, e.Pos, e.Reason)
	}
	return fmt.Sprintf("audit row %d (%s, position %d): %s", e.Seq, where, e.Pos, e.Reason)
}

// Verify walks every row in seq order and checks each chain: every
// position present once and in order, each row linked to the one before it
// in its chain (the first to the legacy chain's last row before it), each
// row's content matching its HMAC. It returns the head, or a *VerifyError
// naming the first tampered, reordered or missing row.
func (l *Logger) Verify(ctx context.Context, d *sqlx.DB) (Head, error) {
	rows, err := d.QueryxContext(ctx, `SELECT seq, at, actor_id, clinic_id, action, object_type, object_id,
		couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq FROM audit_log ORDER BY seq`)
	if err != nil {
		return Head{}, err
	}
	defer rows.Close()
	zero := make([]byte, sha256.Size)
	var (
		head   Head
		last   *Row // the row before, in seq order
		legacy *Row // the legacy chain's last row so far
		chains = map[int64]*Row{}
	)
	for rows.Next() {
		var r Row
		if err := rows.StructScan(&r); err != nil {
			return head, err
		}
		head.Rows++
		if !r.Chain.Valid {
			// Legacy: numbered without gaps, linked to the row before it
			// by seq (whichever chain that row is in, for a legacy row
			// appended by a previous release's instance during a deploy).
			want, prev := int64(1), zero
			if last != nil {
				want, prev = last.Seq+1, last.Hash
			}
			switch {
			case r.Seq != want:
				return head, &VerifyError{Seq: want, Chain: Legacy, Reason: fmt.Sprintf("missing (next row present is %d)", r.Seq)}
			case r.ChainSeq.Valid:
				return head, &VerifyError{Seq: r.Seq, Chain: Legacy, Reason: "content does not match its hash (tampered)"}
			case !hmac.Equal(r.PrevHash, prev):
				return head, &VerifyError{Seq: r.Seq, Chain: Legacy, Reason: "does not link to the row before it (a row was removed or replaced)"}
			case !hmac.Equal(r.Hash, l.sum(r)):
				return head, &VerifyError{Seq: r.Seq, Chain: Legacy, Reason: "content does not match its hash (tampered)"}
			}
			legacy = &r
		} else {
			c, pos := r.Chain.Int64, r.ChainSeq.Int64
			before := chains[c]
			want, prev := int64(1), zero
			if legacy != nil {
				r.anchor, prev = legacy.Hash, legacy.Hash
			}
			if before != nil {
				want, prev = before.ChainSeq.Int64+1, before.Hash
			}
			switch {
			case pos > want:
				return head, &VerifyError{Seq: r.Seq, Chain: c, Pos: pos,
					Reason: fmt.Sprintf("position %d is missing before it (a row was removed)", want)}
			case pos < want:
				return head, &VerifyError{Seq: r.Seq, Chain: c, Pos: pos,
					Reason: fmt.Sprintf("out of order: position %d comes after position %d (rows were reordered or copied)", pos, want-1)}
			case !hmac.Equal(r.PrevHash, prev):
				return head, &VerifyError{Seq: r.Seq, Chain: c, Pos: pos, Reason: "does not link to the row before it in its chain (a row was removed or replaced)"}
			case !hmac.Equal(r.Hash, l.sum(r)) || c != r.ClinicID.Int64:
				return head, &VerifyError{Seq: r.Seq, Chain: c, Pos: pos,
					Reason: "content does not match its hash (tampered, or a row of the legacy chain before it was removed)"}
			}
			chains[c] = &r
		}
		last = &r
	}
	if err := rows.Err(); err != nil {
		return head, err
	}
	if legacy != nil {
		head.Links = append(head.Links, Link{Chain: Legacy, Pos: legacy.Seq, Seq: legacy.Seq, Hash: hex.EncodeToString(legacy.Hash)})
	}
	ids := make([]int64, 0, len(chains))
	for c := range chains {
		ids = append(ids, c)
	}
	slices.Sort(ids)
	for _, c := range ids {
		r := chains[c]
		head.Links = append(head.Links, Link{Chain: c, Pos: r.ChainSeq.Int64, Seq: r.Seq, Hash: hex.EncodeToString(r.Hash)})
	}
	return head, nil
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// CheckHead confirms that a head recorded earlier is still in the chains,
// so rows cut from the end of any chain (or a whole chain) are noticed. It
// takes what Head.String prints, and the SEQ:HASH head of a release from
// before per-clinic chains (a row of the legacy chain).
func (l *Logger) CheckHead(ctx context.Context, d *sqlx.DB, expect string) error {
	expect = strings.TrimSpace(expect)
	if expect == "" {
		return fmt.Errorf("--expect-head: want the head that mend audit verify printed")
	}
	if expect == "empty" {
		return nil
	}
	for _, part := range strings.Split(expect, ",") {
		k, want, err := parseLink(part)
		if err != nil {
			return fmt.Errorf("--expect-head: %w", err)
		}
		var got []byte
		if k.Chain == Legacy {
			err = d.GetContext(ctx, &got, `SELECT hash FROM audit_log WHERE seq = $1 AND chain IS NULL`, k.Pos)
		} else {
			err = d.GetContext(ctx, &got, `SELECT hash FROM audit_log WHERE chain = $1 AND chain_seq = $2`, k.Chain, k.Pos)
		}
		seq := k.Pos
		if k.Chain != Legacy {
			seq = 0
		}
		if errors.Is(err, sql.ErrNoRows) {
			return &VerifyError{Seq: seq, Chain: k.Chain, Pos: pos(k), Reason: "the expected head is missing: rows were cut from the end of the chain"}
		}
		if err != nil {
			return err
		}
		if !strings.HasPrefix(hex.EncodeToString(got), want) {
			return &VerifyError{Seq: seq, Chain: k.Chain, Pos: pos(k), Reason: "the row at the expected head has a different hash"}
		}
	}
	return nil
}

func pos(k Link) int64 {
	if k.Chain == Legacy {
		return 0
	}
	return k.Pos
}

// parseLink reads one link of a head: L<seq>:<hex>, <chain>.<pos>:<hex>,
// or the legacy <seq>:<hex> (a whole hash).
func parseLink(s string) (Link, string, error) {
	bad := fmt.Errorf("want L<seq>:<hash> or <chain>.<position>:<hash> (comma-separated), got %q", s)
	ref, h, ok := strings.Cut(strings.TrimSpace(s), ":")
	h = strings.ToLower(h)
	if !ok || len(h) < headHex || len(h) > 2*sha256.Size || strings.Trim(h, "0123456789abcdef") != "" {
		return Link{}, "", bad
	}
	var k Link
	if n, ok := strings.CutPrefix(ref, "L"); ok {
		k.Chain = Legacy
		ref = n
	} else if c, p, ok := strings.Cut(ref, "."); ok {
		chain, err := strconv.ParseInt(c, 10, 64)
		if err != nil || chain < 0 {
			return Link{}, "", bad
		}
		k.Chain, ref = chain, p
	} else {
		k.Chain = Legacy
		if len(h) != 2*sha256.Size {
			return Link{}, "", bad
		}
	}
	p, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || p < 1 {
		return Link{}, "", bad
	}
	k.Pos = p
	return k, h, nil
}
