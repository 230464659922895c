package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/pgtest"
)

var testKey = hex.EncodeToString(bytes.Repeat([]byte{9}, 32))

// cli runs the mend command with a fresh database in its environment.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "MEND_AUDIT_KEY": testKey, "MEND_SECRET_KEY": testKey}}
}

func (c *cli) run(stdin string, args ...string) (string, string, error) {
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestBootstrapClinicWithoutDemo(t *testing.T) {
	c := newCLI(t)
	if out, _, err := c.run("", "migrate"); err != nil || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	out, _, err := c.run("", "create-clinic", "--name", "Harbor Counseling")
	if err != nil {
		t.Fatal(err)
	}
	clinicID := strings.TrimSpace(out)
	if _, err := strconv.ParseInt(clinicID, 10, 64); err != nil {
		t.Fatalf("create-clinic printed %q, want the id alone", out)
	}
	// Password from --password.
	out, _, err = c.run("", "create-user", "--clinic", clinicID, "--role", "clinic_admin", "--email", "Owner@Harbor.test", "--name", "Olive Owner", "--password", "tide lantern orchard violet")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
		t.Fatalf("create-user printed %q", out)
	}
	// Password from stdin.
	if out, _, err = c.run("quiet harbor maple kettle\n", "create-user", "--clinic", clinicID, "--role", "counselor", "--email", "coun@harbor.test"); err != nil {
		t.Fatalf("stdin password: %v", err)
	}
	if _, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64); err != nil {
		t.Fatalf("create-user (stdin password) printed %q", out)
	}
	// A duplicate email (any case) is an error on stderr, not a crash.
	out, _, err = c.run("", "create-user", "--clinic", clinicID, "--role", "counselor", "--email", "owner@harbor.TEST", "--password", "tide lantern orchard violet")
	if err == nil || out != "" || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("duplicate: out %q err %v", out, err)
	}
	// The same password rules as everywhere.
	_, _, err = c.run("", "create-user", "--clinic", clinicID, "--role", "counselor", "--email", "weak@harbor.test", "--password", "password1234")
	if err == nil || !strings.Contains(err.Error(), "password") {
		t.Fatalf("weak password accepted: %v", err)
	}
	if _, _, err = c.run("", "create-user", "--clinic", "99999", "--role", "counselor", "--email", "x@harbor.test", "--password", "tide lantern orchard violet"); err == nil {
		t.Fatal("unknown clinic accepted")
	}
	if _, _, err = c.run("", "create-user", "--clinic", clinicID, "--role", "owner", "--email", "y@harbor.test", "--password", "tide lantern orchard violet"); err == nil {
		t.Fatal("unknown role accepted")
	}
	if _, _, err = c.run("", "create-user", "--role", "counselor"); !errors.Is(err, errUsage) {
		t.Fatalf("missing flags: %v", err)
	}
	if out, _, err := c.run("", "migrate", "status"); err != nil || !strings.Contains(out, "00001") {
		t.Fatalf("status: %q %v", out, err)
	}
	// Without the audit key a command would chain its audit rows with the
	// wrong key and break `mend audit verify`: it refuses instead.
	delete(c.env, "MEND_AUDIT_KEY")
	if _, _, err := c.run("", "create-clinic", "--name", "Keyless"); err == nil || !strings.Contains(err.Error(), "MEND_AUDIT_KEY") {
		t.Fatalf("create-clinic without MEND_AUDIT_KEY: %v", err)
	}
	if _, _, err := c.run("", "create-user", "--clinic", clinicID, "--role", "counselor", "--email", "k@harbor.test", "--password", "tide lantern orchard violet"); err == nil || !strings.Contains(err.Error(), "MEND_AUDIT_KEY") {
		t.Fatalf("create-user without MEND_AUDIT_KEY: %v", err)
	}
}

func TestSeedDemoOnce(t *testing.T) {
	c := newCLI(t)
	out, _, err := c.run("", "seed-demo")
	if err != nil || !strings.Contains(out, "maya@harbor.example") {
		t.Fatalf("seed-demo: %v\n%s", err, out)
	}
	out, _, err = c.run("", "seed-demo")
	if err != nil || !strings.Contains(out, "already loaded") {
		t.Fatalf("second seed-demo: %v\n%s", err, out)
	}
}

func TestHelp(t *testing.T) {
	c := &cli{t: t, env: map[string]string{}}
	out, _, err := c.run("", "--help")
	if err != nil || !strings.Contains(out, "create-clinic") || !strings.Contains(out, "DATABASE_URL") {
		t.Fatalf("--help: %v %q", err, out)
	}
	// Help that was asked for goes to stdout like `mend --help`; usage
	// after a mistake goes to stderr.
	for _, cmd := range commands() {
		out, errOut, err := c.run("", cmd.name, "--help")
		if err != nil || !strings.Contains(out, "Usage: mend "+cmd.name) || errOut != "" {
			t.Errorf("%s --help: %v out %q err %q", cmd.name, err, out, errOut)
		}
	}
	if out, errOut, err := c.run("", "create-clinic", "--bogus"); !errors.Is(err, errUsage) || out != "" || !strings.Contains(errOut, "Usage: mend create-clinic") {
		t.Errorf("bad flag: %v out %q err %q", err, out, errOut)
	}
	if _, _, err := c.run("", "frobnicate"); !errors.Is(err, errUsage) {
		t.Errorf("unknown command: %v", err)
	}
	if out, _, _ := c.run("", "version"); !strings.HasPrefix(out, "mend ") {
		t.Errorf("version: %q", out)
	}
	if _, _, err := c.run("", "serve"); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Errorf("serve without config: %v", err)
	}
}

func TestSeedLoad(t *testing.T) {
	c := newCLI(t)
	out, _, err := c.run("", "seed-load", "--assignments", "500")
	if err != nil || !strings.Contains(out, "seeded 500 assignments") {
		t.Fatalf("seed-load: %v %q", err, out)
	}
	if _, _, err := c.run("", "seed-load", "--assignments", "0"); !errors.Is(err, errUsage) {
		t.Fatalf("zero: %v", err)
	}
}
