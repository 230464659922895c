package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
)

// LegacyAppend appends ev the way the release before per-clinic chains
// did (and its instances still do during a rolling deploy): under the
// installation-wide lock, at max(seq) + 1, linked to the row with the
// highest seq, with no chain.
func (l *Logger) LegacyAppend(ctx context.Context, tx sqlx.ExtContext, a actor.Actor, ev Event) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey); err != nil {
		return err
	}
	var last struct {
		Seq  int64  `db:"seq"`
		Hash []byte `db:"hash"`
	}
	err := sqlx.GetContext(ctx, tx, &last, `SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`)
	if errors.Is(err, sql.ErrNoRows) {
		last.Hash = make([]byte, sha256.Size)
	} else if err != nil {
		return err
	}
	detail := []byte("{}")
	if len(ev.Detail) > 0 {
		detail, _ = json.Marshal(ev.Detail)
	}
	clinic := ev.ClinicID
	if clinic == 0 {
		clinic = a.ClinicID
	}
	r := Row{Seq: last.Seq + 1, At: time.Now().UTC().Truncate(time.Microsecond), ActorID: nullInt(a.UserID), ClinicID: nullInt(clinic),
		Action: ev.Action, ObjectType: ev.ObjectType, ObjectID: nullInt(ev.ObjectID), CoupleID: nullInt(ev.CoupleID),
		RequestID: a.RequestID, IP: a.IP, Detail: string(detail), PrevHash: last.Hash}
	r.Hash = l.sum(r)
	_, err = sqlx.NamedExecContext(ctx, tx, `INSERT INTO audit_log
		(seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash)
		VALUES (:seq, :at, :actor_id, :clinic_id, :action, :object_type, :object_id, :couple_id, :request_id, :ip, :detail, :prev_hash, :hash)`, r)
	return err
}
