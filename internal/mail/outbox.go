package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/jobs"
	"github.com/mend-clinic/mend/internal/tz"
)

// Args is one queued mail: a River job. It names the recipient and what the
// mail is about, never its content; a one-time link it must carry is sealed
// (the job table is not a place for live secrets).
type Args struct {
	What     Kind   `json:"kind"`
	ClinicID int64  `json:"clinic_id,omitempty"`
	UserID   int64  `json:"user_id,omitempty"` // the recipient's account, when they have one
	To       string `json:"to,omitempty"`      // the address, when they have no account yet
	Name     string `json:"name,omitempty"`
	// Link is the path of a one-time link ("/invitations/…"), sealed by
	// Outbox.Queue. Without one the mail links to Path (default "/notifications").
	Link    string         `json:"link,omitempty"`
	Path    string         `json:"path,omitempty"`
	Expires time.Time      `json:"expires,omitzero"`
	When    time.Time      `json:"when,omitzero"`
	Role    string         `json:"role,omitempty"`
	Who     string         `json:"who,omitempty"`
	Self    bool           `json:"self,omitempty"`
	Day     string         `json:"day,omitempty"`
	Counts  map[string]int `json:"counts,omitempty"`
}

// Kind is River's job kind.
func (Args) Kind() string { return "mail" }

// InsertOpts: mail keeps trying for about two days (see jobs.Backoff) before
// it is given up and shown to the clinic's admins as undeliverable.
func (Args) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

// MaxAttempts is how many times a mail is tried.
const MaxAttempts = 50

// Outbox queues mail in the caller's transaction.
type Outbox struct {
	q    *jobs.Queue
	seal *auth.Sealer
}

// NewOutbox returns the outbox; links are sealed with a key derived from
// MEND_SECRET_KEY.
func NewOutbox(q *jobs.Queue, secretKey []byte) (*Outbox, error) {
	s, err := auth.NewSealer(secretKey, "mail link v1")
	if err != nil {
		return nil, err
	}
	return &Outbox{q: q, seal: s}, nil
}

// Queue enqueues a mail in tx: it is sent if and only if tx commits.
func (o *Outbox) Queue(ctx context.Context, tx *db.Tx, a Args) error {
	if _, ok := Kinds[a.What]; !ok {
		return fmt.Errorf("mail: unknown kind %q", a.What)
	}
	if a.UserID == 0 && a.To == "" {
		return fmt.Errorf("mail %s: no recipient", a.What)
	}
	if a.Link != "" {
		a.Link = o.seal.Seal(a.Link, string(a.What))
	}
	return o.q.InsertTx(ctx, tx, a, nil)
}

// Failure describes a mail given up on.
type Failure struct {
	JobID     int64
	ClinicID  int64
	Kind      Kind
	Recipient string
	UserID    int64
	Reason    string
	Attempts  int
}

// Worker renders and sends queued mail.
type Worker struct {
	river.WorkerDefaults[Args]
	db      *sqlx.DB
	render  *Renderer
	send    Sender
	seal    *auth.Sealer
	sign    auth.Signer
	baseURL string
	from    *netmail.Address
	log     *slog.Logger
	// OnFailure runs in the transaction that records an undeliverable
	// mail (it tells the clinic's admins).
	OnFailure func(ctx context.Context, tx *db.Tx, f Failure) error
}

// WorkerConfig is what the worker needs.
type WorkerConfig struct {
	DB        *sqlx.DB
	Sender    Sender
	SecretKey []byte
	BaseURL   string
	// From is MEND_MAIL_FROM: an address, or "Name <address>". Without a
	// name, mail is from "<clinic> via Mend".
	From string
	Log  *slog.Logger
}

