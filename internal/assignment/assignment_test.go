package assignment_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/pgtest"
)

// world is a clinic with two counselors, a couple (A, B) in the first
// counselor's caseload, another couple, and a second clinic.
type world struct {
	t                     *testing.T
	db                    *sqlx.DB
	svc                   *assignment.Service
	ctx                   context.Context
	clinic, other         int64
	counselor, counselor2 actor.Actor
	admin, a, b, stranger actor.Actor
	foreign               actor.Actor
	couple, couple2       int64
	partnerA, partnerB    int64
	tpl                   map[string]int64
}

func newWorld(t *testing.T) *world {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	if err := library.SyncBuiltins(ctx, d); err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: d, ctx: ctx, svc: assignment.NewService(d, audit.New(make([]byte, 32)), nil), tpl: map[string]int64{}}
	d.Get(&w.clinic, `INSERT INTO clinics (name) VALUES ('Harbor') RETURNING id`)
	d.Get(&w.other, `INSERT INTO clinics (name) VALUES ('Northside') RETURNING id`)
	user := func(clinic int64, role, name string) actor.Actor {
		var id int64
		d.Get(&id, `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id`, name+"@x.test", name)
		d.MustExec(`INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, $3)`, id, clinic, role)
		return actor.Actor{UserID: id, Name: name, ClinicID: clinic, Roles: []string{role}}
	}
	w.counselor = user(w.clinic, "counselor", "cora")
	w.counselor2 = user(w.clinic, "counselor", "carl")
	w.admin = user(w.clinic, "clinic_admin", "ada")
	w.a = user(w.clinic, "client", "alex")
	w.b = user(w.clinic, "client", "blair")
	w.stranger = user(w.clinic, "client", "sol")
	w.foreign = user(w.other, "counselor", "finn")
	d.Get(&w.couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Alex & Blair', $2) RETURNING id`, w.clinic, w.counselor.UserID)
	d.Get(&w.couple2, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Other', $2) RETURNING id`, w.clinic, w.counselor.UserID)
	d.Get(&w.partnerA, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Alex', 'alex@x.test', $3) RETURNING id`, w.couple, w.clinic, w.a.UserID)
	d.Get(&w.partnerB, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'B', 'Blair', 'blair@x.test', $3) RETURNING id`, w.couple, w.clinic, w.b.UserID)
	d.MustExec(`INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Sol', 'sol@x.test', $3)`, w.couple2, w.clinic, w.stranger.UserID)
	var rows []struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	d.Select(&rows, `SELECT id, slug FROM exercise_templates WHERE slug IS NOT NULL`)
	for _, r := range rows {
		w.tpl[r.Slug] = r.ID
	}
	return w
}

func (w *world) assign(by actor.Actor, in assignment.NewAssignment) (assignment.Assignment, error) {
	return w.svc.Create(w.ctx, by, w.couple, in)
}

func (w *world) mustAssign(in assignment.NewAssignment) assignment.Detail {
	w.t.Helper()
	asg, err := w.assign(w.counselor, in)
	if err != nil {
		w.t.Fatalf("assign: %v", err)
	}
	d, err := w.svc.Get(w.ctx, w.counselor, asg.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// responseOf returns the response of a partner (0: joint) in a detail.
func responseOf(t *testing.T, d assignment.Detail, partner int64) assignment.ResponseView {
	t.Helper()
	for _, r := range d.Responses {
		if (partner == 0 && r.PartnerID == nil) || (r.PartnerID != nil && *r.PartnerID == partner) {
			return r
		}
	}
	t.Fatalf("no response for partner %d", partner)
	return assignment.ResponseView{}
}

// fill returns complete, valid answers for a schema.
func fill(sc exercise.Schema, text string) map[string]any {
	ans := map[string]any{}
	for _, f := range sc.Fields() {
		switch f.Type {
		case exercise.TypeShortText, exercise.TypeLongText:
			ans[f.Key] = text
		case exercise.TypeList:
			ans[f.Key] = []any{text}
		case exercise.TypeScale:
			ans[f.Key] = float64(*f.Max)
		case exercise.TypeSingleChoice:
			ans[f.Key] = f.Options[0]
		case exercise.TypeMultiChoice:
			ans[f.Key] = []any{f.Options[0]}
		case exercise.TypeCheckbox, exercise.TypeAgreement:
			ans[f.Key] = true
		case exercise.TypeDate:
			ans[f.Key] = "2026-12-01"
		}
	}
	return ans
}

func code(err error) apperr.Code {
	if err == nil {
		return ""
	}
	return apperr.CodeOf(err)
}

func (w *world) get(by actor.Actor, id int64) (assignment.Detail, error) {
	return w.svc.Get(w.ctx, by, id)
}

func TestIndividualPrivacyShareReviseAccept(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA, Instructions: "Take your time."})
	if len(d.Responses) != 1 {
		t.Fatalf("%d responses, want 1", len(d.Responses))
	}
	rid := d.Responses[0].ID
	ans := fill(d.Schema, "I lied about where I was.")
	v, err := w.svc.SaveDraft(w.ctx, w.a, rid, ans, 1)
	if err != nil || v.Version != 2 {
		t.Fatalf("save draft: %v %+v", err, v)
	}
	// The counselor never sees a draft; the partner neither.
	cd, _ := w.get(w.counselor, d.ID)
	if responseOf(t, cd, w.partnerA).Answers != nil {
		t.Fatal("counselor sees a draft")
	}
	bd, err := w.get(w.b, d.ID)
	if err != nil {
		t.Fatalf("partner cannot see the assignment exists: %v", err)
	}
	if r := responseOf(t, bd, w.partnerA); r.Answers != nil || r.Status != assignment.StateToDo {
		t.Fatalf("partner sees %+v", r)
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.b, rid); code(err) != apperr.NotFound {
		t.Fatalf("partner opens the response: %v", err)
	}
	if _, err := w.svc.SaveDraft(w.ctx, w.b, rid, ans, 2); code(err) != apperr.NotFound {
		t.Fatalf("partner writes the response: %v", err)
	}
	// The other couple's partner and the other counselor: 404.
	for _, who := range []actor.Actor{w.stranger, w.counselor2} {
		if _, err := w.get(who, d.ID); code(err) != apperr.NotFound {
			t.Errorf("%s: %v", who.Name, err)
		}
	}
	if _, err := w.get(w.foreign, d.ID); code(err) != apperr.NotFound {
		t.Errorf("another clinic: %v", err)
	}
	// The admin sees statuses, never answers.
	ad, err := w.get(w.admin, d.ID)
	if err != nil || responseOf(t, ad, w.partnerA).Answers != nil {
		t.Fatalf("admin: %v", err)
	}
	// Stale save.
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, ans, 1); code(err) != apperr.Conflict {
		t.Fatalf("stale save: %v", err)
	}
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, ans, 2); code(err) != apperr.Conflict {
		t.Fatalf("edit while submitted: %v", err)
	}
	cd, _ = w.get(w.counselor, d.ID)
	if r := responseOf(t, cd, w.partnerA); r.Answers == nil || r.Answers[d.Schema.Fields()[0].Key] != "I lied about where I was." {
		t.Fatalf("counselor cannot read the submission: %+v", r)
	}
	bd, _ = w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers != nil {
		t.Fatal("partner reads an unshared submission")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, true); err != nil {
		t.Fatal(err)
	}
	bd, _ = w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers == nil {
		t.Fatal("partner cannot read a shared submission")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, false); err != nil {
		t.Fatal(err)
	}
	bd, _ = w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers != nil {
		t.Fatal("withdrawn share still readable")
	}
	// Revision: a comment is required; the counselor keeps seeing the last submission.
	if err := w.svc.Review(w.ctx, w.counselor, rid, "revise", ""); code(err) != apperr.Invalid {
		t.Fatalf("revise without comment: %v", err)
	}
	if err := w.svc.Review(w.ctx, w.counselor2, rid, "accept", ""); code(err) != apperr.NotFound {
		t.Fatalf("other counselor reviews: %v", err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "revise", "Say more about the impact."); err != nil {
		t.Fatal(err)
	}
	ans2 := fill(d.Schema, "I lied, and I see how it shook your sense of safety.")
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, ans2, 2); err != nil {
		t.Fatal(err)
	}
	cd, _ = w.get(w.counselor, d.ID)
	if r := responseOf(t, cd, w.partnerA); r.Answers[d.Schema.Fields()[0].Key] != "I lied about where I was." || r.Status != "revision_requested" {
		t.Fatalf("counselor sees the new draft during revision: %+v", r)
	}
	c, _ := w.svc.CountsFor(w.ctx, w.a)
	if c.NewFeedback != 1 {
		t.Errorf("client feedback count %d", c.NewFeedback)
	}
	if c, _ := w.svc.CountsFor(w.ctx, w.b); c.NewFeedback != 0 {
		t.Errorf("partner sees the other's feedback in counts: %d", c.NewFeedback)
	}
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		t.Fatal(err)
	}
	_, rv, err := w.svc.GetResponse(w.ctx, w.counselor, rid)
	if err != nil || len(rv.History) != 2 || len(rv.Feedback) != 1 {
		t.Fatalf("history: %v %d submissions, %d reviews", err, len(rv.History), len(rv.Feedback))
	}
	q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50)
	if len(q) != 1 || q[0].ResponseID != rid {
		t.Fatalf("queue: %+v", q)
	}
	if q2, _ := w.svc.ReviewQueue(w.ctx, w.counselor2, nil, 50); len(q2) != 0 {
		t.Fatal("another counselor's queue shows it")
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "accept", "Thank you."); err != nil {
		t.Fatal(err)
	}
	if q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50); len(q) != 0 {
		t.Fatal("accepted response still queued")
	}
}

