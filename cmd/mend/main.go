// Command mend is Mend's single binary: the server and its admin tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if errors.Is(err, errUsage) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mend:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

type env struct {
	ctx    context.Context
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name, summary string
	run           func(e env, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "run the web server (migrates the database first)", cmdServe},
		{"migrate", "apply (up, the default), roll back (down) or list (status) migrations", cmdMigrate},
		{"create-clinic", "create a clinic and print its id", cmdCreateClinic},
		{"create-user", "create a user with a role in a clinic and print its id", cmdCreateUser},
		{"seed-demo", "load the demo practice once and print its logins", cmdSeedDemo},
		{"seed-load", "fill the database with a large synthetic practice for benchmarks", cmdSeedLoad},
		{"audit", "verify the audit trail's hash chain (audit verify)", cmdAudit},
		{"version", "print the version", cmdVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Mend: a practice platform for couples counselors.

Usage: mend <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "mend <command> --help" for a command's flags.

Environment:
  DATABASE_URL          PostgreSQL URL (required)
  MEND_ADDR             listen address (default localhost:8080)
  MEND_BASE_URL         public URL used in invitation links (default http://MEND_ADDR)
  MEND_SECRET_KEY       ≥ 32 random bytes as hex: keys token hashes (or MEND_SECRET_KEY_FILE)
  MEND_AUDIT_KEY        ≥ 32 random bytes as hex: keys the audit chain (or MEND_AUDIT_KEY_FILE)
  MEND_TLS_CERT, MEND_TLS_KEY   serve HTTPS directly
  MEND_TRUSTED_PROXIES  CIDRs of reverse proxies whose X-Forwarded-For is believed
  MEND_BODY_LIMIT       request body limit in bytes (default 1048576)
  MEND_DB_MAX_OPEN      database pool size (default 20)
  MEND_LOG_LEVEL        debug, info, warn, error (default info)
  MEND_LOG_FORMAT       text or json (default text)
`)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{ctx: ctx, getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return errUsage
	}
	switch args[0] {
	case "-h", "--help", "help":
		usage(stdout)
		return nil
	case "-v", "--version":
		args[0] = "version"
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "mend: unknown command %q\n\n", args[0])
	usage(stderr)
	return errUsage
}
