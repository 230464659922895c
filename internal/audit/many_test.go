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
	if err != nil || head.Seq != 1503 {
		t.Fatalf("verify: head %v, %v", head, err)
	}
	var n int
	d.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'assignment.occur' AND actor_id IS NULL AND couple_id = 7`)
	if n != 1500 {
		t.Errorf("%d events", n)
	}
}
