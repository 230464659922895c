// Package jobs is Mend's one queue for everything that happens later: mail,
// reminders, digests, recurring work, sweeps. It is River on PostgreSQL,
// polling over the same lib/pq pool as the rest of Mend (riverdatabasesql):
// a job is inserted in the transaction of the change that causes it (it
// exists if and only if that change committed), survives restarts, is
// worked by exactly one instance, and periodic jobs run on the elected
// leader only.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"
)

// Client is River's client over database/sql transactions.
type Client = river.Client[*sql.Tx]

// Queue inserts jobs. Services hold one and insert inside their own
// transactions; it works no jobs itself (see Runner).
type Queue struct {
	client *Client
}

// NewQueue returns an insert-only queue over d.
func NewQueue(d *sqlx.DB) (*Queue, error) {
	c, err := river.NewClient(riverdatabasesql.New(d.DB), &river.Config{})
	if err != nil {
		return nil, fmt.Errorf("job queue: %w", err)
	}
	return &Queue{client: c}, nil
}

// InsertTx enqueues args in tx: the job exists only if tx commits.
func (q *Queue) InsertTx(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := q.client.InsertTx(ctx, tx.Tx.Tx, args, opts)
	return err
}

// Options configure a Runner.
type Options struct {
	// Workers holds every worker, registered with river.AddWorker.
	Workers *river.Workers
	// Periodic jobs are enqueued by the leader on their schedules.
	Periodic []*river.PeriodicJob
	// MaxWorkers bounds jobs worked at once by this instance (default 8).
	MaxWorkers int
	// PollInterval is how often idle instances look for new jobs (default
	// 500 ms): the longest a committed mail waits before it is picked up.
	PollInterval time.Duration
	// Retry decides when a failed job runs again (default Backoff{}).
	Retry river.ClientRetryPolicy
	// ID names this instance in River's leader election (default random).
	ID  string
	Log *slog.Logger
}

// Runner works jobs on this instance.
type Runner struct {
	client *Client
}

// NewRunner builds a working client. Several instances may run one each on
// the same database: River's row locks give every job to one of them, and
// one elected leader enqueues the periodic jobs.
func NewRunner(d *sqlx.DB, o Options) (*Runner, error) {
	if o.MaxWorkers == 0 {
		o.MaxWorkers = 8
	}
	if o.PollInterval == 0 {
		o.PollInterval = 500 * time.Millisecond
	}
	if o.Retry == nil {
		o.Retry = Backoff{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	c, err := river.NewClient(riverdatabasesql.New(d.DB), &river.Config{
		ID:                o.ID,
		Logger:            slog.New(warnOnly{o.Log.Handler()}).With("component", "jobs"),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.MaxWorkers}},
		Workers:           o.Workers,
		PeriodicJobs:      o.Periodic,
		PollOnly:          true, // lib/pq through database/sql: no LISTEN/NOTIFY
		FetchPollInterval: o.PollInterval,
		FetchCooldown:     min(100*time.Millisecond, o.PollInterval),
		RetryPolicy:       o.Retry,
		JobTimeout:        2 * time.Minute,
		// A job whose instance died mid-run is picked up again after this.
		RescueStuckJobsAfter: 15 * time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("job runner: %w", err)
	}
	return &Runner{client: c}, nil
}

// Start begins working jobs until Stop or ctx ends.
func (r *Runner) Start(ctx context.Context) error { return r.client.Start(ctx) }

// Stop lets running jobs finish (within ctx) and stops.
func (r *Runner) Stop(ctx context.Context) error { return r.client.Stop(ctx) }

// Backoff is Mend's retry policy: Base × 2^(attempt-1), at most Max, with
// ±10 % jitter so a relay that comes back is not hit by every job at once.
// The zero value waits 15 s, 30 s, 1 min … up to 1 h between attempts.
type Backoff struct {
	Base, Max time.Duration
}

// NextRetry implements river.ClientRetryPolicy.
func (b Backoff) NextRetry(job *rivertype.JobRow) time.Time {
	base, ceiling := b.Base, b.Max
	if base == 0 {
		base = 15 * time.Second
	}
	if ceiling == 0 {
		ceiling = time.Hour
	}
	// job.Errors holds the failures before this one: the first retry waits Base.
	d := ceiling
	if n := len(job.Errors); n < 30 {
		d = min(ceiling, base<<n)
	}
	jitter := time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return time.Now().Add(d + jitter)
}

// warnOnly passes River's warnings and errors on, not its routine info
// lines (a producer's job counts every few seconds).
type warnOnly struct{ slog.Handler }

func (w warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && w.Handler.Enabled(ctx, l)
}

func (w warnOnly) WithAttrs(a []slog.Attr) slog.Handler { return warnOnly{w.Handler.WithAttrs(a)} }
func (w warnOnly) WithGroup(n string) slog.Handler      { return warnOnly{w.Handler.WithGroup(n)} }
