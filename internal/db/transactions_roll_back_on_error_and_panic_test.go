package db_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// InTx commits when fn returns nil and rolls back when it returns an error
// or panics; a panicking fn leaves no connection inside a transaction.
func TestTransactionsRollBackOnErrorAndPanic(t *testing.T) {
	d := pgtest.NewDB(t)
	d.SetMaxOpenConns(1)
	ctx := context.Background()
	if _, err := d.Exec(`CREATE TABLE tx_probe (v text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	insert := func(v string) func(tx *db.Tx) error {
		return func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO tx_probe (v) VALUES ($1)`, v)
			return err
		}
	}
	if err := db.InTx(ctx, d, insert("kept")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := db.InTx(ctx, d, func(tx *db.Tx) error {
		if err := insert("error")(tx); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want fn's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "panic" {
				t.Fatalf("recovered %v, want the panic to go on", r)
			}
		}()
		db.InTx(ctx, d, func(tx *db.Tx) error {
			if err := insert("panic")(tx); err != nil {
				return err
			}
			panic("panic")
		})
	}()
	// One connection: had the panic left its transaction open, this would
	// block or run inside it.
	var got []string
	if err := d.Select(&got, `SELECT v FROM tx_probe ORDER BY v`); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "kept" {
		t.Fatalf("rows %q, want only the committed one", got)
	}
}

// A transaction has one now: tx.Now is PostgreSQL's now() for it, the same
// in every statement, however long the transaction runs.
func TestTransactionHasOneNow(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	err := db.InTx(ctx, d, func(tx *db.Tx) error {
		if tx.Now().IsZero() || db.Now(tx) != tx.Now() {
			t.Fatalf("Now %v, db.Now %v", tx.Now(), db.Now(tx))
		}
		time.Sleep(20 * time.Millisecond)
		var sqlNow time.Time
		if err := tx.GetContext(ctx, &sqlNow, `SELECT now()`); err != nil {
			return err
		}
		if !sqlNow.Equal(tx.Now()) {
			t.Fatalf("SQL now() %v, tx.Now %v: two notions of now", sqlNow, tx.Now())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if out := db.Now(d); time.Since(out) > time.Minute {
		t.Fatalf("db.Now outside a transaction is %v, want the clock", out)
	}
}
