package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverVersion is the River job-queue schema this release runs on. River's
// own migrations (shipped with the library, applied here through goose in
// the same locked, ordered sequence as ours) bring the schema to it; a River
// upgrade that brings new migrations adds a goose migration raising it, so a
// schema never moves without a numbered step.
const RiverVersion = 8

// Go returns the migrations written in Go: River's schema, as goose
// version 10 (between 00009 and 00011).
func Go() []*goose.Migration {
	return []*goose.Migration{
		goose.NewGoMigration(10, &goose.GoFunc{RunDB: river(rivermigrate.DirectionUp, RiverVersion)},
			&goose.GoFunc{RunDB: river(rivermigrate.DirectionDown, -1)}),
	}
}

// river runs River's migrations up or down to target. Each River version
// runs in a transaction of its own (one adds an enum value that a later one
// uses, which PostgreSQL refuses within one transaction), still under
// goose's lock, so two instances starting together never race.
func river(dir rivermigrate.Direction, target int) func(context.Context, *sql.DB) error {
	return func(ctx context.Context, d *sql.DB) error {
		m, err := rivermigrate.New(riverdatabasesql.New(d), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, dir, &rivermigrate.MigrateOpts{TargetVersion: target})
		return err
	}
}
