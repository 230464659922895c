// Package loadgen fills a database with a large synthetic practice for
// benchmarks and load tests: one clinic, many counselors and couples, and
// as many assignments as asked, in realistic states. It writes with set
// SQL (generate_series), so a million assignments take about a minute.
package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/auth"
)

// Password is every synthetic account's password unless Options says otherwise.
const Password = "load-test-password-2026"

// Options size the practice.
type Options struct {
	Assignments        int // total assignments (one response each)
	AssignmentsPerCoup int // assignments per couple (default 50)
	CouplesPerCounsel  int // couples per counselor (default 40)
	// Clinics spreads the practice over this many clinics (default 1), each
	// with an equal share of the counselors, couples and assignments, as an
	// installation that serves many clinics.
	Clinics  int
	Password string
}

// Result names what a benchmark needs to act as someone (in the first
// clinic, when there are several).
type Result struct {
	ClinicID       int64  `db:"clinic_id"`
	CounselorID    int64  `db:"counselor_id"` // a counselor with a full caseload
	ClientID       int64  `db:"client_id"`    // partner A of that counselor's first couple
	CounselorEmail string `db:"counselor_email"`
	ClientEmail    string `db:"client_email"`
	Couples        int    `db:"-"` // in all clinics
	Counselors     int    `db:"-"`
	Clinics        int    `db:"-"`
}

// Seed creates the practice in one transaction per table and clinic.
func Seed(ctx context.Context, d *sqlx.DB, o Options) (Result, error) {
	var r Result
	if o.AssignmentsPerCoup == 0 {
		o.AssignmentsPerCoup = 50
	}
	if o.CouplesPerCounsel == 0 {
		o.CouplesPerCounsel = 40
	}
	if o.Password == "" {
		o.Password = Password
	}
	o.Clinics = max(1, o.Clinics)
	couples := max(1, o.Assignments/o.AssignmentsPerCoup/o.Clinics)
	counselors := max(1, couples/o.CouplesPerCounsel)
	r.Couples, r.Counselors, r.Clinics = couples*o.Clinics, counselors*o.Clinics, o.Clinics
	hash, err := auth.HashPassword(o.Password)
	if err != nil {
		return r, err
	}
	var tpl struct {
		ID      int64 `db:"id"`
		Version int   `db:"current_version"`
	}
	if err := d.GetContext(ctx, &tpl, `SELECT id, current_version FROM exercise_templates WHERE slug = 'apology-letter'`); err != nil {
		return r, fmt.Errorf("the built-in library must be loaded first: %w", err)
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano())
	var first int64
	for k := 1; k <= o.Clinics; k++ {
		tag := run
		if o.Clinics > 1 {
			tag = fmt.Sprintf("%s-c%d", run, k)
		}
		id, err := seedClinic(ctx, d, tag, hash, tpl.ID, tpl.Version, couples, counselors, o.AssignmentsPerCoup)
		if err != nil {
			return r, err
		}
		if k == 1 {
			first = id
		}
	}
	if _, err := d.ExecContext(ctx, `ANALYZE`); err != nil {
		return r, err
	}
	err = d.GetContext(ctx, &r, `SELECT c.clinic_id, c.counselor_id, p.user_id AS client_id,
			(SELECT email FROM users WHERE id = c.counselor_id) AS counselor_email,
			(SELECT email FROM users WHERE id = p.user_id) AS client_email
		FROM couples c JOIN partners p ON p.couple_id = c.id AND p.slot = 'A'
		WHERE c.clinic_id = $1 ORDER BY c.id LIMIT 1`, first)
	return r, err
}

