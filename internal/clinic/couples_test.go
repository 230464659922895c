package clinic_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/pgtest"
)

func TestListQueryEscapesAndCursor(t *testing.T) {
	a := actor.Actor{ClinicID: 1}
	q, args, _, err := clinic.ListQuery(a, clinic.CoupleFilter{Q: `50%_off\`})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q, "LIKE $2") || args[1] != `%50\%\_off\\%` {
		t.Errorf("query %s args %v", q, args)
	}
	for _, bad := range []string{"!!!", "bm90LWpzb24", clinic.EncodeCursor("x", 0)} {
		if _, _, _, err := clinic.ListQuery(a, clinic.CoupleFilter{After: bad}); !apperr.Is(err, apperr.BadRequest) {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
	if _, _, _, err := clinic.ListQuery(a, clinic.CoupleFilter{After: clinic.EncodeCursor("Rivera", 7)}); err != nil {
		t.Error(err)
	}
}

// seedClinic creates a clinic with one admin and one counselor by SQL.
func seedClinic(tb testing.TB, d *sqlx.DB, n int) (admin actor.Actor) {
	tb.Helper()
	ctx := context.Background()
	var cid, uid int64
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(d.GetContext(ctx, &cid, `INSERT INTO clinics (name) VALUES ('Bench') RETURNING id`))
	must(d.GetContext(ctx, &uid, `INSERT INTO users (email, name) VALUES ('c@bench.test', 'Counselor') RETURNING id`))
	_, err := d.ExecContext(ctx, `INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, 'counselor'), ($1, $2, 'clinic_admin')`, uid, cid)
	must(err)
	_, err = d.ExecContext(ctx, `INSERT INTO couples (clinic_id, label, counselor_id, status)
		SELECT $1, initcap(substr(md5(g::text), 1, 7)) || ' & ' || initcap(substr(md5((g * 7919)::text), 3, 7)), $2,
			(ARRAY['active', 'active', 'paused', 'closed'])[1 + g % 4]
		FROM generate_series(1, $3::int) g`, cid, uid, n)
	must(err)
	_, err = d.ExecContext(ctx, `ANALYZE couples`)
	must(err)
	return actor.Actor{ClinicID: cid, UserID: uid, Roles: []string{actor.RoleAdmin, actor.RoleCounselor}}
}

func TestListCouplesKeysetWalk(t *testing.T) {
	d := pgtest.NewDB(t)
	s := clinic.NewService(d, audit.New([]byte("k")), auth.NewHasher([]byte("k")), nil)
	a := seedClinic(t, d, 1000)
	ctx := context.Background()
	seen := map[int64]bool{}
	f := clinic.CoupleFilter{Limit: 137}
	for {
		p, err := s.ListCouples(ctx, a, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Items {
			if seen[c.ID] {
				t.Fatalf("duplicate %d", c.ID)
			}
			seen[c.ID] = true
		}
		if p.Next == "" {
			break
		}
		f.After = p.Next
	}
	if len(seen) != 1000 {
		t.Fatalf("walked %d", len(seen))
	}
	// Another clinic sees none of them.
	p, err := s.ListCouples(ctx, actor.Actor{ClinicID: a.ClinicID + 1000, Roles: a.Roles}, clinic.CoupleFilter{})
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("other clinic: %d, %v", len(p.Items), err)
	}
}

// BenchmarkCouplesList measures the admin couples list with 100,000 couples
// in one clinic: the first page, a deep keyset page and a label search.
// With MEND_EXPLAIN=1 it also prints EXPLAIN ANALYZE of each query.
func BenchmarkCouplesList(b *testing.B) {
	d := pgtest.NewDB(b)
	s := clinic.NewService(d, audit.New([]byte("k")), auth.NewHasher([]byte("k")), nil)
	a := seedClinic(b, d, 100000)
	ctx := context.Background()
	// A cursor 90% of the way through, and a search term taken from a real label.
	var deep struct {
		ID    int64  `db:"id"`
		Label string `db:"label"`
	}
	if err := d.GetContext(ctx, &deep, `SELECT id, label FROM couples WHERE clinic_id = $1 ORDER BY lower(label), id OFFSET 90000 LIMIT 1`, a.ClinicID); err != nil {
		b.Fatal(err)
	}
	term := strings.ToLower(deep.Label[:4])
	cases := []struct {
		name string
		f    clinic.CoupleFilter
	}{
		{"first_page", clinic.CoupleFilter{Limit: 50}},
		{"deep_page", clinic.CoupleFilter{Limit: 50, After: clinic.EncodeCursor(deep.Label, deep.ID)}},
		{"search", clinic.CoupleFilter{Limit: 50, Q: term}},
		{"search_broad", clinic.CoupleFilter{Limit: 50, Q: "a"}},
		{"search_mid", clinic.CoupleFilter{Limit: 50, Q: term[:2]}},
		{"search_none", clinic.CoupleFilter{Limit: 50, Q: "zz"}}, // short and matching nothing: the worst case
		{"filter_status", clinic.CoupleFilter{Limit: 50, Status: "paused"}},
	}
	for _, c := range cases {
		if os.Getenv("MEND_EXPLAIN") != "" {
			q, args, _, err := clinic.ListQuery(a, c.f)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			if err := d.SelectContext(ctx, &plan, `EXPLAIN (ANALYZE, BUFFERS) `+q, args...); err != nil {
				b.Fatal(err)
			}
			fmt.Printf("\n-- %s (q=%q)\n%s\n%s\n", c.name, c.f.Q, q, strings.Join(plan, "\n"))
		}
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p, err := s.ListCouples(ctx, a, c.f)
				if err != nil || (len(p.Items) == 0 && c.f.Q != "zz") {
					b.Fatalf("%d items, %v", len(p.Items), err)
				}
			}
		})
	}
}
