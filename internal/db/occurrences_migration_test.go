package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
	"github.com/mend-clinic/mend/migrations"
)

// Migration 13: occurrences made up front for days to come are removed
// while untouched (the job makes them again on their local day), touched
// ones stay, and next_occurs_on names the first day to make.
func TestOccurrenceMigrationRemovesOnlyUntouchedFutureDays(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, pgtest.EmptyURL(t), 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, d.DB, migrations.FS, goose.WithGoMigrations(migrations.Go()...))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 12); err != nil {
		t.Fatal(err)
	}
	// A daily check-in as the schema of version 12 holds it (the built-ins
	// of today's code need columns that later migrations add).
	d.MustExec(`WITH t AS (INSERT INTO exercise_templates (slug, title, category, suggested_mode, visibility, recurring)
			VALUES ('daily-check-in', 'Daily check-in', 'daily_practice', 'each', 'builtin', true) RETURNING id)
		INSERT INTO template_versions (template_id, version, title, category, suggested_mode, recurring, schema)
		SELECT id, 1, 'Daily check-in', 'daily_practice', 'each', true, '{"sections": []}' FROM t`)
	var clinic, user, couple, pa, asg, done int64
	d.Get(&clinic, `INSERT INTO clinics (name) VALUES ('H') RETURNING id`)
	d.Get(&user, `INSERT INTO users (email, name) VALUES ('c@x.test', 'C') RETURNING id`)
	d.Get(&couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'A & B', $2) RETURNING id`, clinic, user)
	d.Get(&pa, `INSERT INTO partners (couple_id, clinic_id, slot, name, email) VALUES ($1, $2, 'A', 'A', 'a@x.test') RETURNING id`, couple, clinic)
	d.MustExec(`INSERT INTO partners (couple_id, clinic_id, slot, name, email) VALUES ($1, $2, 'B', 'B', 'b@x.test')`, couple, clinic)
	insertRecurring := func(from, to int) int64 {
		var id int64
		if err := d.Get(&id, `INSERT INTO assignments (clinic_id, couple_id, template_id, template_version, mode, partner_id, recur_every, recur_until, created_by)
			SELECT $1, $2, t.id, t.current_version, 'individual', $3, 'day', current_date + $5::int, $4 FROM exercise_templates t WHERE t.slug = 'daily-check-in'
			RETURNING id`, clinic, couple, pa, user, to); err != nil {
			t.Fatal(err)
		}
		d.MustExec(`INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
			SELECT $1, $2, $3, $4, current_date + g, (current_date + g + 1)::timestamp AT TIME ZONE 'UTC' - interval '1 second'
			FROM generate_series($5::int, $6::int) g`, clinic, couple, id, pa, from, to)
		return id
	}
	asg = insertRecurring(-2, 4)   // two days ago through four days ahead
	done = insertRecurring(-5, -1) // ended yesterday
	// Someone wrote in the occurrence of the day after tomorrow.
	d.MustExec(`UPDATE responses SET version = 2, answers = '{"trust": 5}' WHERE assignment_id = $1 AND occurs_on = current_date + 2`, asg)

	if _, err := p.UpTo(ctx, 13); err != nil {
		t.Fatal(err)
	}
	var days []time.Time
	d.Select(&days, `SELECT occurs_on FROM responses WHERE assignment_id = $1 ORDER BY occurs_on`, asg)
	var got []int
	today := time.Now().UTC().Truncate(24 * time.Hour)
	for _, x := range days {
		got = append(got, int(x.Sub(today).Hours()/24))
	}
	if len(got) != 4 || got[0] != -2 || got[1] != -1 || got[2] != 0 || got[3] != 2 {
		t.Errorf("occurrences kept (days from today): %v, want [-2 -1 0 2]", got)
	}
	var next *time.Time
	d.Get(&next, `SELECT next_occurs_on FROM assignments WHERE id = $1`, asg)
	if next == nil || int(next.Sub(today).Hours()/24) != 1 {
		t.Errorf("next_occurs_on %v, want tomorrow", next)
	}
	d.Get(&next, `SELECT next_occurs_on FROM assignments WHERE id = $1`, done)
	if next != nil {
		t.Errorf("finished work: next_occurs_on %v, want NULL", next)
	}
	// The unique index now refuses a second copy of a day.
	if _, err := d.Exec(`INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on) VALUES ($1, $2, $3, $4, current_date)`,
		clinic, couple, asg, pa); !db.IsUniqueViolation(err, "responses_occurrence_uniq") {
		t.Errorf("duplicate occurrence: %v", err)
	}
}
