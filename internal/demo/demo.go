// Package demo loads the demonstration practice that make run shows: two
// clinics, each with an admin, two counselors and three couples.
package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
)

// Password is every demo account's password (printed by make run).
const Password = "mend-demo-2026-practice"

type person struct{ Name, Email string }

type couple struct {
	Label     string
	Counselor int // index into counselors
	A, B      person
}

type clinicSpec struct {
	Name string
	// Zone: Harbor has chosen its time zone; Northside has not yet, so its
	// admin's home shows the "runs on UTC" notice.
	Zone       string
	Admin      person
	Counselors []person
	Couples    []couple
}

var clinics = []clinicSpec{
	{
		Name:  "Harbor Counseling",
		Zone:  "America/New_York",
		Admin: person{"Avery Admin", "admin@harbor.example"},
		Counselors: []person{
			{"Dr. Maya Ortiz", "maya@harbor.example"},
			{"Sam Whitfield", "sam@harbor.example"},
		},
		Couples: []couple{
			{"Rivera & Chen", 0, person{"Lucia Rivera", "lucia@example.com"}, person{"Daniel Chen", "daniel@example.com"}},
			{"Okafor & Lindqvist", 0, person{"Ada Okafor", "ada@example.com"}, person{"Erik Lindqvist", "erik@example.com"}},
			{"Patel & Brooks", 1, person{"Priya Patel", "priya@example.com"}, person{"Jordan Brooks", "jordan@example.com"}},
		},
	},
	{
		Name:  "Northside Relationship Center",
		Admin: person{"Noor Haddad", "admin@northside.example"},
		Counselors: []person{
			{"Dr. Grace Kim", "grace@northside.example"},
			{"Tom Becker", "tom@northside.example"},
		},
		Couples: []couple{
			{"Nguyen & Silva", 0, person{"Linh Nguyen", "linh@example.com"}, person{"Rafael Silva", "rafael@example.com"}},
			{"Murphy & Adeyemi", 1, person{"Claire Murphy", "claire@example.com"}, person{"Tunde Adeyemi", "tunde@example.com"}},
			{"Kowalski & Reyes", 1, person{"Marta Kowalski", "marta@example.com"}, person{"Diego Reyes", "diego@example.com"}},
		},
	},
}

// Login is one printed demo login.
type Login struct{ Clinic, Role, Name, Email string }

// Logins lists every demo account, for printing.
func Logins() []Login {
	var out []Login
	for _, c := range clinics {
		out = append(out, Login{c.Name, actor.RoleAdmin, c.Admin.Name, c.Admin.Email})
		for _, p := range c.Counselors {
			out = append(out, Login{c.Name, actor.RoleCounselor, p.Name, p.Email})
		}
		for _, cp := range c.Couples {
			out = append(out, Login{c.Name, actor.RoleClient, cp.A.Name + " (" + cp.Label + ")", cp.A.Email})
			out = append(out, Login{c.Name, actor.RoleClient, cp.B.Name + " (" + cp.Label + ")", cp.B.Email})
		}
	}
	return out
}

// PrintLogins writes the demo logins as a table.
func PrintLogins(w io.Writer) {
	fmt.Fprintf(w, "\nDemo logins (password for all: %s)\n", Password)
	last := ""
	for _, l := range Logins() {
		if l.Clinic != last {
			fmt.Fprintf(w, "  %s\n", l.Clinic)
			last = l.Clinic
		}
		fmt.Fprintf(w, "    %-12s %-32s %s\n", l.Role, l.Email, l.Name)
	}
}

// Seeded reports whether the demo practice is already loaded.
func Seeded(ctx context.Context, d *sqlx.DB) (bool, error) {
	var ok bool
	err := d.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1)`, clinics[0].Admin.Email)
	return ok, err
}

// LoadedAt reports when the demo practice was loaded (zero if it is not).
// Its dates are relative to that day, so a demo kept for weeks has aged:
// everything overdue, the check-in chart empty.
func LoadedAt(ctx context.Context, d *sqlx.DB) (time.Time, error) {
	var at sql.NullTime
	err := d.GetContext(ctx, &at, `SELECT min(created_at) FROM users WHERE lower(email) = $1`, clinics[0].Admin.Email)
	return at.Time, err
}

// Seed loads the demo practice once; a second call does nothing.
func Seed(ctx context.Context, d *sqlx.DB, accounts *account.Service, al *audit.Logger) (bool, error) {
	if ok, err := Seeded(ctx, d); err != nil || ok {
		return false, err
	}
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return false, err
	}
	a := actor.Actor{RequestID: "seed-demo"}
	for _, spec := range clinics {
		clinicID, err := accounts.AddClinic(ctx, a, account.NewClinic{Name: spec.Name, TimeZone: spec.Zone})
		if err != nil {
			return false, err
		}
		err = db.InTx(ctx, d, func(tx *db.Tx) error {
			user := func(p person, role string) (int64, error) {
				var id int64
				err := tx.GetContext(ctx, &id, `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id`,
					strings.ToLower(p.Email), p.Name, hash)
				if err != nil {
					return 0, fmt.Errorf("demo user %s: %w", p.Email, err)
				}
				return id, account.AddMembership(ctx, tx, id, clinicID, role)
			}
			if _, err := user(spec.Admin, actor.RoleAdmin); err != nil {
				return err
			}
			var counselorIDs []int64
			for _, p := range spec.Counselors {
				id, err := user(p, actor.RoleCounselor)
				if err != nil {
					return err
				}
				counselorIDs = append(counselorIDs, id)
			}
			for _, cp := range spec.Couples {
				var coupleID int64
				if err := tx.GetContext(ctx, &coupleID, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, $2, $3) RETURNING id`,
					clinicID, cp.Label, counselorIDs[cp.Counselor]); err != nil {
					return err
				}
				for i, p := range []person{cp.A, cp.B} {
					uid, err := user(p, actor.RoleClient)
					if err != nil {
						return err
					}
					if _, err := tx.ExecContext(ctx, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, $3, $4, $5, $6)`,
						coupleID, clinicID, []string{"A", "B"}[i], p.Name, strings.ToLower(p.Email), uid); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return false, err
		}
	}
	if err := seedWork(ctx, d, assignment.NewService(d, al, nil)); err != nil {
		return false, fmt.Errorf("demo work: %w", err)
	}
	if err := seedSessions(ctx, d); err != nil {
		return false, fmt.Errorf("demo sessions: %w", err)
	}
	return true, nil
}
