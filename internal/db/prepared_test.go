package db_test

import (
	"fmt"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// prepared counts the connection's named statements whose text contains marker.
func prepared(t *testing.T, d *sqlx.DB, marker string) int {
	t.Helper()
	var n int
	if err := d.Get(&n, `SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%' || $1 || '%' AND statement NOT LIKE '%pg_prepared_statements%'`, marker); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestQueriesArePreparedOncePerConnection(t *testing.T) {
	d := pgtest.NewDB(t)
	d.SetMaxOpenConns(1)
	for i := 0; i < 5; i++ {
		var got int
		if err := d.Get(&got, `SELECT $1::int + 1 AS once_marker`, i); err != nil || got != i+1 {
			t.Fatalf("query %d: %d %v", i, got, err)
		}
	}
	if n := prepared(t, d, "once_marker"); n != 1 {
		t.Fatalf("%d prepared statements for one query, want 1", n)
	}
	// In a transaction the same statement is used, and it survives a rollback.
	tx := d.MustBegin()
	var got int
	if err := tx.Get(&got, `SELECT $1::int + 1 AS once_marker`, 41); err != nil || got != 42 {
		t.Fatalf("in a transaction: %d %v", got, err)
	}
	if _, err := tx.Exec(`SELECT 1/($1::int - 1)`, 1); err == nil {
		t.Fatal("division by zero succeeded")
	}
	tx.Rollback()
	if err := d.Get(&got, `SELECT $1::int + 1 AS once_marker`, 1); err != nil || got != 2 {
		t.Fatalf("after a rollback: %d %v", got, err)
	}
	if n := prepared(t, d, "once_marker"); n != 1 {
		t.Fatalf("%d prepared statements after the transaction, want 1", n)
	}
	// Queries without arguments keep the simple protocol (several statements allowed).
	if _, err := d.Exec(`SELECT 1; SELECT 2`); err != nil {
		t.Fatalf("multi-statement: %v", err)
	}
}

func TestStatementCacheEvictsTheLeastRecentlyUsed(t *testing.T) {
	d, err := db.OpenCache(pgtest.EmptyURL(t), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 0; i < 10; i++ {
		var got int
		if err := d.Get(&got, fmt.Sprintf(`SELECT $1::int AS evict_marker_%d`, i), i); err != nil || got != i {
			t.Fatalf("query %d: %d %v", i, got, err)
		}
	}
	// The counting query is itself prepared: at most 3 in all.
	if n := prepared(t, d, "evict_marker_"); n > 3 || n < 2 {
		t.Fatalf("%d statements kept, want at most 3", n)
	}
}

func TestChangedResultTypeIsPreparedAgain(t *testing.T) {
	d := pgtest.NewDB(t)
	d.SetMaxOpenConns(1)
	d.MustExec(`CREATE TABLE retype (a int)`)
	d.MustExec(`INSERT INTO retype (a) VALUES (1)`)
	q := `SELECT a FROM retype WHERE a = $1`
	var a int64
	if err := d.Get(&a, q, 1); err != nil {
		t.Fatal(err)
	}
	d.MustExec(`ALTER TABLE retype ALTER COLUMN a TYPE bigint`)
	// Inside a transaction the error is the caller's (the transaction is
	// aborted)...
	tx := d.MustBegin()
	if err := tx.Get(&a, q, 1); err == nil {
		t.Log("the server replanned within the transaction")
	}
	tx.Rollback()
	d.MustExec(`ALTER TABLE retype ALTER COLUMN a TYPE int`)
	// ...outside one the query is prepared again and answers.
	if err := d.Get(&a, q, 1); err != nil || a != 1 {
		t.Fatalf("after the column changed type: %d %v", a, err)
	}
}
