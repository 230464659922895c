package sweep_test

import (
	"context"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/pgtest"
	"github.com/mend-clinic/mend/internal/sweep"
)

// Every table that only grows is swept: what no longer serves anyone goes,
// what still does stays.
func TestTablesThatOnlyGrowStayBounded(t *testing.T) {
	d := pgtest.NewDB(t)
	now := time.Now()
	old := now.Add(-400 * 24 * time.Hour)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var clinic, user int64
	d.Get(&clinic, `INSERT INTO clinics (name) VALUES ('Harbor') RETURNING id`)
	d.Get(&user, `INSERT INTO users (email, name) VALUES ('a@x.test', 'A') RETURNING id`)
	for _, at := range []time.Time{old, now.Add(time.Hour)} {
		exec(`INSERT INTO sessions (token, data, expiry) VALUES ($1, '\x00', $2)`, at.String(), at)
		exec(`INSERT INTO api_tokens (user_id, token_hash, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $3, $4)`,
			user, []byte(at.String()), at.Add(-time.Hour), at)
		exec(`INSERT INTO login_failures (key, at) VALUES ('email:x', $1)`, at.Add(-70*time.Minute))
		exec(`INSERT INTO login_lockouts (key, locked_until) VALUES ($1, $2)`, "email:"+at.String(), at.Add(-2*time.Hour))
		exec(`INSERT INTO invitations (clinic_id, token_hash, email, name, role, expires_at) VALUES ($1, $2, 'b@x.test', 'B', 'counselor', $3)`,
			clinic, []byte("i"+at.String()), at)
		exec(`INSERT INTO password_resets (clinic_id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, $4)`,
			clinic, user, []byte("r"+at.String()), at)
		exec(`INSERT INTO notifications (clinic_id, user_id, kind, created_at, read_at) VALUES ($1, $2, 'work.assigned', $3, $3)`,
			clinic, user, at.Add(-time.Hour))
		exec(`INSERT INTO notifications (clinic_id, user_id, kind, created_at) VALUES ($1, $2, 'work.assigned', $3)`,
			clinic, user, at.Add(-time.Hour))
		exec(`INSERT INTO mail_failures (clinic_id, job_id, kind, recipient, reason, attempts, failed_at, dismissed_at)
			VALUES ($1, $2, 'invitation', 'b@x.test', '550', 1, $3, $3)`, clinic, at.Unix(), at.Add(-time.Hour))
		exec(`INSERT INTO reminder_sends (user_id, kind, day, sent_at) VALUES ($1, 'reminder', $2::date, $3)`, user, at.Add(-time.Hour), at.Add(-time.Hour))
	}
	tables := []string{"sessions", "api_tokens", "login_failures", "login_lockouts", "invitations", "password_resets",
		"notifications", "mail_failures", "reminder_sends"}
	before := map[string]int{}
	for _, tb := range tables {
		var n int
		d.Get(&n, `SELECT count(*) FROM `+tb)
		before[tb] = n
	}
	swept, err := sweep.Run(context.Background(), d, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		var n int
		d.Get(&n, `SELECT count(*) FROM `+tb)
		if n >= before[tb] || n == 0 || swept[tb] != int64(before[tb]-n) {
			t.Errorf("%s: %d rows before, %d after (swept %d): the old must go, the current stay", tb, before[tb], n, swept[tb])
		}
	}
	// A second sweep finds nothing more.
	again, _ := sweep.Run(context.Background(), d, now)
	for tb, n := range again {
		if n != 0 {
			t.Errorf("second sweep took %d more from %s", n, tb)
		}
	}
}
