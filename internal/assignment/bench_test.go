package assignment_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/loadgen"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// The benchmarks run against a practice of MEND_BENCH_ASSIGNMENTS
// assignments (default 50,000 so `make bench` stays quick; the figures in
// docs/performance.md use 1,000,000), seeded once per run by the same
// loadgen the `mend seed-load` command uses.
func benchPractice(b *testing.B) (*assignment.Service, loadgen.Result) {
	var benchDB *sqlx.DB
	var benchRes loadgen.Result
	{
		n := 50000
		if v, err := strconv.Atoi(os.Getenv("MEND_BENCH_ASSIGNMENTS")); err == nil && v > 0 {
			n = v
		}
		benchDB = pgtest.NewDB(b)
		ctx := context.Background()
		if err := library.SyncBuiltins(ctx, benchDB); err != nil {
			b.Fatal(err)
		}
		var err error
		if benchRes, err = loadgen.Seed(ctx, benchDB, loadgen.Options{Assignments: n}); err != nil {
			b.Fatal(err)
		}
		b.Logf("seeded %d assignments: %d couples, %d counselors", n, benchRes.Couples, benchRes.Counselors)
	}
	return assignment.NewService(benchDB, audit.New(make([]byte, 32)), nil), benchRes
}

// BenchmarkAtScale measures the review queue and a client's home page on
// one seeded practice (one function, so the seeding happens once).
func BenchmarkAtScale(b *testing.B) {
	svc, r := benchPractice(b)
	reviewQueue(b, svc, r)
	clientHome(b, svc, r)
}

func reviewQueue(b *testing.B, svc *assignment.Service, r loadgen.Result) {
	a := actor.Actor{UserID: r.CounselorID, ClinicID: r.ClinicID, Roles: []string{actor.RoleCounselor}}
	ctx := context.Background()
	first, err := svc.ReviewQueue(ctx, a, nil, 51)
	if err != nil || len(first) == 0 {
		b.Fatalf("queue: %v, %d items", err, len(first))
	}
	after := &assignment.Cursor{At: first[len(first)-1].SubmittedAt, ID: first[len(first)-1].ResponseID}
	b.Run("review-queue/first-page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := svc.ReviewQueue(ctx, a, nil, 51); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("review-queue/next-page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := svc.ReviewQueue(ctx, a, after, 51); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func clientHome(b *testing.B, svc *assignment.Service, r loadgen.Result) {
	a := actor.Actor{UserID: r.ClientID, ClinicID: r.ClinicID, Roles: []string{actor.RoleClient}}
	ctx := context.Background()
	h, err := svc.Home(ctx, a)
	if err != nil || h.CoupleID == 0 {
		b.Fatalf("home: %v %+v", err, h)
	}
	b.Run("client-home", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := svc.Home(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client-counts", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := svc.CountsFor(ctx, a); err != nil {
				b.Fatal(err)
			}
		}
	})
}
