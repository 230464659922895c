// Package app builds Mend's services once, from the configuration and the
// database pool: the one place that wires them (the server, the command
// line and the tests all start here), so no service is built per request
// and every instance is put together the same way.
package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/appointment"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/authz"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/config"
	"github.com/mend-clinic/mend/internal/jobs"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/measure"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/remind"
	"github.com/mend-clinic/mend/internal/security"
	"github.com/mend-clinic/mend/internal/settings"
	"github.com/mend-clinic/mend/internal/sweep"
	"github.com/mend-clinic/mend/internal/web"
)

// App is every service of one Mend instance.
type App struct {
	Config      config.Config
	DB          *sqlx.DB
	Log         *slog.Logger
	Authz       *authz.Enforcer
	Audit       *audit.Logger
	Queue       *jobs.Queue
	Outbox      *mail.Outbox
	Notify      *notify.Service
	Accounts    *account.Service
	Clinic      *clinic.Service
	Assignments *assignment.Service
	Library     *library.Service
	Remind      *remind.Service
	Measures    *measure.Service
	Tokens      *auth.Tokens
	MFA         *security.MFA
	Settings    *settings.Service
	// Appointments are the couples' sessions (the name "session" is the
	// browser's sign-in state's).
	Appointments *appointment.Service
}

// New builds the services.
func New(cfg config.Config, d *sqlx.DB, log *slog.Logger) (*App, error) {
	enf, err := authz.New()
	if err != nil {
		return nil, err
	}
	q, err := jobs.NewQueue(d)
	if err != nil {
		return nil, err
	}
	key := cfg.SecretKey
	if key == nil {
		key = make([]byte, 32) // commands that send no mail and issue no tokens
	}
	out, err := mail.NewOutbox(q, key)
	if err != nil {
		return nil, err
	}
	al := audit.New(cfg.AuditKey)
	n := notify.New(d, out)
	h := auth.NewHasher(cfg.SecretKey)
	mfa, err := security.NewMFA(d, al, key)
	if err != nil {
		return nil, err
	}
	mfa.Notify = n
	accounts := account.NewService(d, al, n)
	accounts.MFA = mfa
	st, err := settings.New(d, al, key)
	if err != nil {
		return nil, err
	}
	return &App{Config: cfg, DB: d, Log: log, Authz: enf, Audit: al, Queue: q, Outbox: out, Notify: n,
		Appointments: appointment.NewService(d, al, n, h),

		Accounts:    accounts,
		Clinic:      clinic.NewService(d, al, h, n),
		Assignments: assignment.NewService(d, al, n),
		Library:     library.NewService(d, al),
		Remind:      remind.New(d, n),
		Measures:    measure.NewService(d, al),
		Tokens:      auth.NewTokens(d, h),
		MFA:         mfa,
		Settings:    st,
	}, nil
}

// Server builds the web server over the services. sessionCleanup is how
// often expired sessions are purged (0: never, for tests).
func (a *App) Server(sessionCleanup time.Duration) (*web.Server, error) {
	return web.New(web.Deps{Config: a.Config, DB: a.DB, Log: a.Log, Authz: a.Authz, Audit: a.Audit, Accounts: a.Accounts,
		Clinic: a.Clinic, Assignments: a.Assignments, Library: a.Library, Tokens: a.Tokens, MFA: a.MFA, Notify: a.Notify,
		Settings: a.Settings, Appointments: a.Appointments, Measures: a.Measures, SessionCleanup: sessionCleanup})
}

// Sender is where this instance's mail goes: SMTP when MEND_SMTP_URL is
// set, otherwise .eml files under MEND_MAIL_DIR (nothing leaves the machine).
func (a *App) Sender() (mail.Sender, error) {
	if a.Config.SMTPURL == "" {
		return mail.Dir{Path: a.Config.MailDir, Log: a.Log}, nil
	}
	c, err := mail.ParseSMTPURL(a.Config.SMTPURL)
	if err != nil {
		return nil, err
	}
	return mail.NewSMTP(c), nil
}

// RunnerOptions adjust the job runner (tests make it fast).
type RunnerOptions struct {
	Sender       mail.Sender // default: a.Sender()
	PollInterval time.Duration
	Retry        river.ClientRetryPolicy
	ID           string
	// Now is the clock of the sweeps (default time.Now; tests pin it).
	Now func() time.Time
}

// Runner builds this instance's job runner with every worker and periodic
// job. Each `mend serve` runs one; they share the work.
func (a *App) Runner(o RunnerOptions) (*jobs.Runner, error) {
	if o.Sender == nil {
		s, err := a.Sender()
		if err != nil {
			return nil, err
		}
		o.Sender = s
	}
	mw, err := mail.NewWorker(mail.WorkerConfig{DB: a.DB, Sender: o.Sender, SecretKey: a.Config.SecretKey,
		BaseURL: a.Config.BaseURL, From: a.Config.MailFrom, Log: a.Log})
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	mw.OnFailure = a.Notify.MailFailed
	workers := river.NewWorkers()
	river.AddWorker(workers, mw)
	// Every minute, on the leader's schedule: the day's occurrences of
	// recurring work, reminders, and digests (internal/remind).
	sw, periodic := jobs.NewSweeps(a.Log, o.Now,
		jobs.Sweep{Name: "occurrences", Run: a.Assignments.MakeOccurrences},
		jobs.Sweep{Name: "reminders", Run: a.Remind.Reminders},
		jobs.Sweep{Name: "digests", Run: a.Remind.Digests},
		jobs.Sweep{Name: "tables", Every: 10 * time.Minute, Run: sweep.Tables(a.DB)},
	)
	river.AddWorker(workers, sw)
	return jobs.NewRunner(a.DB, jobs.Options{Workers: workers, Periodic: periodic, PollInterval: o.PollInterval, Retry: o.Retry,
		ID: o.ID, Log: a.Log})
}
