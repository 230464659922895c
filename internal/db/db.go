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

// InTx runs fn in a transaction, committing when it returns nil.
func InTx(ctx context.Context, d *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	tx, err := d.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
