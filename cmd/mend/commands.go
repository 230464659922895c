package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/app"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/config"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/demo"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/loadgen"
	"github.com/mend-clinic/mend/internal/tz"
)

// flags returns a FlagSet whose --help prints the summary and flags.
func flags(e env, name, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: mend %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return errUsage
	}
	return nil
}

// showHelp prints fs's usage to stdout (help asked for is the output, as
// for `mend --help`) when args ask for it.
func showHelp(e env, fs *flag.FlagSet, args []string) bool {
	if !helpAsked(args) {
		return false
	}
	fs.SetOutput(e.stdout)
	fs.Usage()
	return true
}

func helpAsked(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			return true
		}
	}
	return false
}

// open loads the configuration and connects to the database.
func open(e env) (config.Config, *sqlx.DB, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return cfg, nil, err
	}
	if cfg.DatabaseURL == "" {
		return cfg, nil, errors.New("DATABASE_URL is not set")
	}
	d, err := db.Open(e.ctx, cfg.DatabaseURL, cfg.DBMaxOpen, cfg.DBMaxIdle)
	return cfg, d, err
}

// openAudited is open for commands that write or check the audit chain:
// they need MEND_AUDIT_KEY, since a row chained with another key (or
// none) would break `mend audit verify` from that row on.
func openAudited(e env) (*sqlx.DB, *audit.Logger, error) {
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return nil, nil, err
	}
	if cfg.AuditKey == nil {
		return nil, nil, errors.New("MEND_AUDIT_KEY is not set: use the key the server uses (make run keeps it in var/keys.env)")
	}
	_, d, err := open(e)
	if err != nil {
		return nil, nil, err
	}
	return d, audit.New(cfg.AuditKey), nil
}

func newLogger(e env, cfg config.Config) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if e.getenv("MEND_LOG_FORMAT") == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

func cmdServe(e env, args []string) error {
	fs := flags(e, "serve", "Run the web server. Applies pending migrations first; stops gracefully on SIGINT/SIGTERM.")
	seed := fs.Bool("seed-demo", false, "load the demo practice if it is not there yet, and print its logins")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(e.getenv)
	if err != nil {
		return err
	}
	if err := cfg.ValidateServe(); err != nil {
		return err
	}
	log := newLogger(e, cfg)
	d, err := db.Open(e.ctx, cfg.DatabaseURL, cfg.DBMaxOpen, cfg.DBMaxIdle)
	if err != nil {
		return err
	}
	defer d.Close()
	n, err := db.MigrateUp(e.ctx, d.DB)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n)
	}
	if err := library.SyncBuiltins(e.ctx, d); err != nil {
		return fmt.Errorf("sync built-in exercises: %w", err)
	}
	svc, err := app.New(cfg, d, log)
	if err != nil {
		return err
	}
	srv, err := svc.Server(0) // expired sessions go with the sweep job
	if err != nil {
		return err
	}
	defer srv.Close()
	if *seed {
		if _, err := demo.Seed(e.ctx, d, svc.Accounts, svc.Audit); err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		printDemo(e, d)
	}
	// The job queue: mail, reminders, digests, recurring work. Every
	// instance works it; jobs survive restarts and run once.
	runner, err := svc.Runner(app.RunnerOptions{})
	if err != nil {
		return err
	}
	if err := runner.Start(e.ctx); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		defer cancel()
		if err := runner.Stop(ctx); err != nil {
			log.Warn("job runner stopped with jobs still running (they will be retried)", "err", err)
		}
	}()
	if sender, err := svc.Sender(); err == nil {
		log.Info("mail", "goes_to", sender.Describe())
		if !cfg.MailDelivered() {
			fmt.Fprintf(e.stdout, "\nMail is not sent (MEND_SMTP_URL is not set): every message is written to %s/ as an .eml file.\n", cfg.MailDir)
		}
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nMend is serving on %s  (Ctrl-C stops it)\n", cfg.BaseURL)
	log.Info("listening", "addr", ln.Addr().String(), "version", version)
	err = srv.ListenAndServe(e.ctx, ln)
	log.Info("stopped")
	return err
}