func TestSafetyCheckRules(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	id := w.tpl["safety-check"]
	for _, mode := range []string{"each", "joint"} {
		if _, err := w.assign(w.counselor, assignment.NewAssignment{TemplateID: id, Mode: mode}); code(err) != apperr.Invalid {
			t.Fatalf("safety check as %s: %v", mode, err)
		}
	}
	d := w.mustAssign(assignment.NewAssignment{TemplateID: id, Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	if err := w.svc.Share(w.ctx, w.a, rid, true); code(err) != apperr.Invalid {
		t.Fatalf("share safety check: %v", err)
	}
	// The other partner does not even learn it exists.
	if _, err := w.get(w.b, d.ID); code(err) != apperr.NotFound {
		t.Fatalf("partner sees the safety check assignment: %v", err)
	}
	list, _ := w.svc.List(w.ctx, w.b, assignment.ListFilter{Limit: 50})
	if len(list) != 0 {
		t.Fatalf("partner lists it: %d", len(list))
	}
	home, _ := w.svc.Home(w.ctx, w.b)
	if len(home.PartnerWork) != 0 {
		t.Fatal("partner's home shows it")
	}
}

func TestJointStaleSaveSignaturesSubmit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["transparency-plan"], Mode: "joint"})
	if len(d.Responses) != 1 || d.Responses[0].PartnerID != nil {
		t.Fatalf("joint responses: %+v", d.Responses)
	}
	rid := d.Responses[0].ID
	full := fill(d.Schema, "Phones stay open on the table.")
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, full, 1); err != nil {
		t.Fatal(err)
	}
	// B saves on the old version: refused, with A's text so nothing is lost.
	_, err := w.svc.SaveDraft(w.ctx, w.b, rid, fill(d.Schema, "B's idea"), 1)
	ae, _ := apperr.As(err)
	if code(err) != apperr.Conflict || ae.Data["version"] != 2 {
		t.Fatalf("stale joint save: %v", err)
	}
	if js, _ := json.Marshal(ae.Data["answers"]); !json.Valid(js) || len(js) < 10 {
		t.Fatalf("409 lacks current answers: %s", js)
	}
	if err := w.svc.Submit(w.ctx, w.a, rid); code(err) != apperr.Conflict {
		t.Fatalf("submit unsigned: %v", err)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, rid, 1); code(err) != apperr.Conflict {
		t.Fatalf("sign stale version: %v", err)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, rid, 2); err != nil {
		t.Fatal(err)
	}
	// An edit after a signature clears it: you sign what you read.
	v, err := w.svc.SaveDraft(w.ctx, w.b, rid, fill(d.Schema, "Phones stay open; we review monthly."), 2)
	if err != nil || !v.SignaturesCleared || v.Version != 3 {
		t.Fatalf("edit after signing: %v %+v", err, v)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, rid, 3); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Submit(w.ctx, w.b, rid); code(err) != apperr.Conflict {
		t.Fatalf("submit with one signature: %v", err)
	}
	if sigs, err := w.svc.Sign(w.ctx, w.b, rid, 3); err != nil || len(sigs) != 2 {
		t.Fatalf("second signature: %v %d", err, len(sigs))
	}
	if err := w.svc.Submit(w.ctx, w.b, rid); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Share(w.ctx, w.a, rid, true); code(err) != apperr.Invalid {
		t.Fatalf("share joint: %v", err)
	}
}

