package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
)

// manyChunk bounds the rows of one INSERT (13 parameters each).
const manyChunk = 1000

// LogMany appends several events by one actor inside the caller's
// transaction, as Log would one by one, but taking the chain's lock and
// reading its head once: for background jobs that record many changes at
// once (a day's occurrences of recurring work).
func (l *Logger) LogMany(ctx context.Context, tx sqlx.ExtContext, a actor.Actor, evs []Event) error {
	if len(evs) == 0 {
		return nil
	}
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
	at := time.Now().UTC().Truncate(time.Microsecond)
	rows := make([]Row, 0, len(evs))
	for _, ev := range evs {
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
		r := Row{Seq: last.Seq + 1, At: at, ActorID: nullInt(a.UserID), ClinicID: nullInt(clinic), Action: ev.Action,
			ObjectType: ev.ObjectType, ObjectID: nullInt(ev.ObjectID), CoupleID: nullInt(ev.CoupleID), RequestID: a.RequestID,
			IP: a.IP, Detail: string(detail), PrevHash: last.Hash}
		r.Hash = l.sum(r)
		rows = append(rows, r)
		last.Seq, last.Hash = r.Seq, r.Hash
	}
	for len(rows) > 0 {
		n := min(manyChunk, len(rows))
		if _, err := sqlx.NamedExecContext(ctx, tx, `INSERT INTO audit_log
			(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash)
			VALUES (:seq, :at, :actor_id, :clinic_id, :action, :object_type, :object_id, :couple_id, :request_id, :ip, :detail, :prev_hash, :hash)`,
			rows[:n]); err != nil {
			return fmt.Errorf("audit append: %w", err)
		}
		rows = rows[n:]
	}
	return nil
}
