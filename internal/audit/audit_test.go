package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/pgtest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// chain writes n events for clinic 1 and returns the logger.
func chain(t *testing.T, d *sqlx.DB, n int) *audit.Logger {
	t.Helper()
	l := audit.New(key)
	for i := 1; i <= n; i++ {
		a := actor.Actor{UserID: int64(i), ClinicID: 1, RequestID: "req", IP: "192.0.2.1"}
		if err := l.LogNow(context.Background(), d, a, audit.Event{Action: "test.event", ObjectType: "thing", ObjectID: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// tamper runs SQL on audit_log with its append-only trigger switched off,
// as an attacker with database access could.
func tamper(t *testing.T, d *sqlx.DB, q string) {
	t.Helper()
	for _, s := range []string{`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`, q,
		`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`} {
		if _, err := d.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func wantBroken(t *testing.T, err error, seq int64, reason string) {
	t.Helper()
	var ve *audit.VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("Verify = %v, want a VerifyError for row %d", err, seq)
	}
	if ve.Seq != seq || !strings.Contains(ve.Reason, reason) {
		t.Fatalf("Verify named row %d (%s), want %d (%s)", ve.Seq, ve.Reason, seq, reason)
	}
}

func TestAuditChainVerifies(t *testing.T) {
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if head.Seq != 5 || len(head.Hash) != 64 {
		t.Fatalf("head %v", head)
	}
	if err := l.CheckHead(context.Background(), d, head.String()); err != nil {
		t.Fatalf("CheckHead of the current head: %v", err)
	}
	// The wrong key does not verify.
	if _, err := audit.New([]byte("another key, 32 bytes long......")).Verify(context.Background(), d); err == nil {
		t.Fatal("a chain verified with the wrong key")
	}
}

func TestAuditAppendOnly(t *testing.T) {
	d := pgtest.NewDB(t)
	chain(t, d, 2)
	for _, q := range []string{`UPDATE audit_log SET action = 'x' WHERE seq = 1`, `DELETE FROM audit_log WHERE seq = 1`, `TRUNCATE audit_log`} {
		if _, err := d.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want refused", q, err)
		}
	}
}

func TestAuditVerifyFindsTamperedRow(t *testing.T) {
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	tamper(t, d, `UPDATE audit_log SET object_id = 99 WHERE seq = 3`)
	_, err := l.Verify(context.Background(), d)
	wantBroken(t, err, 3, "tampered")
}

func TestAuditVerifyFindsDeletedRow(t *testing.T) {
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	tamper(t, d, `DELETE FROM audit_log WHERE seq = 3`)
	_, err := l.Verify(context.Background(), d)
	wantBroken(t, err, 3, "missing")
}

func TestAuditVerifyFindsReplacedRow(t *testing.T) {
	d := pgtest.NewDB(t)
	l := chain(t, d, 4)
	// Re-hashing a row without the key is impossible; swapping in a row's
	// hash from elsewhere breaks the link of the next row.
	tamper(t, d, `UPDATE audit_log SET hash = (SELECT hash FROM audit_log WHERE seq = 1) WHERE seq = 2`)
	_, err := l.Verify(context.Background(), d)
	wantBroken(t, err, 2, "tampered")
}

func TestAuditCheckHeadCatchesCutTail(t *testing.T) {
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, d, `DELETE FROM audit_log WHERE seq >= 4`)
	// The shorter chain is self-consistent...
	if h, err := l.Verify(context.Background(), d); err != nil || h.Seq != 3 {
		t.Fatalf("cut chain: %v %v", h, err)
	}
	// ...but the head kept elsewhere is gone.
	err = l.CheckHead(context.Background(), d, head.String())
	wantBroken(t, err, 5, "cut")
	if err := l.CheckHead(context.Background(), d, "nonsense"); err == nil {
		t.Fatal("malformed head accepted")
	}
}

func TestAuditList(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	l := audit.New(key)
	log := func(clinic, user, couple int64, action string) {
		a := actor.Actor{UserID: user, ClinicID: clinic}
		if err := l.LogNow(ctx, d, a, audit.Event{Action: action, CoupleID: couple}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 7; i++ {
		log(1, 10, 0, "login")
	}
	log(1, 11, 5, "couple.reassign")
	log(2, 20, 0, "login") // another clinic
	all, err := audit.List(ctx, d, 1, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 8 || all.Next != 0 || all.Items[0].Seq != 8 {
		t.Fatalf("clinic 1: %d items, next %d", len(all.Items), all.Next)
	}
	// Pages of 3, newest first, without overlap.
	var seen []int64
	f := audit.Filter{Limit: 3}
	for {
		p, err := audit.List(ctx, d, 1, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			seen = append(seen, it.Seq)
		}
		if p.Next == 0 {
			break
		}
		f.After = p.Next
	}
	if len(seen) != 8 || seen[0] != 8 || seen[7] != 1 {
		t.Fatalf("pages: %v", seen)
	}
	for _, c := range []struct {
		f    audit.Filter
		want int
	}{
		{audit.Filter{ActorID: 11}, 1},
		{audit.Filter{CoupleID: 5}, 1},
		{audit.Filter{Action: "login"}, 7},
		{audit.Filter{ActorID: 20}, 0}, // clinic 2's actor: not visible from clinic 1
		{audit.Filter{From: time.Now().Add(time.Hour)}, 0},
		{audit.Filter{To: time.Now().Add(time.Hour)}, 8},
	} {
		p, err := audit.List(ctx, d, 1, c.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != c.want {
			t.Errorf("%+v: %d items, want %d", c.f, len(p.Items), c.want)
		}
	}
}