// NewWorker builds the mail worker.
func NewWorker(c WorkerConfig) (*Worker, error) {
	r, err := NewRenderer()
	if err != nil {
		return nil, err
	}
	seal, err := auth.NewSealer(c.SecretKey, "mail link v1")
	if err != nil {
		return nil, err
	}
	sign, err := UnsubscribeSigner(c.SecretKey)
	if err != nil {
		return nil, err
	}
	from, err := ParseFrom(c.From, c.BaseURL)
	if err != nil {
		return nil, err
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Worker{db: c.DB, render: r, send: c.Sender, seal: seal, sign: sign, baseURL: c.BaseURL, from: from, log: c.Log}, nil
}

// ParseFrom reads MEND_MAIL_FROM (default noreply@ the base URL's host).
func ParseFrom(v, baseURL string) (*netmail.Address, error) {
	if v == "" {
		return &netmail.Address{Address: "noreply@" + hostOf(baseURL)}, nil
	}
	a, err := netmail.ParseAddress(v)
	if err != nil {
		return nil, fmt.Errorf("MEND_MAIL_FROM: %q is not an address like \"Harbor Counseling via Mend <noreply@example.org>\"", v)
	}
	return a, nil
}

// UnsubscribeSigner signs one-click unsubscribe links.
func UnsubscribeSigner(secretKey []byte) (auth.Signer, error) {
	return auth.NewSigner(secretKey, "unsubscribe v1")
}

// UnsubscribePath is the one-click unsubscribe path of a user's category.
func UnsubscribePath(sign auth.Signer, userID int64, c Category) string {
	id := strconv.FormatInt(userID, 10)
	return "/unsubscribe/" + id + "/" + string(c) + "/" + sign.Sign(id+":"+string(c))
}

// recipient is what the worker reads about the person at send time: their
// current address, whether they still want this category, their zone.
type recipient struct {
	Email     string         `db:"email"`
	Name      string         `db:"name"`
	Active    bool           `db:"active"`
	UserZone  sql.NullString `db:"user_zone"`
	Reminders bool           `db:"reminders"`
	Updates   bool           `db:"updates"`
	Digest    bool           `db:"digest"`
}

type clinicRow struct {
	Name string         `db:"name"`
	Zone sql.NullString `db:"time_zone"`
}

// Work sends one queued mail. A permanent refusal (5xx, an unusable
// address) is not retried; it and a mail whose attempts ran out are
// recorded as undeliverable for the clinic's admins.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	a := job.Args
	m, skip, err := w.message(ctx, job.ID, a)
	if err != nil {
		return err
	}
	if skip != "" {
		w.log.InfoContext(ctx, "mail not sent", "kind", string(a.What), "job_id", job.ID, "why", skip)
		return nil
	}
	err = w.send.Send(ctx, m)
	switch {
	case err == nil:
		w.log.InfoContext(ctx, "mail sent", "kind", string(a.What), "job_id", job.ID, "to_domain", Domain(m.To), "attempt", job.Attempt)
		return nil
	case IsPermanent(err):
		if ferr := w.fail(ctx, job, m.To, err); ferr != nil {
			return ferr
		}
		w.log.WarnContext(ctx, "mail undeliverable", "kind", string(a.What), "job_id", job.ID, "to_domain", Domain(m.To), "err", err)
		return river.JobCancel(err)
	case job.Attempt >= job.MaxAttempts:
		if ferr := w.fail(ctx, job, m.To, err); ferr != nil {
			return ferr
		}
		w.log.WarnContext(ctx, "mail given up", "kind", string(a.What), "job_id", job.ID, "attempts", job.Attempt, "err", err)
		return err
	default:
		w.log.WarnContext(ctx, "mail not sent yet, will retry", "kind", string(a.What), "job_id", job.ID, "attempt", job.Attempt, "err", err)
		return err
	}
}