func TestEachRevealTogetherAndRecurrence(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["acknowledging-the-breach"], Mode: "each", Reveal: "together"})
	if len(d.Responses) != 2 {
		t.Fatalf("each: %d responses", len(d.Responses))
	}
	ra, rb := responseOf(t, d, w.partnerA).ID, responseOf(t, d, w.partnerB).ID
	w.svc.SaveDraft(w.ctx, w.a, ra, fill(d.Schema, "A's view"), 1)
	w.svc.Submit(w.ctx, w.a, ra)
	bd, _ := w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers != nil {
		t.Fatal("B sees A's answer before submitting their own")
	}
	w.svc.SaveDraft(w.ctx, w.b, rb, fill(d.Schema, "B's view"), 1)
	if err := w.svc.Submit(w.ctx, w.b, rb); err != nil {
		t.Fatal(err)
	}
	bd, _ = w.get(w.b, d.ID)
	ad, _ := w.get(w.a, d.ID)
	if responseOf(t, bd, w.partnerA).Answers == nil || responseOf(t, ad, w.partnerB).Answers == nil {
		t.Fatal("reveal together did not reveal both once both submitted")
	}

	// Daily check-in for a week: one response per day per partner.
	until := time.Now().UTC().AddDate(0, 0, 6).Format(time.DateOnly)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", until}
	rd := w.mustAssign(in)
	if len(rd.Responses) != 2 {
		t.Fatalf("daily, on its first day: %d responses, want today's for each partner", len(rd.Responses))
	}
	// The later days are made on their day, once each.
	for i := 1; i <= 7; i++ {
		if _, err := w.svc.MakeOccurrences(w.ctx, time.Now().Add(time.Duration(i)*24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	rd, _ = w.get(w.counselor, rd.ID)
	seen := map[string]bool{}
	for _, r := range rd.Responses {
		k := *r.OccursOn + "/" + itoa(*r.PartnerID)
		if seen[k] {
			t.Errorf("occurrence %s made twice", k)
		}
		seen[k] = true
	}
	if len(rd.Responses) != 14 {
		t.Fatalf("daily for 7 days × 2 partners: %d responses", len(rd.Responses))
	}
	home, _ := w.svc.Home(w.ctx, w.a)
	n := 0
	for _, it := range home.Due {
		if it.AssignmentID == rd.ID {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("home shows %d check-ins, want today's only", n)
	}
	// Bad recurrences.
	in.Recurrence.Until = "2020-01-01"
	if _, err := w.assign(w.counselor, in); code(err) != apperr.Invalid {
		t.Fatalf("until in the past: %v", err)
	}
	in.Recurrence.Every = "hour"
	if _, err := w.assign(w.counselor, in); code(err) != apperr.Invalid {
		t.Fatalf("every hour: %v", err)
	}
}

func TestCancelClosedAndOwnership(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "individual", PartnerID: w.partnerB})
	rid := d.Responses[0].ID
	if _, err := w.svc.SaveDraft(w.ctx, w.b, rid, map[string]any{}, 1); err != nil {
		t.Fatal(err)
	}
	// Only the couple's counselor assigns or edits.
	if _, err := w.assign(w.counselor2, assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "each"}); code(err) != apperr.NotFound {
		t.Fatalf("other counselor assigns: %v", err)
	}
	if _, err := w.assign(w.admin, assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "each"}); code(err) != apperr.Forbidden {
		t.Fatalf("admin assigns: %v", err)
	}
	if _, err := w.svc.Create(w.ctx, w.foreign, w.couple, assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "each"}); code(err) != apperr.NotFound {
		t.Fatalf("another clinic assigns: %v", err)
	}
	cancelled := assignment.StatusCancelled
	if _, err := w.svc.Update(w.ctx, w.counselor2, d.ID, assignment.Change{Status: &cancelled}); code(err) != apperr.NotFound {
		t.Fatalf("other counselor cancels: %v", err)
	}
	if _, err := w.svc.Update(w.ctx, w.counselor, d.ID, assignment.Change{Status: &cancelled}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveDraft(w.ctx, w.b, rid, map[string]any{}, 2); code(err) != apperr.Conflict {
		t.Fatalf("write to a withdrawn exercise: %v", err)
	}
	home, _ := w.svc.Home(w.ctx, w.b)
	if len(home.Withdrawn) != 1 {
		t.Fatalf("withdrawn not shown: %+v", home)
	}
	// Paused: no new assignments; closed: read-only.
	w.db.MustExec(`UPDATE couples SET status = 'paused' WHERE id = $1`, w.couple)
	if _, err := w.assign(w.counselor, assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "each"}); code(err) != apperr.Conflict {
		t.Fatalf("assign to paused: %v", err)
	}
	w.db.MustExec(`UPDATE couples SET status = 'active' WHERE id = $1`, w.couple)
	d2 := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["forgiveness-reflection"], Mode: "individual", PartnerID: w.partnerB})
	w.db.MustExec(`UPDATE couples SET status = 'closed' WHERE id = $1`, w.couple)
	if _, err := w.svc.SaveDraft(w.ctx, w.b, d2.Responses[0].ID, map[string]any{}, 1); code(err) != apperr.Conflict {
		t.Fatalf("write on a closed couple: %v", err)
	}
	due := time.Now().Add(48 * time.Hour)
	pdue := &due
	if _, err := w.svc.Update(w.ctx, w.counselor, d2.ID, assignment.Change{DueAt: &pdue}); code(err) != apperr.Conflict {
		t.Fatalf("edit on a closed couple: %v", err)
	}
	// Reassignment: the old counselor loses access at once.
	w.db.MustExec(`UPDATE couples SET status = 'active', counselor_id = $2 WHERE id = $1`, w.couple, w.counselor2.UserID)
	if _, err := w.get(w.counselor, d2.ID); code(err) != apperr.NotFound {
		t.Fatalf("old counselor after reassignment: %v", err)
	}
	if _, err := w.get(w.counselor2, d2.ID); err != nil {
		t.Fatalf("new counselor sees history: %v", err)
	}
}

