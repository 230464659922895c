package audit_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/paging"
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
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if head.Rows != 5 || len(head.Links) != 1 || head.Links[0].Chain != 1 || head.Links[0].Pos != 5 || len(head.Links[0].Hash) != 64 {
		t.Fatalf("head %+v", head)
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
	t.Parallel()
	d := pgtest.NewDB(t)
	chain(t, d, 2)
	for _, q := range []string{`UPDATE audit_log SET action = 'x' WHERE seq = 1`, `DELETE FROM audit_log WHERE seq = 1`, `TRUNCATE audit_log`} {
		if _, err := d.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err %v, want refused", q, err)
		}
	}
}

func TestAuditVerifyFindsTamperedRow(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	tamper(t, d, `UPDATE audit_log SET object_id = 99 WHERE seq = 3`)
	_, err := l.Verify(context.Background(), d)
	wantBroken(t, err, 3, "tampered")
}

func TestAuditVerifyFindsDeletedRow(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	tamper(t, d, `DELETE FROM audit_log WHERE seq = 3`)
	_, err := l.Verify(context.Background(), d)
	// The next row present breaks the chain: position 3 is gone before it.
	wantBroken(t, err, 4, "position 3 is missing")
}

func TestAuditVerifyFindsReplacedRow(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 4)
	// Re-hashing a row without the key is impossible; swapping in a row's
	// hash from elsewhere breaks the link of the next row.
	tamper(t, d, `UPDATE audit_log SET hash = (SELECT hash FROM audit_log WHERE seq = 1) WHERE seq = 2`)
	_, err := l.Verify(context.Background(), d)
	wantBroken(t, err, 2, "tampered")
}

func TestAuditCheckHeadCatchesCutTail(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := chain(t, d, 5)
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, d, `DELETE FROM audit_log WHERE seq >= 4`)
	// The shorter chain is self-consistent...
	if h, err := l.Verify(context.Background(), d); err != nil || h.Rows != 3 {
		t.Fatalf("cut chain: %v %v", h, err)
	}
	// ...but the head kept elsewhere is gone.
	err = l.CheckHead(context.Background(), d, head.String())
	var ve *audit.VerifyError
	if !errors.As(err, &ve) || ve.Chain != 1 || ve.Pos != 5 || !strings.Contains(ve.Reason, "cut") {
		t.Fatalf("CheckHead of a cut chain: %v", err)
	}
	if err := l.CheckHead(context.Background(), d, "nonsense"); err == nil {
		t.Fatal("malformed head accepted")
	}
}