// seedClinic creates one clinic of the practice and returns its id.
func seedClinic(ctx context.Context, d *sqlx.DB, tag, hash string, tplID int64, tplVersion, couples, counselors, perCouple int) (int64, error) {
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		{"clinic", `INSERT INTO clinics (name) VALUES ('Load test ' || $1)`, []any{tag}},
		{"counselors", `INSERT INTO users (email, name, password_hash)
			SELECT 'counselor-' || $1 || '-' || i || '@load.test', 'Counselor ' || i, $2 FROM generate_series(1, $3) i`, []any{tag, hash, counselors}},
		{"counselor memberships", `INSERT INTO memberships (user_id, clinic_id, role)
			SELECT u.id, (SELECT max(id) FROM clinics), 'counselor' FROM users u WHERE u.email LIKE 'counselor-' || $1 || '-%'`, []any{tag}},
		{"clients", `INSERT INTO users (email, name, password_hash)
			SELECT 'client-' || $1 || '-' || i || '@load.test', 'Client ' || i, $2 FROM generate_series(1, $3 * 2) i`, []any{tag, hash, couples}},
		{"client memberships", `INSERT INTO memberships (user_id, clinic_id, role)
			SELECT u.id, (SELECT max(id) FROM clinics), 'client' FROM users u WHERE u.email LIKE 'client-' || $1 || '-%'`, []any{tag}},
		{"couples", `WITH c AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE 'counselor-' || $1 || '-%')
			INSERT INTO couples (clinic_id, label, counselor_id, last_activity_at)
			SELECT (SELECT max(id) FROM clinics), 'Couple ' || lpad(i::text, 7, '0'), c.ids[1 + (i - 1) % array_length(c.ids, 1)],
				now() - (i % 500) * interval '1 hour'
			FROM c, generate_series(1, $2) i`, []any{tag, couples}},
		{"partners", `WITH cl AS (SELECT array_agg(id ORDER BY id) AS ids FROM users WHERE email LIKE 'client-' || $1 || '-%'),
			cp AS (SELECT id, row_number() OVER (ORDER BY id) AS n, clinic_id FROM couples WHERE clinic_id = (SELECT max(id) FROM clinics))
			INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id)
			SELECT cp.id, cp.clinic_id, s.slot, 'Partner ' || s.slot || cp.n, 'p' || s.slot || cp.n || '@load.test',
				cl.ids[(cp.n - 1) * 2 + s.k]
			FROM cp, cl, (VALUES ('A', 1), ('B', 2)) s(slot, k)`, []any{tag}},
		{"assignments", `INSERT INTO assignments (clinic_id, couple_id, template_id, template_version, mode, partner_id, due_at, created_by, created_at)
			SELECT c.clinic_id, c.id, $1, $2, 'individual', p.id, now() + ((g % 21) - 10) * interval '1 day', c.counselor_id,
				now() - (g % 90) * interval '1 day'
			FROM couples c CROSS JOIN generate_series(1, $3) g
				JOIN partners p ON p.couple_id = c.id AND p.slot = CASE WHEN g % 2 = 0 THEN 'A' ELSE 'B' END
			WHERE c.clinic_id = (SELECT max(id) FROM clinics)`, []any{tplID, tplVersion, perCouple}},
		// States: 70% accepted, 8% submitted (awaiting review), 5% revision requested, 17% draft.
		{"responses", `INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, due_at, status, answers, version, submitted_at, reviewed_at)
			SELECT a.clinic_id, a.couple_id, a.id, a.partner_id, a.due_at, st.status,
				CASE WHEN st.status = 'draft' THEN '{}'::jsonb ELSE '{"what_i_did": "synthetic"}'::jsonb END, 2,
				CASE WHEN st.status <> 'draft' THEN a.created_at + interval '2 days' END,
				CASE WHEN st.status IN ('accepted', 'revision_requested') THEN a.created_at + interval '3 days' END
			FROM assignments a, LATERAL (SELECT CASE WHEN x < 0.70 THEN 'accepted' WHEN x < 0.78 THEN 'submitted'
				WHEN x < 0.83 THEN 'revision_requested' ELSE 'draft' END AS status FROM (SELECT random() + a.id * 0 AS x) r) st
			WHERE a.clinic_id = (SELECT max(id) FROM clinics)`, nil},
		{"submissions", `INSERT INTO submissions (response_id, version, answers, submitted_by, submitted_at)
			SELECT r.id, r.version, r.answers, p.user_id, r.submitted_at FROM responses r JOIN partners p ON p.id = r.partner_id
			WHERE r.clinic_id = (SELECT max(id) FROM clinics) AND r.submitted_at IS NOT NULL`, nil},
	}
	for _, s := range steps {
		if _, err := d.ExecContext(ctx, s.sql, s.args...); err != nil {
			return 0, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	var id int64
	err := d.GetContext(ctx, &id, `SELECT max(id) FROM clinics`)
	return id, err
}