func TestReplyAndValidation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	letter := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := letter.Responses[0].ID
	reply := assignment.NewAssignment{TemplateID: w.tpl["forgiveness-reflection"], Mode: "individual", PartnerID: w.partnerB, ReplyTo: rid}
	if _, err := w.assign(w.counselor, reply); code(err) != apperr.Invalid {
		t.Fatalf("reply to an unsubmitted response: %v", err)
	}
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(letter.Schema, "I am sorry."), 1)
	w.svc.Submit(w.ctx, w.a, rid)
	bad := reply
	bad.PartnerID = w.partnerA
	if _, err := w.assign(w.counselor, bad); code(err) != apperr.Invalid {
		t.Fatalf("reply by the author: %v", err)
	}
	got := w.mustAssign(reply)
	if !got.ReplyTo.Valid || got.ReplyTo.Int64 != rid {
		t.Fatal("reply_to not kept")
	}
	// Field validation.
	for name, in := range map[string]assignment.NewAssignment{
		"unknown template": {TemplateID: 999999, Mode: "each"},
		"bad mode":         {TemplateID: w.tpl["apology-letter"], Mode: "both"},
		"no partner":       {TemplateID: w.tpl["apology-letter"], Mode: "individual"},
		"foreign partner":  {TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: 424242},
		"reveal on joint":  {TemplateID: w.tpl["transparency-plan"], Mode: "joint", Reveal: "together"},
		"long":             {TemplateID: w.tpl["apology-letter"], Mode: "each", Instructions: string(make([]byte, 5000))},
	} {
		if _, err := w.assign(w.counselor, in); code(err) != apperr.Invalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Answers are validated against the pinned version.
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"})
	r := responseOf(t, d, w.partnerA).ID
	if _, err := w.svc.SaveDraft(w.ctx, w.a, r, map[string]any{"trust": 11.0}, 1); code(err) != apperr.Invalid {
		t.Fatalf("trust 11: %v", err)
	}
	if err := w.svc.Submit(w.ctx, w.a, r); code(err) != apperr.Invalid {
		t.Fatalf("submit empty: %v", err)
	}
}

