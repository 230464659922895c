package security

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// Begin checks and counts in one step: however many attempts start at
// once, only MaxPerAccount get through, and their failures lock the account.
func TestAttemptParallelNeverExceedsLimit(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	th := NewThrottle(d)
	const n = 40
	var mu sync.Mutex
	var granted []*Attempt
	refused, failed := 0, 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			// Other IPs each time: the account limit is what holds.
			att, wait, err := th.Begin(ctx, "Someone@Example.test", "192.0.2."+itoa(i+1))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failed++
			case wait > 0:
				refused++
			default:
				granted = append(granted, att)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	if failed != 0 || len(granted) != MaxPerAccount || refused != n-MaxPerAccount {
		t.Fatalf("granted %d, refused %d, errors %d; want %d granted", len(granted), refused, failed, MaxPerAccount)
	}
	for _, a := range granted {
		if err := a.Fail(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w, err := th.Check(ctx, "someone@example.test", "198.51.100.1")
	if err != nil || w <= 0 || w > FirstLockout {
		t.Fatalf("after %d failures: wait %v %v", MaxPerAccount, w, err)
	}
	var lockouts int
	d.Get(&lockouts, `SELECT lockouts FROM login_lockouts`)
	if lockouts != 1 {
		t.Fatalf("lockouts in a row: %d", lockouts)
	}
}

// Release takes an attempt back (a right password before its second
// factor); Succeed also clears the account; an attempt never ended stays
// counted.
func TestAttemptReleaseAndSucceed(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	th := NewThrottle(d)
	count := func(key string) int {
		var n int
		d.Get(&n, `SELECT count(*) FROM login_failures WHERE key = $1`, key)
		return n
	}
	ak, ik := AccountKey("a@example.test"), IPKey("192.0.2.1")
	for i := 0; i < 3; i++ {
		if err := th.Fail(ctx, "a@example.test", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	att, wait, err := th.Begin(ctx, "a@example.test", "192.0.2.1")
	if err != nil || wait != 0 || count(ak) != 4 || count(ik) != 4 {
		t.Fatalf("begin: %v %v, %d/%d counted", wait, err, count(ak), count(ik))
	}
	if err := att.Release(ctx); err != nil || count(ak) != 3 || count(ik) != 3 {
		t.Fatalf("release: %v, %d/%d counted", err, count(ak), count(ik))
	}
	att, _, _ = th.Begin(ctx, "a@example.test", "192.0.2.1")
	if err := att.Succeed(ctx); err != nil || count(ak) != 0 || count(ik) != 3 {
		t.Fatalf("succeed: %v, %d/%d counted", err, count(ak), count(ik))
	}
	// Abandoned (a crash between check and answer): still counted.
	th.Begin(ctx, "a@example.test", "192.0.2.1")
	if count(ak) != 1 {
		t.Fatalf("abandoned attempt not counted: %d", count(ak))
	}
	// The IP limit is checked at Begin too, and a refused attempt is not counted.
	for i := 0; i < MaxPerIP; i++ {
		th.Fail(ctx, "u"+itoa(i)+"@example.test", "203.0.113.9")
	}
	if _, wait, err := th.Begin(ctx, "fresh@example.test", "203.0.113.9"); err != nil || wait <= 14*time.Minute {
		t.Fatalf("IP over its limit: %v %v", wait, err)
	}
	if count(AccountKey("fresh@example.test")) != 0 {
		t.Fatal("a refused attempt was counted")
	}
}

// Account events reach every clinic of the account; an unknown account's
// stay without a clinic.
func TestLogAccountEventPerClinic(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	l := audit.New(make([]byte, 32))
	var uid, c1, c2 int64
	d.Get(&c1, `INSERT INTO clinics (name) VALUES ('One') RETURNING id`)
	d.Get(&c2, `INSERT INTO clinics (name) VALUES ('Two') RETURNING id`)
	d.Get(&uid, `INSERT INTO users (email, name) VALUES ('m@example.test', 'M') RETURNING id`)
	d.MustExec(`INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, 'counselor'), ($1, $3, 'client'), ($1, $3, 'counselor')`, uid, c1, c2)
	a := actor.Actor{UserID: uid, RequestID: "r1", IP: "192.0.2.1"}
	if err := LogAccountEventNow(ctx, d, l, a, uid, audit.Event{Action: "login.failed", ObjectType: "user", ObjectID: uid}); err != nil {
		t.Fatal(err)
	}
	var clinics []int64
	d.Select(&clinics, `SELECT clinic_id FROM audit_log WHERE action = 'login.failed' AND request_id = 'r1' ORDER BY clinic_id`)
	if len(clinics) != 2 || clinics[0] != c1 || clinics[1] != c2 {
		t.Fatalf("clinics %v, want [%d %d]", clinics, c1, c2)
	}
	// A switched-off membership no longer sees it; no membership: installation-level.
	d.MustExec(`UPDATE memberships SET active = false WHERE clinic_id = $1`, c2)
	LogAccountEventNow(ctx, d, l, a, uid, audit.Event{Action: "login.failed"})
	d.MustExec(`UPDATE memberships SET active = false`)
	LogAccountEventNow(ctx, d, l, actor.Actor{ClinicID: c1}, uid, audit.Event{Action: "login.failed"})
	LogAccountEventNow(ctx, d, l, actor.Actor{ClinicID: c1}, 0, audit.Event{Action: "login.failed"})
	var nulls int
	d.Get(&nulls, `SELECT count(*) FROM audit_log WHERE clinic_id IS NULL`)
	var total int
	d.Get(&total, `SELECT count(*) FROM audit_log`)
	if nulls != 2 || total != 5 {
		t.Fatalf("%d rows, %d without a clinic; want 5 and 2", total, nulls)
	}
	if _, err := l.Verify(ctx, d); err != nil {
		t.Fatalf("chain: %v", err)
	}
}

// Taking an attempt back deletes its failures by id: that is a primary-key
// lookup, never a scan of every failure ever counted.
func TestLoginFailuresDeleteByIDUsesPrimaryKey(t *testing.T) {
	d := pgtest.NewDB(t)
	var pk string
	if err := d.Get(&pk, `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
		WHERE i.indrelid = 'login_failures'::regclass AND i.indisprimary`); err != nil {
		t.Fatalf("login_failures has no primary key: %v", err)
	}
	if pk != "id" {
		t.Fatalf("login_failures primary key on %q, want id", pk)
	}
	d.MustExec(`INSERT INTO login_failures (key, at) SELECT 'ip:192.0.2.' || (g % 250), now() FROM generate_series(1, 5000) g`)
	d.MustExec(`ANALYZE login_failures`)
	var plan []string
	if err := d.Select(&plan, `EXPLAIN DELETE FROM login_failures WHERE id = ANY('{17,4242}'::bigint[])`); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "\n"); !strings.Contains(p, "login_failures_pkey") {
		t.Fatalf("the delete by id does not use the primary key:\n%s", p)
	}
}
