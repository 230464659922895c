package audit_test

import (
	"context"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// LogMany writes the same chain as Log would event by event: it verifies,
// continues the chain before it and is continued by the next Log.
func TestAuditLogManyKeepsTheChain(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 2)
	ctx := context.Background()
	job := actor.Actor{ClinicID: 1, RequestID: "job:occurrences"}
	var evs []audit.Event
	for i := range 1500 { // more than one INSERT
		evs = append(evs, audit.Event{Action: "assignment.occur", ObjectType: "assignment", ObjectID: int64(i + 1), CoupleID: 7,
			Detail: map[string]any{"responses": 2}})
	}
	tx := d.MustBegin()
	if err := l.LogMany(ctx, tx, job, evs); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := l.LogNow(ctx, d, job, audit.Event{Action: "test.after", ObjectType: "thing"}); err != nil {
		t.Fatal(err)
	}
	head, err := l.Verify(ctx, d)
	if err != nil || head.Rows != 1503 {
		t.Fatalf("verify: head %v, %v", head, err)
	}
	var n int
	d.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'assignment.occur' AND actor_id IS NULL AND couple_id = 7`)
	if n != 1500 {
		t.Errorf("%d events", n)
	}
}

// LogMany over several clinics appends each clinic's events to its own
// chain, in order, and the trail verifies.
func TestAuditLogManyAcrossClinics(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 1)
	ctx := context.Background()
	job := actor.Actor{RequestID: "job:occurrences"}
	var evs []audit.Event
	for i := range 30 {
		evs = append(evs, audit.Event{Action: "assignment.occur", ObjectType: "assignment", ObjectID: int64(i + 1), ClinicID: int64(3 - i%3)})
	}
	tx := d.MustBegin()
	if err := l.LogMany(ctx, tx, job, evs); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Verify(ctx, d); err != nil {
		t.Fatal(err)
	}
	var perChain []struct {
		Chain int64 `db:"chain"`
		N     int   `db:"n"`
		Max   int64 `db:"max"`
	}
	d.Select(&perChain, `SELECT chain, count(*) AS n, max(chain_seq) AS max FROM audit_log WHERE action = 'assignment.occur' GROUP BY chain ORDER BY chain`)
	if len(perChain) != 3 || perChain[0].N != 10 || perChain[2].Max != 10 {
		t.Errorf("chains %+v", perChain)
	}
}
