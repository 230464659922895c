package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
)

func TestAuditVerifyCommand(t *testing.T) {
	ctx := context.Background()
	u := pgtest.EmptyURL(t)
	d, err := db.Open(ctx, u, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := db.MigrateUp(ctx, d.DB); err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{9}, 32)
	env := map[string]string{
		"DATABASE_URL":    u,
		"MEND_AUDIT_KEY":  hex.EncodeToString(key),
		"MEND_SECRET_KEY": hex.EncodeToString(bytes.Repeat([]byte{8}, 32)),
	}
	getenv := func(k string) string { return env[k] }
	l := audit.New(key)
	for i := 1; i <= 4; i++ {
		if err := l.LogNow(ctx, d, actor.Actor{UserID: int64(i), ClinicID: 1}, audit.Event{Action: "test.event", ObjectID: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := run(ctx, append([]string{"audit", "verify"}, args...), getenv, strings.NewReader(""), &out, &errb)
		return out.String(), err
	}
	out, err := verify()
	if err != nil || !strings.Contains(out, "audit chain intact: 4 rows") {
		t.Fatalf("intact chain: %v\n%s", err, out)
	}
	head := strings.TrimSpace(out[strings.Index(out, "head ")+5:])
	if _, err := verify("--expect-head", head); err != nil {
		t.Fatalf("expect-head of the current head: %v", err)
	}
	// The head can come from a file (one link per chain: it grows with the clinics).
	file := filepath.Join(t.TempDir(), "head")
	if err := os.WriteFile(file, []byte(head+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := verify("--expect-head", "@"+file); err != nil {
		t.Fatalf("expect-head from a file: %v", err)
	}
	exec := func(q string) {
		t.Helper()
		if _, err := d.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	// Cut the tail: the chain still verifies, the recorded head does not.
	exec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`)
	exec(`DELETE FROM audit_log WHERE seq = 4`)
	_, err = verify("--expect-head", head)
	var ve *audit.VerifyError
	if !errors.As(err, &ve) || ve.Chain != 1 || ve.Pos != 4 {
		t.Fatalf("cut tail: %v", err)
	}
	// Tamper with a row: named by number.
	exec(`UPDATE audit_log SET action = 'harmless' WHERE seq = 2`)
	exec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update`)
	_, err = verify()
	if !errors.As(err, &ve) || ve.Seq != 2 || !strings.Contains(err.Error(), "audit row 2") {
		t.Fatalf("tampered row: %v", err)
	}
	// Without the key the command refuses to run.
	delete(env, "MEND_AUDIT_KEY")
	if _, err := verify(); err == nil {
		t.Fatal("verified without MEND_AUDIT_KEY")
	}
}
