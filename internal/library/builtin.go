package library

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/measure"
)

// BuiltinTemplates is every built-in: the exercises, then the outcome
// measures (measure.Templates).
func BuiltinTemplates() []exercise.Template {
	return append(exercise.Builtins(), measure.Templates()...)
}

// BuiltinTemplate returns the built-in (exercise or measure) with the slug.
func BuiltinTemplate(slug string) (exercise.Template, bool) {
	for _, t := range BuiltinTemplates() {
		if t.Slug == slug {
			return t, true
		}
	}
	return exercise.Template{}, false
}

// syncLock serialises SyncBuiltins across instances starting together.
const syncLock = 0x6d656c62 // "melb"

// SyncBuiltins makes the stored built-ins match exercise.Builtins(): a
// missing one is added as version 1; one whose content changed gets a new
// version (older versions, and the assignments pinned to them, are left
// as they were). Running it again changes nothing.
func SyncBuiltins(ctx context.Context, d *sqlx.DB) error {
	return db.InTx(ctx, d, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, syncLock); err != nil {
			return err
		}
		for _, t := range BuiltinTemplates() {
			if errs := t.Validate(); errs != nil {
				return fmt.Errorf("built-in %s does not validate: %v", t.Slug, errs)
			}
			if err := syncBuiltin(ctx, tx, t); err != nil {
				return fmt.Errorf("built-in %s: %w", t.Slug, err)
			}
		}
		return nil
	})
}

func syncBuiltin(ctx context.Context, tx *db.Tx, t exercise.Template) error {
	var cur struct {
		ID      int64 `db:"id"`
		Version int   `db:"current_version"`
	}
	err := tx.GetContext(ctx, &cur, `SELECT id, current_version FROM exercise_templates WHERE slug = $1`, t.Slug)
	if errors.Is(err, sql.ErrNoRows) {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO exercise_templates (slug, title, category, suggested_mode, audience,
			description, private_to_counselor, recurring, visibility, measure, needs_review)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'builtin', $9, $10) RETURNING id`,
			t.Slug, t.Title, t.Category, t.SuggestedMode, t.Audience, t.Description, t.Private, t.Recurring,
			sql.NullString{String: t.Measure, Valid: t.Measure != ""}, DefaultNeedsReview(t.Recurring))
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, id, 1, t, "Built-in exercise.", sql.NullInt64{})
	}
	if err != nil {
		return err
	}
	var r versionRow
	if err := tx.GetContext(ctx, &r, `SELECT version, title, category, description, instructions, suggested_mode, audience,
		private_to_counselor, recurring, coalesce(measure, '') AS measure, schema FROM template_versions
		WHERE template_id = $1 AND version = $2`, cur.ID, cur.Version); err != nil {
		return err
	}
	var old exercise.Template
	if err := json.Unmarshal(r.Schema, &old.Schema); err != nil {
		return err
	}
	old.Slug, old.Title, old.Category, old.Description, old.Instructions = t.Slug, r.Title, r.Category, r.Description, r.Instructions
	old.SuggestedMode, old.Audience, old.Private, old.Recurring, old.Measure = r.SuggestedMode, r.Audience, r.Private, r.Recurring, r.Measure
	if same(old, t) {
		return nil
	}
	note := ChangeNote(old, t)
	if note == "" {
		note = "Updated with Mend."
	}
	return insertVersion(ctx, tx, cur.ID, cur.Version+1, t, note, sql.NullInt64{})
}

// same compares two templates as stored (through JSON, so nil and empty
// lists are alike).
func same(a, b exercise.Template) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	var x, y any
	json.Unmarshal(ja, &x)
	json.Unmarshal(jb, &y)
	return reflect.DeepEqual(x, y)
}
