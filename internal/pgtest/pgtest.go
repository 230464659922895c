// Package pgtest gives tests a real, freshly migrated PostgreSQL database:
// the server is TEST_DATABASE_URL when set, otherwise the project's private
// test cluster of var/pgtest (started by scripts/pg.sh, which says where it
// lives).
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/migrations"
)

var (
	once    sync.Once
	baseURL string
	tmpl    string
	initErr error
)

// NewDB returns a connection to a new database cloned from a migrated
// template; it is dropped when the test ends.
func NewDB(t testing.TB) *sqlx.DB {
	t.Helper()
	once.Do(setup)
	if initErr != nil {
		t.Fatalf("pgtest: %v", initErr)
	}
	ctx := context.Background()
	admin, err := sql.Open("postgres", baseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "mend_t_" + strings.ToLower(randHex(8))
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE `+tmpl); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	d, err := db.Open(ctx, withDB(baseURL, name), 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		a, err := sql.Open("postgres", baseURL)
		if err == nil {
			a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			a.Close()
		}
	})
	return d
}

// EmptyURL returns the URL of a new empty (unmigrated) database, for tests of
// migrations themselves and of the command line.
func EmptyURL(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	if initErr != nil {
		t.Fatalf("pgtest: %v", initErr)
	}
	admin, err := sql.Open("postgres", baseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "mend_e_" + strings.ToLower(randHex(8))
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("postgres", baseURL)
		if err == nil {
			a.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
			a.Close()
		}
	})
	return withDB(baseURL, name)
}

func setup() {
	baseURL = os.Getenv("TEST_DATABASE_URL")
	if baseURL == "" {
		baseURL, initErr = startCluster()
		if initErr != nil {
			return
		}
	}
	// The template is named after the migrations' content, so a changed
	// migration gets a new template and old ones never mislead.
	h := sha256.New()
	fs.WalkDir(migrations.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := migrations.FS.ReadFile(p)
			h.Write([]byte(p))
			h.Write(b)
		}
		return nil
	})
	fmt.Fprintf(h, "river:%d", migrations.RiverVersion)
	tmpl = "mend_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	initErr = makeTemplate()
}

func makeTemplate() error {
	ctx := context.Background()
	admin, err := sqlx.Open("postgres", baseURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Connx(ctx)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(baseURL), err)
	}
	defer conn.Close()
	// Test packages run in parallel processes: one builds the template.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`)
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, tmpl); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := tmpl + "_b"
	conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	d, err := db.Open(ctx, withDB(baseURL, building), 2, 1)
	if err != nil {
		return err
	}
	if _, err := db.MigrateUp(ctx, d.DB); err != nil {
		d.Close()
		return err
	}
	d.Close()
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+tmpl)
	return err
}

// startCluster starts (or reuses) the private test cluster.
func startCluster() (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", "pg.sh"), "start", filepath.Join(root, "var", "pgtest"))
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("start private test cluster: %w", err)
	}
	return withDB(strings.TrimSpace(string(out)), "postgres"), nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the test")
		}
		dir = parent
	}
}

// withDB returns u pointing at database name.
func withDB(u, name string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.Path = "/" + name
	return p.String()
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "the database"
	}
	return p.Redacted()
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// MustGet is sqlx.Get for fixture look-ups: it fails the test when the query
// fails or finds no row, so a broken fixture is reported where it is, not
// as a zero id somewhere later.
func MustGet(t testing.TB, q sqlx.Queryer, dest any, query string, args ...any) {
	t.Helper()
	if err := sqlx.Get(q, dest, query, args...); err != nil {
		t.Fatalf("pgtest: %v\n%s", err, query)
	}
}