func cmdMigrate(e env, args []string) error {
	fs := flags(e, "migrate", "Apply or inspect database migrations.\n\n  mend migrate [up]       apply every pending migration (default)\n  mend migrate down       roll back the newest migration\n  mend migrate down --all roll back every migration\n  mend migrate status     list migrations and whether each is applied")
	all := fs.Bool("all", false, "with down: roll back every migration")
	if showHelp(e, fs, args) {
		return nil
	}
	dir := "up"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dir, args = args[0], args[1:]
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	_, d, err := open(e)
	if err != nil {
		return err
	}
	defer d.Close()
	switch dir {
	case "up":
		n, err := db.MigrateUp(e.ctx, d.DB)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "applied %d migration(s)\n", n)
	case "down":
		n, err := db.MigrateDown(e.ctx, d.DB, *all)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "rolled back %d migration(s)\n", n)
	case "status":
		st, err := db.MigrationStatus(e.ctx, d.DB)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied " + s.AppliedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(e.stdout, "%05d  %-32s %s\n", s.Version, s.Name, state)
		}
	default:
		fmt.Fprintf(e.stderr, "mend migrate: unknown direction %q (up, down, status)\n", dir)
		return errUsage
	}
	return nil
}

func cmdCreateClinic(e env, args []string) error {
	fs := flags(e, "create-clinic", "Create a clinic. Prints the new clinic's id alone on stdout.")
	name := fs.String("name", "", "the clinic's name (required)")
	zone := fs.String("tz", "", "the clinic's time zone, an IANA name such as America/New_York (default: UTC until an admin chooses one)")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		fmt.Fprintln(e.stderr, "mend create-clinic: --name is required")
		return errUsage
	}
	if *zone != "" && !tz.Valid(*zone) {
		return fmt.Errorf("mend create-clinic: --tz %q is not a time zone: use an IANA name such as America/New_York or Europe/Berlin", *zone)
	}
	d, al, err := openAudited(e)
	if err != nil {
		return err
	}
	defer d.Close()
	id, err := account.NewService(d, al, nil).AddClinic(e.ctx, actor.System, account.NewClinic{Name: *name, TimeZone: *zone})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(e.stdout, id)
	return nil
}

func cmdCreateUser(e env, args []string) error {
	fs := flags(e, "create-user", "Create a user with a role in a clinic. Prints the new user's id alone on stdout.\nThe password comes from --password or, when that is absent, the first line of stdin;\nit must follow the same rules as everywhere (12+ characters, not a common password).")
	clinicID := fs.Int64("clinic", 0, "clinic id (required)")
	role := fs.String("role", "", "clinic_admin, counselor or client (required)")
	email := fs.String("email", "", "email address, used to sign in (required)")
	name := fs.String("name", "", "display name (default: the part of the email before @)")
	pw := fs.String("password", "", "password (default: read from stdin)")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *clinicID == 0 || *role == "" || *email == "" {
		fmt.Fprintln(e.stderr, "mend create-user: --clinic, --role and --email are required")
		return errUsage
	}
	if *pw == "" {
		line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password from stdin: %w", err)
		}
		*pw = strings.TrimRight(line, "\r\n")
	}
	d, al, err := openAudited(e)
	if err != nil {
		return err
	}
	defer d.Close()
	id, err := account.NewService(d, al, nil).CreateUser(e.ctx, actor.System,
		account.NewUser{ClinicID: *clinicID, Role: *role, Email: *email, Name: *name, Password: *pw})
	if err != nil {
		return describe(err)
	}
	fmt.Fprintln(e.stdout, id)
	return nil
}

// describe turns a domain error into one readable line for the terminal.
func describe(err error) error {
	ae, ok := apperr.As(err)
	if !ok {
		return err
	}
	msg := ae.Message
	for k, v := range ae.Fields {
		msg += fmt.Sprintf("\n  %s: %s", k, v)
	}
	return errors.New(msg)
}