func TestReadsAreAudited(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "text"), 1)
	w.svc.Submit(w.ctx, w.a, rid)
	count := func(actorID int64) int {
		var n int
		w.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'response.read' AND actor_id = $1`, actorID)
		return n
	}
	before := count(w.counselor.UserID)
	w.get(w.counselor, d.ID)
	if count(w.counselor.UserID) != before+1 {
		t.Fatal("counselor's read not audited")
	}
	w.get(w.b, d.ID) // nothing readable: no content, no event
	if count(w.b.UserID) != 0 {
		t.Fatal("a read without content was audited")
	}
	var detail string
	w.db.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'response.read' ORDER BY seq DESC LIMIT 1`)
	if strings.Contains(detail, "text") {
		t.Fatalf("audit detail holds content: %s", detail)
	}
}

func TestSafetyConcernFlagsTheCounselor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["safety-check"], Mode: "individual", PartnerID: w.partnerB})
	rid := d.Responses[0].ID
	ans := map[string]any{"feel_safe": "Often I don't feel safe", "afraid_of_partner": "Sometimes"}
	if _, err := w.svc.SaveDraft(w.ctx, w.b, rid, ans, 1); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Submit(w.ctx, w.b, rid); err != nil {
		t.Fatal(err)
	}
	_, rv, err := w.svc.GetResponse(w.ctx, w.counselor, rid)
	if err != nil || len(rv.Concerns) != 2 {
		t.Fatalf("counselor concerns: %v %v", err, rv.Concerns)
	}
	_, own, _ := w.svc.GetResponse(w.ctx, w.b, rid)
	if len(own.Concerns) != 0 {
		t.Fatal("the author is shown the counselor's flag")
	}
	q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 10)
	if len(q) != 1 || !q[0].Concern {
		t.Fatalf("queue: %+v", q)
	}
	c, _ := w.svc.CountsFor(w.ctx, w.counselor)
	if c.SafetyConcerns != 1 {
		t.Fatalf("counts: %+v", c)
	}
	// A reassuring check raises nothing.
	d2 := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["safety-check"], Mode: "individual", PartnerID: w.partnerA})
	r2 := d2.Responses[0].ID
	w.svc.SaveDraft(w.ctx, w.a, r2, map[string]any{"feel_safe": "Yes, I feel safe", "afraid_of_partner": "No"}, 1)
	w.svc.Submit(w.ctx, w.a, r2)
	if c, _ := w.svc.CountsFor(w.ctx, w.counselor); c.SafetyConcerns != 1 {
		t.Fatalf("reassuring answers flagged: %+v", c)
	}
}
