package db_test

import (
	"context"
	"testing"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
)

func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, pgtest.EmptyURL(t), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	n, err := db.MigrateUp(ctx, d.DB)
	if err != nil || n == 0 {
		t.Fatalf("up: %d %v", n, err)
	}
	if pending, err := db.Pending(ctx, d.DB); err != nil || pending {
		t.Fatalf("pending after up: %v %v", pending, err)
	}
	st, err := db.MigrationStatus(ctx, d.DB)
	if err != nil || len(st) != n {
		t.Fatalf("status: %d rows, %v", len(st), err)
	}
	for _, s := range st {
		if !s.Applied {
			t.Errorf("%s not applied", s.Name)
		}
	}
	if _, err := db.MigrateDown(ctx, d.DB, true); err != nil {
		t.Fatalf("down all: %v", err)
	}
	var tables int
	d.Get(&tables, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`)
	if tables != 0 {
		t.Fatalf("%d tables left after down --all", tables)
	}
	if n2, err := db.MigrateUp(ctx, d.DB); err != nil || n2 != n {
		t.Fatalf("up again: %d %v", n2, err)
	}
	// A second up is a no-op.
	if n3, err := db.MigrateUp(ctx, d.DB); err != nil || n3 != 0 {
		t.Fatalf("idempotent up: %d %v", n3, err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	d := pgtest.NewDB(t)
	d.MustExec(`INSERT INTO audit_log (seq, action, prev_hash, hash) VALUES (1, 'x', '\x00', '\x00')`)
	for _, q := range []string{`UPDATE audit_log SET action = 'y'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
		if _, err := d.Exec(q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
}
