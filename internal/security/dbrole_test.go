package security

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// The operator set-up docs/security.md describes: migrations run as the
// role that owns the tables, Mend runs as a role that owns nothing, with
// SELECT and INSERT only on audit_log. Then the application can append to
// the trail but cannot change, remove or truncate rows, nor switch the
// append-only triggers off; and `mend serve` still starts (nothing pending
// to migrate).
func TestAppRoleWithoutOwnershipCannotTouchAudit(t *testing.T) {
	ctx := context.Background()
	ownerURL := pgtest.EmptyURL(t)
	owner, err := db.Open(ctx, ownerURL, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if _, err := db.MigrateUp(ctx, owner.DB); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	role, pw := "mend_app_"+hex.EncodeToString(b), hex.EncodeToString(b)+"-pw"
	if _, err := owner.Exec(`CREATE ROLE ` + role + ` LOGIN PASSWORD '` + pw + `'`); err != nil {
		t.Skipf("cannot create a role on this server: %v", err)
	}
	t.Cleanup(func() {
		o, err := db.Open(context.Background(), ownerURL, 1, 1)
		if err == nil {
			o.Exec(`DROP OWNED BY ` + role)
			o.Close()
		}
		if a, err := sqlx.Open("postgres", ownerURL); err == nil {
			// The role is dropped with the database (pgtest) gone or not.
			a.Exec(`REVOKE ALL ON DATABASE ` + dbName(ownerURL) + ` FROM ` + role)
			a.Exec(`DROP ROLE IF EXISTS ` + role)
			a.Close()
		}
	})
	for _, q := range []string{
		`GRANT CONNECT ON DATABASE ` + dbName(ownerURL) + ` TO ` + role,
		`GRANT USAGE ON SCHEMA public TO ` + role,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + role,
		`REVOKE UPDATE, DELETE ON audit_log FROM ` + role,
		`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ` + role,
	} {
		if _, err := owner.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	app, err := db.Open(ctx, withUser(ownerURL, role, pw), 2, 1)
	if err != nil {
		t.Skipf("cannot connect as the new role on this server: %v", err)
	}
	defer app.Close()
	var who string
	if err := app.Get(&who, `SELECT current_user`); err != nil || who != role {
		t.Fatalf("connected as %q (%v), want %s", who, err, role)
	}
	// Starting up: no migration pending, and applying none works.
	if n, err := db.MigrateUp(ctx, app.DB); err != nil || n != 0 {
		t.Fatalf("migrate as the application role: %d %v", n, err)
	}
	// The application's own work: appending to the trail, throttling.
	l := audit.New(make([]byte, 32))
	if err := l.LogNow(ctx, app, actor.Actor{RequestID: "r"}, audit.Event{Action: "test.append"}); err != nil {
		t.Fatalf("append as the application role: %v", err)
	}
	if err := NewThrottle(app).Fail(ctx, "x@example.test", "192.0.2.1"); err != nil {
		t.Fatalf("throttle as the application role: %v", err)
	}
	for _, q := range []string{
		`UPDATE audit_log SET action = 'changed'`,
		`DELETE FROM audit_log`,
		`TRUNCATE audit_log`,
		`ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update`,
		`DROP TRIGGER audit_log_no_update ON audit_log`,
		`DROP TABLE audit_log`,
	} {
		if _, err := app.Exec(q); err == nil {
			t.Errorf("%s: allowed to the application role", q)
		}
	}
	if _, err := l.Verify(ctx, owner); err != nil {
		t.Fatalf("chain after the attempts: %v", err)
	}
}

func dbName(u string) string {
	p, _ := url.Parse(u)
	return p.Path[1:]
}

// withUser returns u signing in as user with password pw.
func withUser(u, user, pw string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	q := p.Query()
	if q.Has("user") {
		q.Set("user", user)
		q.Set("password", pw)
		p.RawQuery = q.Encode()
	} else {
		p.User = url.UserPassword(user, pw)
	}
	return p.String()
}