func cmdSeedDemo(e env, args []string) error {
	fs := flags(e, "seed-demo", "Load the demo practice (two clinics, admins, counselors, couples) once, and print its logins.")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	d, al, err := openAudited(e)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := db.MigrateUp(e.ctx, d.DB); err != nil {
		return err
	}
	if err := library.SyncBuiltins(e.ctx, d); err != nil {
		return err
	}
	created, err := demo.Seed(e.ctx, d, account.NewService(d, al, nil), al)
	if err != nil {
		return err
	}
	if !created {
		fmt.Fprintln(e.stdout, "The demo practice is already loaded.")
	}
	printDemo(e, d)
	return nil
}

// printDemo prints the demo logins and, once the demo has aged (its dates
// are relative to the day it was loaded), how to load a fresh one.
func printDemo(e env, d *sqlx.DB) {
	demo.PrintLogins(e.stdout)
	at, err := demo.LoadedAt(e.ctx, d)
	if err == nil && !at.IsZero() && time.Since(at) > 7*24*time.Hour {
		fmt.Fprintf(e.stdout, "\nThe demo was loaded on %s and its dates have aged; `make demo-reset` then `make run` loads a fresh one.\n", at.Format("2 Jan 2006"))
	}
}

func cmdAudit(e env, args []string) error {
	fs := flags(e, "audit verify", "Walk the audit trail's HMAC chains (one per clinic, one for the installation's own events, and the\n"+
		"legacy chain of rows from before per-clinic chains). Names the first tampered, reordered or missing row and prints\n"+
		"the head (the last position and hash of every chain): keep it elsewhere and pass it back with --expect-head to\n"+
		"catch rows cut from the end of any chain.")
	expect := fs.String("expect-head", "", "a head printed earlier (or @FILE holding it); fails if a chain no longer reaches it")
	if len(args) == 0 || args[0] != "verify" {
		if showHelp(e, fs, args) {
			return nil
		}
		fmt.Fprintln(e.stderr, "Usage: mend audit verify [--expect-head HEAD|@FILE]")
		return errUsage
	}
	if showHelp(e, fs, args[1:]) {
		return nil
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	want := *expect
	if f, ok := strings.CutPrefix(want, "@"); ok {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--expect-head: %w", err)
		}
		want = string(b)
	}
	d, al, err := openAudited(e)
	if err != nil {
		return err
	}
	defer d.Close()
	head, err := al.Verify(e.ctx, d)
	if err != nil {
		return err
	}
	if want != "" {
		if err := al.CheckHead(e.ctx, d, want); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "audit chain intact: %d rows in %d chains\nhead %s\n", head.Rows, len(head.Links), head)
	return nil
}

func cmdSeedLoad(e env, args []string) error {
	fs := flags(e, "seed-load", "Fill the database with a large synthetic clinic (counselors, couples, partners and\nassignments in realistic states) for benchmarks and load tests. Never run it on real data.")
	n := fs.Int("assignments", 1000000, "how many assignments to create (one response each)")
	clinics := fs.Int("clinics", 1, "spread them over this many clinics")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n < 1 || *n > 20000000 {
		fmt.Fprintln(e.stderr, "mend seed-load: --assignments must be between 1 and 20,000,000")
		return errUsage
	}
	if *clinics < 1 || *clinics > 10000 {
		fmt.Fprintln(e.stderr, "mend seed-load: --clinics must be between 1 and 10,000")
		return errUsage
	}
	_, d, err := open(e)
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := db.MigrateUp(e.ctx, d.DB); err != nil {
		return err
	}
	if err := library.SyncBuiltins(e.ctx, d); err != nil {
		return err
	}
	start := time.Now()
	r, err := loadgen.Seed(e.ctx, d, loadgen.Options{Assignments: *n, Clinics: *clinics})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seeded %d assignments in %d clinic(s), the first %d: %d couples, %d counselors (%s)\n"+
		"sign in as counselor %s or client %s (password %s)\n",
		*n, r.Clinics, r.ClinicID, r.Couples, r.Counselors, time.Since(start).Round(time.Second), r.CounselorEmail, r.ClientEmail, loadgen.Password)
	return nil
}

func cmdVersion(e env, args []string) error {
	fs := flags(e, "version", "Print the version of this build.")
	if showHelp(e, fs, args) {
		return nil
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "mend", version)
	return nil
}