// message renders a job; skip says why it is not sent (the person turned
// the category off, or the account is disabled).
func (w *Worker) message(ctx context.Context, jobID int64, a Args) (Message, string, error) {
	var cl clinicRow
	if a.ClinicID != 0 {
		if err := w.db.GetContext(ctx, &cl, `SELECT name, time_zone FROM clinics WHERE id = $1`, a.ClinicID); err != nil {
			return Message{}, "", fmt.Errorf("mail clinic: %w", err)
		}
	}
	cat := Kinds[a.What]
	to, name, zone := a.To, a.Name, cl.Zone.String
	if a.UserID != 0 {
		var r recipient
		err := w.db.GetContext(ctx, &r, `SELECT u.email, u.name, u.active, u.time_zone AS user_zone,
				coalesce(s.reminders, true) AS reminders, coalesce(s.updates, true) AS updates, coalesce(s.digest, true) AS digest
			FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id WHERE u.id = $1`, a.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return Message{}, "the account no longer exists", nil
		}
		if err != nil {
			return Message{}, "", err
		}
		switch {
		case !r.Active && a.What != PasswordChanged:
			return Message{}, "the account is disabled", nil
		case cat == Reminders && !r.Reminders, cat == Updates && !r.Updates, cat == Digests && !r.Digest:
			return Message{}, "turned off in the person's settings", nil
		}
		to, name = r.Email, r.Name
		if r.UserZone.Valid {
			zone = r.UserZone.String
		}
	}
	loc := tz.Or(zone)
	d := Data{Clinic: cl.Name, Name: name, Role: a.Role, Who: a.Who, Self: a.Self, Day: a.Day,
		Settings: w.baseURL + "/settings/notifications"}
	if d.Clinic == "" {
		d.Clinic = "Mend"
	}
	if !a.Expires.IsZero() {
		d.Expires = Format(a.Expires, loc)
	}
	if !a.When.IsZero() {
		d.When = Format(a.When, loc)
	}
	switch {
	case a.Link != "":
		p, err := w.seal.Open(a.Link, string(a.What))
		if err != nil {
			return Message{}, "", fmt.Errorf("mail %d: %w", jobID, err)
		}
		d.Link = w.baseURL + p
		d.LinkLabel = map[Kind]string{Invitation: "Accept the invitation", PasswordReset: "Choose a new password"}[a.What]
		if d.LinkLabel == "" {
			d.LinkLabel = "Open Mend"
		}
	default:
		path := a.Path
		if path == "" {
			path = "/notifications"
		}
		d.Link, d.LinkLabel = w.baseURL+path, "Sign in to Mend"
	}
	d.Lines = Lines(a.What, a.Counts)
	if cat != Always && a.UserID != 0 {
		d.Unsubscribe = w.baseURL + UnsubscribePath(w.sign, a.UserID, cat)
	}
	subject, text, html, err := w.render.Render(a.What, d)
	if err != nil {
		return Message{}, "", err
	}
	fromName := w.from.Name
	if fromName == "" {
		fromName = d.Clinic + " via Mend"
		if d.Clinic == "Mend" {
			fromName = "Mend"
		}
	}
	m := Message{Kind: a.What, FromName: fromName, FromAddr: w.from.Address, To: to, ToName: name,
		Subject: subject, Text: text, HTML: html,
		MessageID: fmt.Sprintf("mend.%d.%s@%s", jobID, a.What, hostOf(w.baseURL)),
		Headers:   map[string]string{"Auto-Submitted": "auto-generated"}}
	if d.Unsubscribe != "" {
		// RFC 8058 one-click: mail programs POST to the link, no sign-in needed.
		m.Headers["List-Unsubscribe"] = "<" + d.Unsubscribe + ">"
		m.Headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
	}
	return m, "", nil
}

// fail records an undeliverable mail once, with the hook, in one transaction.
func (w *Worker) fail(ctx context.Context, job *river.Job[Args], to string, cause error) error {
	reason := cause.Error()
	if len(reason) > 500 {
		reason = reason[:500]
	}
	f := Failure{JobID: job.ID, ClinicID: job.Args.ClinicID, Kind: job.Args.What, Recipient: to, UserID: job.Args.UserID,
		Reason: reason, Attempts: job.Attempt}
	return db.InTx(ctx, w.db, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO mail_failures (clinic_id, job_id, kind, recipient, user_id, reason, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id) DO NOTHING`,
			nullID(f.ClinicID), f.JobID, string(f.Kind), f.Recipient, nullID(f.UserID), f.Reason, f.Attempts)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 && w.OnFailure != nil {
			return w.OnFailure(ctx, tx, f)
		}
		return nil
	})
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

// Format writes an instant for a person in their zone, naming the zone:
// "Tuesday 9 December 2026, 17:00 (Europe/Berlin)".
func Format(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday 2 January 2006, 15:04") + " (" + tz.Name(loc) + ")"
}

// Lines are the neutral lines of a reminder or digest, from counts: how
// much is due or waiting, never what.
func Lines(k Kind, c map[string]int) []string {
	var out []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			out = append(out, one)
		case n > 1:
			out = append(out, fmt.Sprintf(many, n))
		}
	}
	switch k {
	case Reminder:
		add(c["overdue"], "Something is past its due date.", "%d things are past their due date.")
		add(c["due_today"], "Something is due today.", "%d things are due today.")
		add(c["due_tomorrow"], "Something is due tomorrow.", "%d things are due tomorrow.")
		add(c["checkin"], "Today's check-in is waiting for you.", "Today's %d check-ins are waiting for you.")
	case Digest:
		add(c["attention"], "Something needs your attention soon.", "%d things need your attention soon.")
		add(c["submitted"], "One new piece of work came in.", "%d new pieces of work came in.")
		add(c["waiting"], "One piece of work is waiting for your review.", "%d pieces of work are waiting for your review.")
		add(c["overdue"], "One piece of work is overdue.", "%d pieces of work are overdue.")
		add(c["measures"], "A progress measure needs a look.", "%d progress measures need a look.")
	}
	return out
}