func TestAuditList(t *testing.T) {
	t.Parallel()
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
	if len(all.Items) != 8 || all.Next != "" || all.Items[0].Seq != 8 {
		t.Fatalf("clinic 1: %d items, next %q", len(all.Items), all.Next)
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
		if p.Next == "" {
			break
		}
		if f.After, err = paging.DecodeID(p.Next); err != nil {
			t.Fatal(err)
		}
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

// appendIn opens a transaction that appends one event for clinic and
// leaves it open (the chain's lock held), returning it.
func appendIn(t *testing.T, d *sqlx.DB, l *audit.Logger, clinic int64) *sqlx.Tx {
	t.Helper()
	tx := d.MustBegin()
	if err := l.Log(context.Background(), tx, actor.Actor{UserID: 1, ClinicID: clinic}, audit.Event{Action: "test.open"}); err != nil {
		t.Fatal(err)
	}
	return tx
}

// logWithin appends one event for clinic in a transaction of its own and
// reports whether it was done within the wait.
func logWithin(d *sqlx.DB, l *audit.Logger, clinic int64, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return l.LogNow(ctx, d, actor.Actor{UserID: 2, ClinicID: clinic}, audit.Event{Action: "test.other"})
}

// A transaction holding clinic A's append open (its lock is held until it
// commits) does not hold up clinic B's appends, nor installation-level
// events; a second append of clinic A waits for it, which is what keeps
// A's chain a chain.
func TestAuditClinicsDoNotWaitOnEachOther(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := audit.New(key)
	txA := appendIn(t, d, l, 1)
	start := time.Now()
	for _, clinic := range []int64{2, 3, 0} {
		if err := logWithin(d, l, clinic, 2*time.Second); err != nil {
			t.Fatalf("clinic %d's append while clinic 1's is open: %v", clinic, err)
		}
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("three appends of other chains took %v", took)
	}
	// Two of them at once, each open: neither waits for the other.
	txB, txC := appendIn(t, d, l, 2), appendIn(t, d, l, 3)
	// Clinic 1's next append waits for the open one...
	if err := logWithin(d, l, 1, 300*time.Millisecond); err == nil {
		t.Fatal("a second append of clinic 1 did not wait for the open one")
	}
	done := make(chan error, 1)
	go func() { done <- logWithin(d, l, 1, 10*time.Second) }()
	time.Sleep(100 * time.Millisecond)
	// ...and goes on once it commits.
	for _, tx := range []*sqlx.Tx{txA, txB, txC} {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("clinic 1's append after the open one committed: %v", err)
	}
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	// The append that gave up waiting left nothing.
	if head.Rows != 7 || len(head.Links) != 4 {
		t.Fatalf("head %+v", head)
	}
}

// Many appends at once, to several chains: every chain verifies, with its
// positions dense and in order.
func TestAuditConcurrentAppendsVerify(t *testing.T) {
	t.Parallel()
	d := pgtest.NewDB(t)
	l := audit.New(key)
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var err error
			for i := 0; i < 20 && err == nil; i++ {
				err = l.LogNow(context.Background(), d, actor.Actor{UserID: int64(g + 1), ClinicID: int64(g % 3)}, audit.Event{Action: "test.concurrent"})
			}
			errs <- err
		}()
	}
	for g := 0; g < 8; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	head, err := l.Verify(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if head.Rows != 160 || len(head.Links) != 3 {
		t.Fatalf("head %+v", head)
	}
	for _, k := range head.Links {
		if want := map[int64]int64{0: 60, 1: 60, 2: 40}[k.Chain]; k.Pos != want {
			t.Errorf("chain %d ends at %d, want %d", k.Chain, k.Pos, want)
		}
	}
}

// chains writes interleaved events for clinics 1 and 2 and the
// installation (chain 0): four each.
func chains(t *testing.T, d *sqlx.DB) *audit.Logger {
	t.Helper()
	l := audit.New(key)
	for i := 1; i <= 4; i++ {
		for _, clinic := range []int64{1, 2, 0} {
			a := actor.Actor{UserID: int64(10*clinic + int64(i)), ClinicID: clinic, RequestID: "req"}
			if err := l.LogNow(context.Background(), d, a, audit.Event{Action: "test.event", ObjectID: int64(i), CoupleID: clinic}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return l
}

// Every kind of change to any chain is caught, and named.
func TestAuditVerifyCatchesTamperingInEveryChain(t *testing.T) {
	t.Parallel()
	// seq of chain c's position p, in the interleaved order chains writes:
	// clinic 1 at 1, 4, 7, 10; clinic 2 at 2, 5, 8, 11; installation at 3, 6, 9, 12.
	seqOf := func(c, p int64) int64 { return 3*(p-1) + map[int64]int64{1: 1, 2: 2, 0: 3}[c] }
	for _, c := range []int64{1, 2, 0} {
		at := func(p int64) string { return strconv.FormatInt(seqOf(c, p), 10) }
		other := map[int64]int64{1: 2, 2: 0, 0: 1}[c]
		for _, tc := range []struct {
			name   string
			sql    string
			seq    int64
			reason string
		}{
			{"content", `UPDATE audit_log SET object_id = 99 WHERE seq = ` + at(2), seqOf(c, 2), "tampered"},
			{"actor", `UPDATE audit_log SET actor_id = NULL WHERE seq = ` + at(3), seqOf(c, 3), "tampered"},
			{"detail", `UPDATE audit_log SET detail = '{"x":1}' WHERE seq = ` + at(1), seqOf(c, 1), "tampered"},
			{"time", `UPDATE audit_log SET at = at - interval '1 hour' WHERE seq = ` + at(4), seqOf(c, 4), "tampered"},
			{"removed from the middle", `DELETE FROM audit_log WHERE seq = ` + at(2), seqOf(c, 3), "position 2 is missing"},
			{"first row removed", `DELETE FROM audit_log WHERE seq = ` + at(1), seqOf(c, 2), "position 1 is missing"},
			{"positions swapped", `UPDATE audit_log SET chain_seq = CASE chain_seq WHEN 2 THEN 3 ELSE 2 END
				WHERE seq IN (` + at(2) + `, ` + at(3) + `)`, seqOf(c, 2), "position 2 is missing"},
			{"seq moved later", `UPDATE audit_log SET seq = 100 WHERE seq = ` + at(2), seqOf(c, 3), "position 2 is missing"},
			{"renumbered", `UPDATE audit_log SET seq = seq + 1000 WHERE seq = ` + at(4), seqOf(c, 4) + 1000, "tampered"},
			{"moved to another chain", `UPDATE audit_log SET chain = ` + strconv.FormatInt(other, 10) +
				`, clinic_id = ` + map[int64]string{0: "NULL", 1: "1", 2: "2"}[other] + `, chain_seq = 5 WHERE seq = ` + at(4), 0, ""},
			{"copied", `INSERT INTO audit_log (seq, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq)
				SELECT 50, at, actor_id, clinic_id, action, object_type, object_id, couple_id, request_id, ip, detail, prev_hash, hash, chain, chain_seq + 4
				FROM audit_log WHERE seq = ` + at(1), 50, "does not link"},
			{"forged", `INSERT INTO audit_log (seq, action, clinic_id, prev_hash, hash, chain, chain_seq)
				SELECT 60, 'forged', clinic_id, hash, hash, chain, 5 FROM audit_log WHERE seq = ` + at(4), 60, "tampered"},
			{"made legacy", `UPDATE audit_log SET chain = NULL, chain_seq = NULL WHERE seq = ` + at(1), seqOf(c, 1), ""},
		} {
			t.Run(fmt.Sprintf("chain %d %s", c, tc.name), func(t *testing.T) {
				t.Parallel() // a database of its own
				d := pgtest.NewDB(t)
				l := chains(t, d)
				if _, err := l.Verify(context.Background(), d); err != nil {
					t.Fatalf("before: %v", err)
				}
				d.MustExec(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_check`)
				d.MustExec(`DROP INDEX audit_log_chain_idx`)
				tamper(t, d, tc.sql)
				_, err := l.Verify(context.Background(), d)
				var ve *audit.VerifyError
				if !errors.As(err, &ve) {
					t.Fatalf("Verify = %v, want a VerifyError", err)
				}
				if tc.reason != "" && (ve.Seq != tc.seq || !strings.Contains(ve.Reason, tc.reason)) {
					t.Fatalf("Verify named row %d (%s), want %d (%s)", ve.Seq, ve.Reason, tc.seq, tc.reason)
				}
			})
		}
	}
}

// Cutting the end of any one chain, or a whole chain, leaves chains that
// verify; the head kept elsewhere catches it.
func TestAuditCheckHeadCatchesAnyCutChain(t *testing.T) {
	t.Parallel()
	for _, cut := range []string{`chain = 1 AND chain_seq = 4`, `chain = 2 AND chain_seq >= 3`, `chain = 0`} {
		t.Run(cut, func(t *testing.T) {
			t.Parallel() // a database of its own
			d := pgtest.NewDB(t)
			l := chains(t, d)
			head, err := l.Verify(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.CheckHead(context.Background(), d, head.String()); err != nil {
				t.Fatalf("CheckHead of the current head %s: %v", head, err)
			}
			tamper(t, d, `DELETE FROM audit_log WHERE `+cut)
			if _, err := l.Verify(context.Background(), d); err != nil {
				t.Fatalf("the rest no longer verifies: %v", err)
			}
			var ve *audit.VerifyError
			if err := l.CheckHead(context.Background(), d, head.String()); !errors.As(err, &ve) || !strings.Contains(ve.Reason, "cut") {
				t.Fatalf("CheckHead after cutting %s: %v", cut, err)
			}
			// A head recorded later, after more appends, still holds.
			chains(t, d)
			later, err := l.Verify(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			if err := l.CheckHead(context.Background(), d, later.String()); err != nil {
				t.Fatalf("CheckHead of a later head: %v", err)
			}
		})
	}
}

// Rows written before per-clinic chains (the legacy chain) still verify,
// and so do legacy rows a previous release's instance appends during a
// rolling deploy; every chain's first row links to the legacy chain's end,
// so cutting that end is caught, as is any change to a legacy row. The
// previous release's append waits for open appends (it takes the
// installation lock exclusively; new appends hold it shared).
func TestAuditLegacyChainBeforeAndDuringUpgrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	setup := func(t *testing.T) (*sqlx.DB, *audit.Logger) {
		d := pgtest.NewDB(t)
		l := audit.New(key)
		legacy := func(clinic int64) {
			t.Helper()
			tx := d.MustBegin()
			if err := l.LegacyAppend(ctx, tx, actor.Actor{UserID: 5, ClinicID: clinic}, audit.Event{Action: "test.legacy"}); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 3; i++ { // seq 1-3: before the upgrade
			legacy(1)
		}
		chains(t, d) // seq 4-15
		legacy(2)    // seq 16: a previous release's instance, during the deploy
		// An append of this release held open: the previous release's waits.
		tx := appendIn(t, d, l, 1)
		done := make(chan struct{})
		go func() { legacy(0); close(done) }() // seq 18
		select {
		case <-done:
			t.Fatal("a legacy append did not wait for an open append")
		case <-time.After(300 * time.Millisecond):
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		<-done
		if err := l.LogNow(ctx, d, actor.Actor{ClinicID: 3}, audit.Event{Action: "test.new-chain"}); err != nil { // seq 19: a new chain, after the legacy rows
			t.Fatal(err)
		}
		return d, l
	}
	t.Run("verifies", func(t *testing.T) {
		d, l := setup(t)
		head, err := l.Verify(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		if head.Rows != 19 || len(head.Links) != 5 || head.Links[0].Chain != audit.Legacy || head.Links[0].Pos != 18 {
			t.Fatalf("head %+v", head)
		}
		if err := l.CheckHead(ctx, d, head.String()); err != nil {
			t.Fatal(err)
		}
		// A head printed by the previous release (SEQ:HASH) is still checked.
		if err := l.CheckHead(ctx, d, "3:"+legacyHash(t, d, 3)); err != nil {
			t.Fatalf("a legacy head: %v", err)
		}
		if err := l.CheckHead(ctx, d, "3:"+strings.Repeat("0", 64)); err == nil {
			t.Fatal("a legacy head with the wrong hash passed")
		}
	})
	for _, tc := range []struct {
		name, sql, reason string
		seq               int64
	}{
		{"legacy row changed", `UPDATE audit_log SET action = 'x' WHERE seq = 2`, "tampered", 2},
		{"legacy row removed", `DELETE FROM audit_log WHERE seq = 2`, "missing", 2},
		{"legacy tail before the chains cut", `DELETE FROM audit_log WHERE seq = 3`, "does not link", 4},
		{"legacy row of the deploy removed", `DELETE FROM audit_log WHERE seq = 16`, "legacy chain before it was removed", 17},
		{"last legacy row removed", `DELETE FROM audit_log WHERE seq = 18`, "does not link", 19},
		{"legacy row of the deploy changed", `UPDATE audit_log SET clinic_id = 1 WHERE seq = 18`, "tampered", 18},
		{"chain made legacy", `UPDATE audit_log SET chain = NULL, chain_seq = NULL WHERE seq = 19`, "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, l := setup(t)
			d.MustExec(`ALTER TABLE audit_log DROP CONSTRAINT audit_log_chain_check`)
			tamper(t, d, tc.sql)
			_, err := l.Verify(ctx, d)
			var ve *audit.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %v, want a VerifyError", err)
			}
			if tc.reason != "" && (ve.Seq != tc.seq || !strings.Contains(ve.Reason, tc.reason)) {
				t.Fatalf("Verify named row %d (%s), want %d (%s)", ve.Seq, ve.Reason, tc.seq, tc.reason)
			}
		})
	}
}

func legacyHash(t *testing.T, d *sqlx.DB, seq int64) string {
	t.Helper()
	var h []byte
	if err := d.Get(&h, `SELECT hash FROM audit_log WHERE seq = $1`, seq); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h)
}
