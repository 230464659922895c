package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
)

// manyChunk bounds the rows of one INSERT (15 parameters each).
const manyChunk = 1000

// LogMany appends several events by one actor inside the caller's
// transaction, as Log would one by one, but taking each chain's lock and
// reading its head once: for background jobs that record many changes at
// once (a day's occurrences of recurring work). The events of each clinic
// keep their order in that clinic's chain; chains are locked in ascending
// order, as Log's callers do, so two batches never deadlock.
func (l *Logger) LogMany(ctx context.Context, tx sqlx.ExtContext, a actor.Actor, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
	byChain := map[int64][]Event{}
	var chains []int64
	for _, ev := range evs {
		c := ev.ClinicID
		if c == 0 {
			c = a.ClinicID
		}
		ev.ClinicID = c
		if _, ok := byChain[c]; !ok {
			chains = append(chains, c)
		}
		byChain[c] = append(byChain[c], ev)
	}
	slices.Sort(chains)
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared($1::bigint)`, int64(lockKey)); err != nil {
		return fmt.Errorf("audit lock: %w", err)
	}
	at := when(tx)
	var rows []Row
	for _, chain := range chains {
		batch := byChain[chain]
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1::int, $2::int)`, int32(lockKey), chainLock(chain)); err != nil {
			return fmt.Errorf("audit lock: %w", err)
		}
		var head struct {
			ChainSeq sql.NullInt64 `db:"chain_seq"`
			Hash     []byte        `db:"hash"`
			Anchor   []byte        `db:"anchor"`
		}
		if err := sqlx.GetContext(ctx, tx, &head, `SELECT h.chain_seq, h.hash,
				(SELECT hash FROM audit_log WHERE chain IS NULL ORDER BY seq DESC LIMIT 1) AS anchor
			FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT chain_seq, hash FROM audit_log WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 1) h ON true`,
			chain); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		// Installation-wide positions, taken under the chain's lock so
		// they grow along it (as Log's nextval does).
		var seqs []int64
		if err := sqlx.SelectContext(ctx, tx, &seqs, `SELECT nextval('audit_log_seq') FROM generate_series(1, $1::int)`, len(batch)); err != nil {
			return fmt.Errorf("audit seq: %w", err)
		}
		slices.Sort(seqs)
		prev, pos := head.Hash, head.ChainSeq.Int64
		if !head.ChainSeq.Valid {
			prev = genesis(head.Anchor)
		}
		for i, ev := range batch {
			detail := []byte("{}")
			if len(ev.Detail) > 0 {
				var err error
				if detail, err = json.Marshal(ev.Detail); err != nil {
					return err
				}
			}
			pos++
			r := Row{Seq: seqs[i], At: at, ActorID: nullInt(a.UserID), ClinicID: nullInt(chain), Action: ev.Action,
				ObjectType: ev.ObjectType, ObjectID: nullInt(ev.ObjectID), CoupleID: nullInt(ev.CoupleID), RequestID: a.RequestID,
				IP: a.IP, Detail: string(detail), PrevHash: prev,
				Chain: sql.NullInt64{Int64: chain, Valid: true}, ChainSeq: sql.NullInt64{Int64: pos, Valid: true}, anchor: head.Anchor}
			r.Hash = l.sum(r)
			rows = append(rows, r)
			prev = r.Hash
		}
	}
	for len(rows) > 0 {
		n := min(manyChunk, len(rows))
		if err := insertRows(ctx, tx, rows[:n]); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertRows writes rows in one statement (columns as arrays, unnested).
func insertRows(ctx context.Context, tx sqlx.ExtContext, rows []Row) error {
	var (
		seq, actorID, clinicID, objectID, coupleID, chain, chainSeq []sql.NullInt64
		at, action, objectType, requestID, ip, detail               []string
		prev, hash                                                  [][]byte
	)
	for _, r := range rows {
		seq = append(seq, sql.NullInt64{Int64: r.Seq, Valid: true})
		at = append(at, r.At.Format(time.RFC3339Nano))
		actorID, clinicID, objectID, coupleID = append(actorID, r.ActorID), append(clinicID, r.ClinicID), append(objectID, r.ObjectID),
			append(coupleID, r.CoupleID)
		action, objectType, requestID, ip, detail = append(action, r.Action), append(objectType, r.ObjectType),
			append(requestID, r.RequestID), append(ip, r.IP), append(detail, r.Detail)
		prev, hash = append(prev, r.PrevHash), append(hash, r.Hash)
		chain, chainSeq = append(chain, r.Chain), append(chainSeq, r.ChainSeq)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq)
		SELECT u.seq, u.at, u.actor_id, u.clinic_id, u.action, u.object_type, u.object_id, u.couple_id, u.request_id, u.ip, u.detail,
			u.prev_hash, u.hash, u.chain, u.chain_seq
		FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[],
			$8::bigint[], $9::text[], $10::text[], $11::text[], $12::bytea[], $13::bytea[], $14::bigint[], $15::bigint[])
			AS u(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq)`,
		pq.Array(seq), pq.Array(at), pq.Array(actorID), pq.Array(clinicID), pq.Array(action), pq.Array(objectType), pq.Array(objectID),
		pq.Array(coupleID), pq.Array(requestID), pq.Array(ip), pq.Array(detail), pq.Array(prev), pq.Array(hash), pq.Array(chain),
		pq.Array(chainSeq))
	if err != nil {
		return fmt.Errorf("audit append: %w", err)
	}
	return nil
}
