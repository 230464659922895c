package audit_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// BenchmarkAuditAppend appends events, each in a transaction of its own
// (as an audited read does), from 64 goroutines spread over 1 or 16
// clinics: with one chain per clinic, 16 clinics commit side by side
// (PostgreSQL groups their WAL flushes), while one clinic's appends take
// turns (each holds its chain's lock until its commit is durable).
func BenchmarkAuditAppend(b *testing.B) {
	for _, clinics := range []int{1, 16} {
		b.Run(fmt.Sprintf("clinics=%d", clinics), func(b *testing.B) {
			d := pgtest.NewDB(b)
			d.SetMaxOpenConns(32)
			d.SetMaxIdleConns(32)
			l := audit.New(key)
			var n atomic.Int64
			b.SetParallelism(32) // 64 goroutines on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					a := actor.Actor{UserID: i, ClinicID: 1 + i%int64(clinics), RequestID: "bench"}
					if err := l.LogNow(context.Background(), d, a, audit.Event{Action: "bench.read", ObjectID: i}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
			if _, err := l.Verify(context.Background(), d); err != nil {
				b.Fatal(err)
			}
		})
	}
}
