package clinic_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/pgtest"
	"github.com/mend-clinic/mend/internal/tz"
)

type practice struct {
	t                *testing.T
	ctx              context.Context
	d                *sqlx.DB
	clinic           *clinic.Service
	work             *assignment.Service
	admin, counselor actor.Actor
	a                actor.Actor
	couple, pa, pb   int64
	tpl              map[string]int64
}

func newPractice(t *testing.T) *practice {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	if err := library.SyncBuiltins(ctx, d); err != nil {
		t.Fatal(err)
	}
	al := audit.New([]byte("k"))
	p := &practice{t: t, ctx: ctx, d: d, clinic: clinic.NewService(d, al, auth.NewHasher([]byte("k")), nil),
		work: assignment.NewService(d, al, nil), tpl: map[string]int64{}}
	var cid int64
	d.Get(&cid, `INSERT INTO clinics (name) VALUES ('Harbor') RETURNING id`)
	user := func(role, name string) actor.Actor {
		var id int64
		d.Get(&id, `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, name+"@x.test", name)
		d.MustExec(`INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, $3)`, id, cid, role)
		return actor.Actor{UserID: id, Name: name, ClinicID: cid, Roles: []string{role}}
	}
	p.admin, p.counselor, p.a = user(actor.RoleAdmin, "ada"), user(actor.RoleCounselor, "cora"), user(actor.RoleClient, "alex")
	b := user(actor.RoleClient, "blair")
	d.Get(&p.couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Alex & Blair', $2) RETURNING id`, cid, p.counselor.UserID)
	d.Get(&p.pa, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Alex', 'alex@x.test', $3) RETURNING id`, p.couple, cid, p.a.UserID)
	d.Get(&p.pb, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'B', 'Blair', 'blair@x.test', $3) RETURNING id`, p.couple, cid, b.UserID)
	var rows []struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	d.Select(&rows, `SELECT id, slug FROM exercise_templates WHERE slug IS NOT NULL`)
	for _, r := range rows {
		p.tpl[r.Slug] = r.ID
	}
	return p
}

func (p *practice) setStatus(status string) {
	p.t.Helper()
	if _, err := p.clinic.UpdateCouple(p.ctx, p.admin, p.couple, clinic.CouplePatch{Status: &status}); err != nil {
		p.t.Fatal(err)
	}
}

func (p *practice) due(responseWhere string, args ...any) time.Time {
	p.t.Helper()
	var at time.Time
	if err := p.d.Get(&at, `SELECT due_at FROM responses WHERE `+responseWhere, args...); err != nil {
		p.t.Fatal(err)
	}
	return at
}

// overdue is every count of overdue work a page shows for the couple.
func (p *practice) overdue() map[string]int {
	p.t.Helper()
	out := map[string]int{}
	cl, err := p.clinic.Caseload(p.ctx, p.counselor)
	if err != nil {
		p.t.Fatal(err)
	}
	out["caseload"] = cl[0].Overdue
	if cl[0].NextDue != nil {
		out["caseload next due"] = 1
	}
	tot, err := p.clinic.ClinicTotals(p.ctx, p.admin)
	if err != nil {
		p.t.Fatal(err)
	}
	out["clinic totals"] = tot.Overdue
	cs, err := p.clinic.Counselors(p.ctx, p.admin)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, c := range cs {
		out["counselors list"] += c.Overdue
	}
	list, err := p.work.List(p.ctx, p.counselor, assignment.ListFilter{CoupleID: p.couple, Limit: 50})
	if err != nil {
		p.t.Fatal(err)
	}
	for _, x := range list {
		out["assignment list"] += x.OverdueN
		d, err := p.work.Get(p.ctx, p.counselor, x.ID)
		if err != nil {
			p.t.Fatal(err)
		}
		for _, r := range d.Responses {
			if r.Overdue {
				out["assignment page"]++
			}
		}
	}
	h, err := p.work.Home(p.ctx, p.a)
	if err != nil {
		p.t.Fatal(err)
	}
	for _, x := range h.Due {
		if x.Overdue {
			out["client home"]++
		}
	}
	return out
}

// Pause means pause: while a couple is paused nothing is made and nothing
// is overdue anywhere; resuming moves the open due dates that were still
// ahead when the pause began on by its length, leaves what was already
// overdue, and the paused days never get occurrences.
func TestPauseMeansPause(t *testing.T) {
	p := newPractice(t)
	today := tz.Today(time.Now(), time.UTC)
	t0 := tz.At(tz.AddDays(today, -3), 6, 0, time.UTC) // three days ago, 06:00 (the clinic is on UTC)
	then := p.work.WithClock(func() time.Time { return t0 })
	letterDue, planDue := t0.Add(5*24*time.Hour), t0.Add(time.Hour)
	letter, err := then.Create(p.ctx, p.counselor, p.couple, assignment.NewAssignment{TemplateID: p.tpl["apology-letter"],
		Mode: "individual", PartnerID: p.pa, DueAt: &letterDue})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := then.Create(p.ctx, p.counselor, p.couple, assignment.NewAssignment{TemplateID: p.tpl["transparency-plan"],
		Mode: "joint", DueAt: &planDue})
	if err != nil {
		t.Fatal(err)
	}
	in := assignment.NewAssignment{TemplateID: p.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", tz.AddDays(today, 10).Format(time.DateOnly)}
	daily, err := then.Create(p.ctx, p.counselor, p.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	// Paused at 08:00 that day: the plan was overdue already, the letter
	// and that day's check-ins were still ahead.
	pausedAt := t0.Add(2 * time.Hour)
	p.setStatus(clinic.StatusPaused)
	var at *time.Time
	p.d.Get(&at, `SELECT paused_at FROM couples WHERE id = $1`, p.couple)
	if at == nil || time.Since(*at) > time.Minute {
		t.Fatalf("paused_at %v, want now", at)
	}
	p.d.MustExec(`UPDATE couples SET paused_at = $2 WHERE id = $1`, p.couple, pausedAt)

	for what, n := range p.overdue() {
		if n != 0 {
			t.Errorf("paused: %s shows %d overdue", what, n)
		}
	}
	if n, _ := p.work.MakeOccurrences(p.ctx, time.Now()); n != 0 {
		t.Errorf("a paused couple got %d new responses", n)
	}

	checkinDue := p.due(`assignment_id = $1 AND partner_id = $2`, daily.ID, p.pa)
	p.setStatus(clinic.StatusActive)
	var detail string
	p.d.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'couple.status' ORDER BY seq DESC LIMIT 1`)
	var ev struct {
		From, To    string
		Seconds     int64 `json:"paused_seconds"`
		Responses   int   `json:"responses_moved"`
		Assignments int   `json:"assignments_moved"`
	}
	json.Unmarshal([]byte(detail), &ev)
	length := time.Since(pausedAt)
	if ev.From != "paused" || ev.To != "active" || time.Duration(ev.Seconds)*time.Second < length-time.Minute ||
		time.Duration(ev.Seconds)*time.Second > length+time.Second || ev.Responses != 3 || ev.Assignments != 1 {
		t.Fatalf("resume audit %s (pause lasted %s)", detail, length)
	}
	moved := time.Duration(ev.Seconds) * time.Second
	if got := p.due(`assignment_id = $1`, letter.ID); !got.Equal(letterDue.Add(moved)) {
		t.Errorf("letter due %s, want %s", got, letterDue.Add(moved))
	}
	var asgDue time.Time
	p.d.Get(&asgDue, `SELECT due_at FROM assignments WHERE id = $1`, letter.ID)
	if !asgDue.Equal(letterDue.Add(moved)) {
		t.Errorf("the letter's assignment due %s, want %s", asgDue, letterDue.Add(moved))
	}
	if got := p.due(`assignment_id = $1`, plan.ID); !got.Equal(planDue) {
		t.Errorf("the plan, overdue before the pause, moved to %s", got)
	}
	if got := p.due(`assignment_id = $1 AND partner_id = $2`, daily.ID, p.pa); !got.Equal(checkinDue.Add(moved)) {
		t.Errorf("check-in due %s, want %s", got, checkinDue.Add(moved))
	}
	p.d.Get(&at, `SELECT paused_at FROM couples WHERE id = $1`, p.couple)
	if at != nil {
		t.Errorf("paused_at %v after resuming", at)
	}
	// Active again: the plan is overdue again (and only it).
	if o := p.overdue(); o["caseload"] != 1 || o["clinic totals"] != 1 || o["counselors list"] != 1 || o["assignment list"] != 1 ||
		o["assignment page"] != 1 || o["client home"] != 1 || o["caseload next due"] != 1 {
		t.Errorf("after resuming: %v", o)
	}
	// The paused days are never made; today's is.
	p.work.MakeOccurrences(p.ctx, time.Now())
	var days []time.Time
	p.d.Select(&days, `SELECT DISTINCT occurs_on FROM responses WHERE assignment_id = $1 ORDER BY occurs_on`, daily.ID)
	if len(days) != 2 || !days[0].Equal(tz.AddDays(today, -3)) || !days[1].Equal(today) {
		t.Errorf("check-in days %v, want three days ago and today", days)
	}

	// Closed: nothing made; reopened: the closed days are skipped.
	p.setStatus(clinic.StatusClosed)
	p.work.MakeOccurrences(p.ctx, time.Now().Add(48*time.Hour))
	p.d.Select(&days, `SELECT DISTINCT occurs_on FROM responses WHERE assignment_id = $1 ORDER BY occurs_on`, daily.ID)
	if len(days) != 2 {
		t.Errorf("a closed couple got occurrences: %v", days)
	}
	p.d.MustExec(`UPDATE assignments SET next_occurs_on = $2 WHERE id = $1`, daily.ID, tz.AddDays(today, -1)) // as if closed since yesterday
	p.setStatus(clinic.StatusActive)
	p.work.MakeOccurrences(p.ctx, time.Now())
	p.d.Select(&days, `SELECT DISTINCT occurs_on FROM responses WHERE assignment_id = $1 ORDER BY occurs_on`, daily.ID)
	if len(days) != 2 {
		t.Errorf("reopening made the closed days: %v", days)
	}
}
