package remind_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/pgtest"
	"github.com/mend-clinic/mend/internal/remind"
	"github.com/mend-clinic/mend/internal/tz"
)

// outbox records the mail the sweeps queue (in their transaction).
type outbox struct {
	mu   sync.Mutex
	sent []mail.Args
	fail bool
}

func (o *outbox) Mail(ctx context.Context, tx *db.Tx, a mail.Args) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.fail {
		return errors.New("queue down")
	}
	o.sent = append(o.sent, a)
	return nil
}

func (o *outbox) take() []mail.Args {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.sent
	o.sent = nil
	return out
}

// env is a clinic in a zone with a counselor and a couple (A, B) whose
// partners have accounts.
type env struct {
	t         *testing.T
	ctx       context.Context
	db        *sqlx.DB
	out       *outbox
	svc       *remind.Service
	work      *assignment.Service
	loc       *time.Location
	clinic    int64
	counselor actor.Actor
	a, b      actor.Actor
	couple    int64
	pa, pb    int64
	tpl       map[string]int64
	titles    map[string]string
	couples   int
}

func newEnv(t *testing.T, zone string) *env {
	t.Helper()
	d := pgtest.NewDB(t)
	ctx := context.Background()
	if err := library.SyncBuiltins(ctx, d); err != nil {
		t.Fatal(err)
	}
	loc, ok := tz.Load(zone)
	if !ok {
		t.Fatalf("zone %s", zone)
	}
	e := &env{t: t, ctx: ctx, db: d, out: &outbox{}, loc: loc, tpl: map[string]int64{}, titles: map[string]string{}}
	e.svc = remind.New(d, e.out)
	e.work = assignment.NewService(d, audit.New(make([]byte, 32)), nil)
	d.Get(&e.clinic, `INSERT INTO clinics (name, time_zone) VALUES ('Harbor', $1) RETURNING id`, zone)
	e.counselor = e.user(actor.RoleCounselor, "cora")
	e.a, e.b = e.user(actor.RoleClient, "alex"), e.user(actor.RoleClient, "blair")
	e.couple, e.pa, e.pb = e.newCouple(e.a, e.b)
	var rows []struct {
		ID    int64  `db:"id"`
		Slug  string `db:"slug"`
		Title string `db:"title"`
	}
	d.Select(&rows, `SELECT t.id, t.slug, v.title FROM exercise_templates t
		JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version WHERE t.slug IS NOT NULL`)
	for _, r := range rows {
		e.tpl[r.Slug], e.titles[r.Slug] = r.ID, r.Title
	}
	return e
}

func (e *env) user(role, name string) actor.Actor {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, name+"@x.test", name); err != nil {
		e.t.Fatal(err)
	}
	e.db.MustExec(`INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, $3)`, id, e.clinic, role)
	return actor.Actor{UserID: id, Name: name, ClinicID: e.clinic, Roles: []string{role}, ClinicZone: e.loc, ClinicZoneSet: true, Zone: e.loc}
}

func (e *env) newCouple(a, b actor.Actor) (couple, pa, pb int64) {
	e.t.Helper()
	e.couples++
	e.db.Get(&couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, $2, $3) RETURNING id`,
		e.clinic, a.Name+" & "+b.Name, e.counselor.UserID)
	e.db.Get(&pa, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', $3, $4, $5) RETURNING id`,
		couple, e.clinic, a.Name, a.Name+"@x.test", a.UserID)
	e.db.Get(&pb, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'B', $3, $4, $5) RETURNING id`,
		couple, e.clinic, b.Name, b.Name+"@x.test", b.UserID)
	return
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// local is hour:minute of a local date in the clinic's zone.
func (e *env) local(day string, h, m int) time.Time {
	d, err := tz.ParseDate(day)
	if err != nil {
		e.t.Fatal(err)
	}
	return tz.At(d, h, m, e.loc)
}

// assign creates work at instant now (due at due; zero: none).
func (e *env) assign(now time.Time, slug, mode string, partner int64, due time.Time) assignment.Assignment {
	e.t.Helper()
	in := assignment.NewAssignment{TemplateID: e.tpl[slug], Mode: mode, PartnerID: partner}
	if !due.IsZero() {
		in.DueAt = &due
	}
	asg, err := e.work.WithClock(at(now)).Create(e.ctx, e.counselor, e.couple, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return asg
}

// daily assigns a daily check-in to each partner from now's local day.
func (e *env) daily(now time.Time, days int) assignment.Assignment {
	e.t.Helper()
	in := assignment.NewAssignment{TemplateID: e.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", tz.AddDays(tz.Today(now, e.loc), days).Format(time.DateOnly)}
	asg, err := e.work.WithClock(at(now)).Create(e.ctx, e.counselor, e.couple, in)
	if err != nil {
		e.t.Fatal(err)
	}
	return asg
}

func (e *env) occurrences(now time.Time) {
	e.t.Helper()
	if _, err := e.work.MakeOccurrences(e.ctx, now); err != nil {
		e.t.Fatal(err)
	}
}

// reminders runs the reminder sweep at now and returns what it queued.
func (e *env) reminders(now time.Time) []mail.Args {
	e.t.Helper()
	if _, err := e.svc.Reminders(e.ctx, now); err != nil {
		e.t.Fatal(err)
	}
	return e.out.take()
}

func (e *env) digests(now time.Time) []mail.Args {
	e.t.Helper()
	if _, err := e.svc.Digests(e.ctx, now); err != nil {
		e.t.Fatal(err)
	}
	return e.out.take()
}

// responseOf is the id of a partner's (0: the joint) response of an
// assignment, of its latest occurrence.
func (e *env) responseOf(asg int64, partner int64) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Get(&id, `SELECT id FROM responses WHERE assignment_id = $1 AND partner_id IS NOT DISTINCT FROM $2
		ORDER BY occurs_on DESC NULLS LAST LIMIT 1`, asg, nullID(partner)); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

// submit marks a response submitted at instant when, with a kept snapshot.
func (e *env) submit(rid int64, by int64, when time.Time, concern ...string) {
	e.t.Helper()
	e.db.MustExec(`UPDATE responses SET status = 'submitted', submitted_at = $2, concern_fields = $3 WHERE id = $1`,
		rid, when, "{"+join(concern)+"}")
	e.db.MustExec(`INSERT INTO submissions (response_id, version, answers, submitted_by, submitted_at) VALUES ($1, 1, '{}', $2, $3)`, rid, by, when)
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
