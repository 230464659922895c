// Package db opens Mend's PostgreSQL pool and applies its migrations.
// lib/pq stays behind this package and the stores, so a move to pgx is local.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/mend-clinic/mend/migrations"
)

// Open connects to PostgreSQL with bounded pool limits and checks the
// connection. Its connections keep their prepared statements (prepared.go).
func Open(ctx context.Context, url string, maxOpen, maxIdle int) (*sqlx.DB, error) {
	pc, err := pq.NewConnector(url)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	d := sqlx.NewDb(sql.OpenDB(connector{pq: pc, size: StatementCacheSize}), "postgres")
	d.SetMaxOpenConns(maxOpen)
	d.SetMaxIdleConns(maxIdle)
	d.SetConnMaxIdleTime(5 * time.Minute)
	d.SetConnMaxLifetime(time.Hour)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.PingContext(pctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	return d, nil
}

// provider returns a goose provider over the embedded migrations, guarded by
// a PostgreSQL advisory lock so two instances starting together never race.
func provider(d *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, d, migrations.FS, goose.WithSessionLocker(locker),
		goose.WithGoMigrations(migrations.Go()...))
}

// MigrateUp applies every pending migration and returns how many ran.
func MigrateUp(ctx context.Context, d *sql.DB) (int, error) {
	p, err := provider(d)
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate up: %w", err)
	}
	return len(res), nil
}

// MigrateDown rolls back the newest applied migration, or every one when all is set.
func MigrateDown(ctx context.Context, d *sql.DB, all bool) (int, error) {
	p, err := provider(d)
	if err != nil {
		return 0, err
	}
	if all {
		res, err := p.DownTo(ctx, 0)
		return len(res), err
	}
	_, err = p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// Status describes one migration's state.
type Status struct {
	Version   int64
	Name      string
	Applied   bool
	AppliedAt time.Time
}

// MigrationStatus lists every known migration and whether it is applied.
func MigrationStatus(ctx context.Context, d *sql.DB) ([]Status, error) {
	p, err := provider(d)
	if err != nil {
		return nil, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(st))
	for _, s := range st {
		out = append(out, Status{Version: s.Source.Version, Name: s.Source.Path,
			Applied: s.State == goose.StateApplied, AppliedAt: s.AppliedAt})
	}
	return out, nil
}

// Pending reports whether migrations are waiting to be applied.
func Pending(ctx context.Context, d *sql.DB) (bool, error) {
	p, err := provider(d)
	if err != nil {
		return false, err
	}
	return p.HasPending(ctx)
}

// IsUniqueViolation reports whether err is a PostgreSQL unique violation,
// optionally on the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "23505" {
		return false
	}
	return constraint == "" || pe.Constraint == constraint
}

// Tx is a transaction with the one instant it happens at: Now is
// PostgreSQL's now() for the transaction, read once when it begins, so Go
// code deciding "due", "expired" or "when" inside the transaction agrees
// with every now() its SQL uses and with the audit row it writes.
type Tx struct {
	*sqlx.Tx
	now time.Time
}

// Now is the transaction's instant (PostgreSQL's now(), fixed for its life).
func (tx *Tx) Now() time.Time { return tx.now }

// Now is the instant q acts at: a transaction's Now, else the clock (a
// query outside a transaction). Code that may run in or out of a
// transaction asks it instead of time.Now.
func Now(q any) time.Time {
	if tx, ok := q.(*Tx); ok {
		return tx.Now()
	}
	return time.Now()
}

// InTx runs fn in a transaction, committing when it returns nil. It is the
// only way Mend opens a transaction: the transaction is rolled back when fn
// returns an error or panics (the panic goes on after the rollback).
func InTx(ctx context.Context, d *sqlx.DB, fn func(tx *Tx) error) (err error) {
	stx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			stx.Rollback()
		}
	}()
	tx := &Tx{Tx: stx}
	if err := stx.QueryRowContext(ctx, `SELECT now()`).Scan(&tx.now); err != nil {
		return fmt.Errorf("transaction time: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	committed = true
	return stx.Commit()
}
