package mail_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/jobs"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/mail/mailtest"
	"github.com/mend-clinic/mend/internal/pgtest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

type env struct {
	db     *sqlx.DB
	outbox *mail.Outbox
	srv    *mailtest.Server
	clinic int64
	fails  atomic.Int32
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{db: pgtest.NewDB(t), srv: mailtest.Start(t)}
	q, err := jobs.NewQueue(e.db)
	if err != nil {
		t.Fatal(err)
	}
	if e.outbox, err = mail.NewOutbox(q, key); err != nil {
		t.Fatal(err)
	}
	if err := e.db.Get(&e.clinic, `INSERT INTO clinics (name) VALUES ('Harbor Counseling') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	return e
}

// runner starts one instance's job runner delivering to the test relay.
func (e *env) runner(t *testing.T, id string) {
	t.Helper()
	cfg, err := mail.ParseSMTPURL(e.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	w, err := mail.NewWorker(mail.WorkerConfig{DB: e.db, Sender: mail.NewSMTP(cfg), SecretKey: key,
		BaseURL: "https://mend.test", Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	w.OnFailure = func(ctx context.Context, tx *db.Tx, f mail.Failure) error { e.fails.Add(1); return nil }
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	r, err := jobs.NewRunner(e.db, jobs.Options{Workers: workers, ID: id, PollInterval: 50 * time.Millisecond,
		Retry: jobs.Backoff{Base: 100 * time.Millisecond, Max: 300 * time.Millisecond}, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func (e *env) queue(t *testing.T, a mail.Args, commit bool) {
	t.Helper()
	if a.ClinicID == 0 {
		a.ClinicID = e.clinic
	}
	errUndo := errors.New("roll back")
	err := db.InTx(context.Background(), e.db, func(tx *db.Tx) error {
		if err := e.outbox.Queue(context.Background(), tx, a); err != nil {
			return err
		}
		if !commit {
			return errUndo
		}
		return nil
	})
	if err != nil && err != errUndo {
		t.Fatal(err)
	}
}

// A mail is queued in the transaction of its cause: sent if and only if
// that transaction commits.
func TestMailIsSentIfAndOnlyIfItsChangeCommits(t *testing.T) {
	e := newEnv(t)
	e.runner(t, "a")
	e.queue(t, mail.Args{What: mail.Invitation, To: "rolled-back@example.com", Name: "R", Link: "/invitations/x"}, false)
	e.queue(t, mail.Args{What: mail.Invitation, To: "lucia@example.com", Name: "Lucia", Link: "/invitations/tok-1",
		Expires: time.Now().Add(7 * 24 * time.Hour), Role: "a partner"}, true)
	m := e.srv.Wait(1, 10*time.Second)[0]
	if m.To[0] != "lucia@example.com" || !strings.Contains(m.Text, "https://mend.test/invitations/tok-1") ||
		!strings.Contains(m.HTML, "https://mend.test/invitations/tok-1") {
		t.Errorf("invitation: %v\n%s", m.To, m.Text)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(e.srv.Messages()); n != 1 {
		t.Errorf("%d messages, want 1 (the rolled-back one must never be sent)", n)
	}
	// The link waits in the job table sealed, never readable there.
	var args []string
	e.db.Select(&args, `SELECT args::text FROM river_job`)
	for _, a := range args {
		if strings.Contains(a, "tok-1") {
			t.Errorf("job args hold the live link: %s", a)
		}
	}
}

// A 4xx is tried again with growing waits and delivered once it passes.
func TestTemporaryRefusalIsRetriedAndDelivered(t *testing.T) {
	e := newEnv(t)
	var refused atomic.Int32
	e.srv.Refuse(func(string) *smtp.SMTPError {
		if refused.Add(1) <= 2 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try later"}
		}
		return nil
	})
	e.runner(t, "a")
	e.queue(t, mail.Args{What: mail.PasswordReset, To: "daniel@example.com", Name: "Daniel", Link: "/password-reset/t",
		Expires: time.Now().Add(time.Hour)}, true)
	e.srv.Wait(1, 15*time.Second)
	if refused.Load() != 3 {
		t.Errorf("RCPT tried %d times, want 3 (two refusals, then delivery)", refused.Load())
	}
	var attempt int
	e.db.Get(&attempt, `SELECT attempt FROM river_job WHERE kind = 'mail'`)
	if attempt != 3 {
		t.Errorf("job attempt = %d, want 3", attempt)
	}
}

// With the relay down nothing is lost: everything queued meanwhile is
// delivered, once each, when it returns.
func TestNothingIsLostWhileTheRelayIsDown(t *testing.T) {
	e := newEnv(t)
	e.srv.Stop()
	e.runner(t, "a")
	for i := range 5 {
		e.queue(t, mail.Args{What: mail.NewWork, To: fmt.Sprintf("p%d@example.com", i), Name: "P"}, true)
	}
	time.Sleep(time.Second) // several failed attempts each
	var failed int
	e.db.Get(&failed, `SELECT count(*) FROM river_job WHERE kind = 'mail' AND attempt >= 1 AND state IN ('retryable', 'available', 'running')`)
	if failed != 5 {
		t.Errorf("%d mails waiting to retry, want 5", failed)
	}
	e.srv.Restart()
	msgs := e.srv.Wait(5, 15*time.Second)
	time.Sleep(500 * time.Millisecond)
	if got := len(e.srv.Messages()); got != 5 {
		t.Errorf("%d delivered, want 5 exactly", got)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[m.To[0]] = true
	}
	if len(seen) != 5 {
		t.Errorf("recipients %v", seen)
	}
}

// Two instances on one database never deliver one mail twice.
func TestTwoInstancesNeverSendOneMailTwice(t *testing.T) {
	e := newEnv(t)
	e.runner(t, "instance-1")
	e.runner(t, "instance-2")
	const n = 40
	for i := range n {
		e.queue(t, mail.Args{What: mail.NewWork, To: fmt.Sprintf("p%02d@example.com", i), Name: "P"}, true)
	}
	e.srv.Wait(n, 20*time.Second)
	time.Sleep(time.Second)
	msgs := e.srv.Messages()
	ids := map[string]int{}
	for _, m := range msgs {
		ids[m.Header.Get("Message-Id")]++
	}
	if len(msgs) != n || len(ids) != n {
		t.Fatalf("%d messages with %d distinct ids, want %d each", len(msgs), len(ids), n)
	}
	var by []string
	e.db.Select(&by, `SELECT DISTINCT attempted_by[1] FROM river_job WHERE kind = 'mail'`)
	t.Logf("worked by %v", by)
}

// A permanent refusal is not retried; it is recorded for the admins.
func TestPermanentRefusalIsRecordedForAdmins(t *testing.T) {
	e := newEnv(t)
	e.srv.Refuse(func(rcpt string) *smtp.SMTPError {
		if strings.HasPrefix(rcpt, "gone@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}
		return nil
	})
	e.runner(t, "a")
	e.queue(t, mail.Args{What: mail.Invitation, To: "gone@example.com", Name: "G", Link: "/invitations/z"}, true)
	e.queue(t, mail.Args{What: mail.Invitation, To: "fine@example.com", Name: "F", Link: "/invitations/y"}, true)
	e.srv.Wait(1, 10*time.Second)
	deadline := time.Now().Add(10 * time.Second)
	var row struct {
		Recipient string `db:"recipient"`
		Kind      string `db:"kind"`
		Reason    string `db:"reason"`
		Attempts  int    `db:"attempts"`
	}
	for time.Now().Before(deadline) {
		if err := e.db.Get(&row, `SELECT recipient, kind, reason, attempts FROM mail_failures`); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if row.Recipient != "gone@example.com" || row.Kind != "invitation" || !strings.Contains(row.Reason, "550") || row.Attempts != 1 {
		t.Errorf("failure row %+v", row)
	}
	if e.fails.Load() != 1 {
		t.Errorf("OnFailure ran %d times, want 1", e.fails.Load())
	}
	var state string
	for range 100 {
		e.db.Get(&state, `SELECT state FROM river_job WHERE args->>'to' = 'gone@example.com'`)
		if state != "running" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if state != "cancelled" {
		t.Errorf("job state %q, want cancelled (no retries of a 5xx)", state)
	}
}

// What a person turned off is not sent; what they need always is.
func TestSettingsDecideWhatIsSent(t *testing.T) {
	e := newEnv(t)
	var uid int64
	e.db.Get(&uid, `INSERT INTO users (email, name) VALUES ('lucia@example.com', 'Lucia') RETURNING id`)
	e.db.MustExec(`INSERT INTO notification_settings (user_id, reminders, updates) VALUES ($1, false, false)`, uid)
	e.runner(t, "a")
	e.queue(t, mail.Args{What: mail.Reminder, UserID: uid, Counts: map[string]int{"due_today": 1}}, true)
	e.queue(t, mail.Args{What: mail.NewWork, UserID: uid}, true)
	e.queue(t, mail.Args{What: mail.PasswordChanged, UserID: uid, When: time.Now()}, true)
	m := e.srv.Wait(1, 10*time.Second)[0]
	time.Sleep(500 * time.Millisecond)
	if len(e.srv.Messages()) != 1 || !strings.Contains(m.Subject, "password was changed") {
		t.Errorf("sent %d: %q", len(e.srv.Messages()), m.Subject)
	}
}
