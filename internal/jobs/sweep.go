package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
)

// Sweep is work that recomputes what is due from the current data and does
// it: making the day's occurrences of recurring work, sending reminders and
// digests. It runs every Every on whichever instance picks up the job the
// elected leader enqueued, and must be idempotent and safe to run on two
// instances at once (a run that overlaps another, or repeats one after a
// restart, does nothing twice). Run takes the instant to act at, so tests
// call it directly at chosen times; it returns how much it did, for the log.
type Sweep struct {
	Name  string
	Every time.Duration // default one minute
	Run   func(ctx context.Context, now time.Time) (int, error)
}

// SweepArgs is one run of a sweep.
type SweepArgs struct {
	Name string `json:"name"`
}

// Kind is River's job kind.
func (SweepArgs) Kind() string { return "sweep" }

// InsertOpts: a failed run is not retried (the next one recomputes
// everything), and one run per sweep and period is enqueued however many
// leaders briefly overlap.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 30 * time.Second}}
}

// SweepWorker runs sweeps by name.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	sweeps map[string]Sweep
	log    *slog.Logger
	now    func() time.Time
}

// NewSweeps returns the worker for sweeps and their periodic jobs, to add
// to a Runner's Options. Each runs when the leader starts (RunOnStart: a
// restart catches up at once) and then every Every, at the instant now
// returns (nil: time.Now; tests pin it).
func NewSweeps(log *slog.Logger, now func() time.Time, sweeps ...Sweep) (*SweepWorker, []*river.PeriodicJob) {
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	w := &SweepWorker{sweeps: map[string]Sweep{}, log: log, now: now}
	var periodic []*river.PeriodicJob
	for _, s := range sweeps {
		if s.Every == 0 {
			s.Every = time.Minute
		}
		w.sweeps[s.Name] = s
		name := s.Name
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(s.Every),
			func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{Name: name}, nil },
			&river.PeriodicJobOpts{ID: "sweep:" + name, RunOnStart: true}))
	}
	return w, periodic
}

// Work runs one sweep at the current time.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	s, ok := w.sweeps[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("unknown sweep %q", job.Args.Name))
	}
	start := time.Now()
	n, err := s.Run(ctx, w.now())
	if err != nil {
		w.log.ErrorContext(ctx, "sweep failed", "sweep", s.Name, "err", err)
		return err
	}
	if n > 0 {
		w.log.InfoContext(ctx, "sweep", "sweep", s.Name, "done", n, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
