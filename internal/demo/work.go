package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/tz"
)

// couple is a seeded couple as the work seeding sees it.
type seeded struct {
	ID                 int64
	Label              string
	Counselor          actor.Actor
	A, B               actor.Actor // partner users
	PartnerA, PartnerB int64
}

// seedWork fills the demo practice with work in every state: submissions
// awaiting review, revisions, accepted and withdrawn exercises, joint plans
// half-signed, and three weeks of daily check-ins.
func seedWork(ctx context.Context, d *sqlx.DB, svc *assignment.Service) error {
	var rows []struct {
		ID          int64  `db:"id"`
		Label       string `db:"label"`
		ClinicID    int64  `db:"clinic_id"`
		CounselorID int64  `db:"counselor_id"`
		AUser       int64  `db:"a_user"`
		BUser       int64  `db:"b_user"`
		A           int64  `db:"a"`
		B           int64  `db:"b"`
	}
	if err := d.SelectContext(ctx, &rows, `SELECT c.id, c.label, c.clinic_id, c.counselor_id,
			pa.user_id AS a_user, pb.user_id AS b_user, pa.id AS a, pb.id AS b
		FROM couples c JOIN partners pa ON pa.couple_id = c.id AND pa.slot = 'A' JOIN partners pb ON pb.couple_id = c.id AND pb.slot = 'B'
		ORDER BY c.id`); err != nil {
		return err
	}
	tpl := map[string]int64{}
	var ts []struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	if err := d.SelectContext(ctx, &ts, `SELECT id, slug FROM exercise_templates WHERE slug IS NOT NULL`); err != nil {
		return err
	}
	for _, t := range ts {
		tpl[t.Slug] = t.ID
	}
	if len(tpl) == 0 {
		return fmt.Errorf("the built-in library is not loaded")
	}
	zones := map[int64]*time.Location{}
	var cz []struct {
		ID   int64   `db:"id"`
		Zone *string `db:"time_zone"`
	}
	if err := d.SelectContext(ctx, &cz, `SELECT id, time_zone FROM clinics`); err != nil {
		return err
	}
	for _, z := range cz {
		if z.Zone != nil {
			zones[z.ID] = tz.Or(*z.Zone)
		}
	}
	who := func(clinic, user int64, role string) actor.Actor {
		return actor.Actor{UserID: user, ClinicID: clinic, Roles: []string{role}, RequestID: "seed-demo",
			ClinicZone: zones[clinic], ClinicZoneSet: zones[clinic] != nil}
	}
	w := &worker{ctx: ctx, d: d, svc: svc, tpl: tpl, rng: rand.New(rand.NewPCG(7, 11))}
	for i, r := range rows {
		c := seeded{ID: r.ID, Label: r.Label, Counselor: who(r.ClinicID, r.CounselorID, actor.RoleCounselor),
			A: who(r.ClinicID, r.AUser, actor.RoleClient), B: who(r.ClinicID, r.BUser, actor.RoleClient), PartnerA: r.A, PartnerB: r.B}
		if err := w.couple(i%3, c); err != nil {
			return fmt.Errorf("%s: %w", r.Label, err)
		}
	}
	return w.err
}

type worker struct {
	ctx context.Context
	d   *sqlx.DB
	svc *assignment.Service
	tpl map[string]int64
	rng *rand.Rand
	err error
}

// assign creates an assignment and returns its responses by partner (0: joint).
func (w *worker) assign(c seeded, slug, mode string, partner int64, due time.Duration, instr string) (int64, map[int64]assignment.ResponseView) {
	if w.err != nil {
		return 0, nil
	}
	t := time.Now().Add(due)
	asg, err := w.svc.Create(w.ctx, c.Counselor, c.ID, assignment.NewAssignment{TemplateID: w.tpl[slug], Mode: mode, PartnerID: partner, DueAt: &t, Instructions: instr})
	if err != nil {
		w.err = fmt.Errorf("assign %s: %w", slug, err)
		return 0, nil
	}
	det, err := w.svc.Get(w.ctx, c.Counselor, asg.ID)
	if err != nil {
		w.err = err
		return 0, nil
	}
	out := map[int64]assignment.ResponseView{}
	for _, r := range det.Responses {
		var p int64
		if r.PartnerID != nil {
			p = *r.PartnerID
		}
		out[p] = r
	}
	return asg.ID, out
}

func (w *worker) save(by actor.Actor, rid int64, ans map[string]any) int {
	if w.err != nil {
		return 0
	}
	_, rv, err := w.svc.GetResponse(w.ctx, by, rid)
	if err != nil {
		w.err = err
		return 0
	}
	s, err := w.svc.SaveDraft(w.ctx, by, rid, ans, rv.Version)
	if err != nil {
		w.err = fmt.Errorf("save %d: %w", rid, err)
	}
	return s.Version
}

func (w *worker) submit(by actor.Actor, rid int64) {
	if w.err == nil {
		if err := w.svc.Submit(w.ctx, by, rid); err != nil {
			w.err = fmt.Errorf("submit %d: %w", rid, err)
		}
	}
}

func (w *worker) review(by actor.Actor, rid int64, decision, comment string) {
	if w.err == nil {
		if err := w.svc.Review(w.ctx, by, rid, decision, comment); err != nil {
			w.err = fmt.Errorf("review %d: %w", rid, err)
		}
	}
}

// backdate moves a response's timestamps into the past, so the demo reads
// like weeks of work rather than one afternoon.
func (w *worker) backdate(rid int64, ago time.Duration) {
	if w.err == nil {
		_, w.err = w.d.ExecContext(w.ctx, `UPDATE responses SET submitted_at = submitted_at - $2 * interval '1 second',
			started_at = started_at - $2 * interval '1 second' WHERE id = $1`, rid, int(ago.Seconds()))
		if w.err == nil {
			_, w.err = w.d.ExecContext(w.ctx, `UPDATE submissions SET submitted_at = submitted_at - $2 * interval '1 second' WHERE response_id = $1`, rid, int(ago.Seconds()))
		}
	}
}

const day = 24 * time.Hour

func (w *worker) couple(kind int, c seeded) error {
	switch kind {
	case 0: // early in the work: apology awaiting review, a plan half-signed, a trigger journal to revise
		_, r := w.assign(c, "apology-letter", "individual", c.PartnerB, 2*day, "Write this over several sittings. Bring it to our next session, not before.")
		if rv, ok := r[c.PartnerB]; ok {
			w.save(c.B, rv.ID, apologyLetter)
			w.submit(c.B, rv.ID)
			w.backdate(rv.ID, 20*time.Hour)
		}
		_, r = w.assign(c, "transparency-plan", "joint", 0, 6*day, "Draft this together at a calm moment; we'll refine it in session.")
		if rv, ok := r[0]; ok {
			v := w.save(c.A, rv.ID, transparencyPlan)
			if w.err == nil {
				_, w.err = w.svc.Sign(w.ctx, c.A, rv.ID, v)
			}
		}
		_, r = w.assign(c, "trigger-journal", "individual", c.PartnerA, 1*day, "")
		if rv, ok := r[c.PartnerA]; ok {
			w.save(c.A, rv.ID, triggerJournal)
			w.submit(c.A, rv.ID)
			w.review(c.Counselor, rv.ID, "revise", "Thank you for writing this down. Could you add what you needed from Daniel in that moment? Even a sentence helps us plan.")
		}
		_, r = w.assign(c, "safety-check", "individual", c.PartnerA, 3*day, "This is just between us.")
		if rv, ok := r[c.PartnerA]; ok {
			w.save(c.A, rv.ID, safetyCheck)
			w.submit(c.A, rv.ID)
			w.review(c.Counselor, rv.ID, "accept", "Thank you for your honesty. We'll keep checking in.")
		}
		w.checkins(c, 21)
		w.measures(c)
	case 1: // further along: accepted work, revealed-together reflections, an overdue draft
		_, r := w.assign(c, "acknowledging-the-breach", "each", 0, 3*day, "Answer on your own first. You will see each other's answers once you've both submitted.")
		if w.err == nil {
			_, w.err = w.d.ExecContext(w.ctx, `UPDATE assignments SET reveal = 'together' WHERE id = (SELECT assignment_id FROM responses WHERE id = $1)`, r[c.PartnerA].ID)
		}
		for p, by := range map[int64]actor.Actor{c.PartnerA: c.A, c.PartnerB: c.B} {
			if rv, ok := r[p]; ok {
				w.save(by, rv.ID, acknowledging)
				w.submit(by, rv.ID)
			}
		}
		w.review(c.Counselor, r[c.PartnerA].ID, "accept", "Clear and honest. Let's talk about the question you raised at the end.")
		_, r = w.assign(c, "boundary-worksheet", "joint", 0, 4*day, "")
		if rv, ok := r[0]; ok {
			v := w.save(c.A, rv.ID, boundaries)
			if w.err == nil {
				_, w.err = w.svc.Sign(w.ctx, c.A, rv.ID, v)
			}
			if w.err == nil {
				_, w.err = w.svc.Sign(w.ctx, c.B, rv.ID, v)
			}
			w.submit(c.B, rv.ID)
			w.review(c.Counselor, rv.ID, "accept", "A strong, fair agreement. We'll review it in four weeks.")
		}
		aid, r := w.assign(c, "forgiveness-reflection", "individual", c.PartnerA, 5*day, "No need to reach any conclusion. Notice where you are.")
		if rv, ok := r[c.PartnerA]; ok {
			w.save(c.A, rv.ID, map[string]any{"meaning": "I'm not sure yet. Maybe it means the hurt stops running my days."})
			if w.err == nil { // make it overdue
				_, w.err = w.d.ExecContext(w.ctx, `UPDATE responses SET due_at = now() - interval '2 days' WHERE id = $1`, rv.ID)
				_, w.err = w.d.ExecContext(w.ctx, `UPDATE assignments SET due_at = now() - interval '2 days' WHERE id = $1`, aid)
			}
		}
		_, r = w.assign(c, "safety-check", "individual", c.PartnerB, 2*day, "Just between us, as always.")
		if rv, ok := r[c.PartnerB]; ok {
			w.save(c.B, rv.ID, map[string]any{"feel_safe": "Mostly, though some moments worry me", "afraid_of_partner": "Once or twice",
				"wants_private_session": true})
			w.submit(c.B, rv.ID) // concerning answers: the counselor is alerted
		}
		w.checkins(c, 14)
	default: // a withdrawn exercise and conversation starters in progress
		aid, _ := w.assign(c, "old-patterns-new-responses", "each", 0, 7*day, "")
		if w.err == nil {
			cancel := assignment.StatusCancelled
			_, w.err = w.svc.Update(w.ctx, c.Counselor, aid, assignment.Change{Status: &cancel})
		}
		_, r := w.assign(c, "conversation-starters", "each", 0, 4*day, "Pick one question for a walk this week.")
		if rv, ok := r[c.PartnerA]; ok {
			w.save(c.A, rv.ID, map[string]any{"feel_loved": "When you make coffee before I wake up, without being asked.", "starters": []any{"When did you last feel really close to me?"}})
		}
		w.checkins(c, 10)
	}
	return w.err
}

// checkins assigns a daily check-in to each partner starting days ago and
// running a week ahead, and fills the past days with a gently rising (and
// sometimes dipping) trust level.
func (w *worker) checkins(c seeded, days int) {
	if w.err != nil {
		return
	}
	loc := c.Counselor.ClinicLoc()
	today := tz.Today(time.Now(), loc)
	// A week still to come: its days are made on their day by the
	// occurrence job (today's by Create).
	until := tz.AddDays(today, 6).Format(time.DateOnly)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", Instructions: "Two minutes each evening. Be honest rather than kind."}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", until}
	asg, err := w.svc.Create(w.ctx, c.Counselor, c.ID, in)
	if err != nil {
		w.err = err
		return
	}
	// The history: the occurrences of the `days` days before today, as the
	// job would have made them (due at the end of each local day).
	for n := days; n >= 1 && w.err == nil; n-- {
		d := tz.AddDays(today, -n)
		for _, p := range []int64{c.PartnerA, c.PartnerB} {
			_, w.err = w.d.ExecContext(w.ctx, `INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, c.Counselor.ClinicID, c.ID, asg.ID, p, d, tz.End(d, loc))
		}
	}
	if w.err == nil {
		_, w.err = w.d.ExecContext(w.ctx, `UPDATE assignments SET created_at = $2, updated_at = $2 WHERE id = $1`, asg.ID, tz.Start(tz.AddDays(today, -days), loc))
	}
	if w.err != nil {
		return
	}
	var rs []struct {
		ID        int64     `db:"id"`
		PartnerID int64     `db:"partner_id"`
		OccursOn  time.Time `db:"occurs_on"`
	}
	if w.err = w.d.SelectContext(w.ctx, &rs, `SELECT id, partner_id, occurs_on FROM responses WHERE assignment_id = $1 AND occurs_on < $2 ORDER BY occurs_on`, asg.ID, today); w.err != nil {
		return
	}
	moods := []string{"Calm", "Hopeful", "Content", "Tired"}
	for i, r := range rs {
		by, base := c.A, 3.0
		if r.PartnerID == c.PartnerB {
			by, base = c.B, 5.0
		}
		n := i / 2
		trust := int(base + float64(n)*0.22 + w.rng.Float64()*1.6 - 0.8)
		if n%7 == 4 {
			trust -= 2 // a hard day
		}
		trust = max(1, min(10, trust))
		if w.rng.IntN(9) == 0 {
			continue // a missed day
		}
		ans := map[string]any{"trust": float64(trust), "mood": moods[w.rng.IntN(len(moods))],
			"appreciation": appreciations[w.rng.IntN(len(appreciations))]}
		if trust < 5 {
			ans["concern"] = "Felt uneasy when plans changed without a message."
		}
		w.save(by, r.ID, ans)
		w.submit(by, r.ID)
		if w.err != nil {
			return
		}
		ago := time.Since(tz.At(r.OccursOn, 20, 30, loc)) // written that evening
		w.backdate(r.ID, ago)
		if r.PartnerID == c.PartnerA && w.err == nil {
			w.err = w.svc.Share(w.ctx, by, r.ID, true) // A shares check-ins; B keeps theirs private
		}
		if w.err == nil && n < days-3 {
			w.review(c.Counselor, r.ID, "accept", "")
		}
	}
}

var appreciations = []string{
	"You listened without getting defensive tonight.",
	"Thank you for texting when you were running late.",
	"You made dinner and asked about my day.",
	"You answered my question straight away.",
	"We laughed together for the first time in a while.",
	"You left your phone on the table without being asked.",
}

var apologyLetter = map[string]any{
	"what_i_did":       "For eight months I kept up a secret relationship with someone from work, and I lied to you about late meetings and trips to cover it.",
	"impact":           "I took away your ability to trust what you see and hear. You have told me you replay ordinary evenings wondering what else was a lie, and that you stopped sleeping well.",
	"responsibility":   "This was my choice, made again and again. It was not caused by anything you did or did not do.",
	"changes":          []any{"I ended all contact and told her so in writing, which you read.", "I keep my calendar shared with you.", "I started individual therapy on Thursdays."},
	"how_you_will_see": "You can ask me anything about that time and I will answer honestly, even when the answer is painful. My phone and calendar are open to you.",
	"no_rushing":       true,
}

var transparencyPlan = map[string]any{
	"purpose":                "To give us both a way back to feeling safe, through openness we choose together rather than checking on each other.",
	"phone_devices":          "Phones stay unlocked on the counter in the evening; either of us may look with the other present.",
	"schedule":               "Shared calendar; any change of plan gets a message before, not after.",
	"checkin_rhythm":         "A few times a week",
	"still_private":          "Journals and messages with our own therapists stay private.",
	"review_date":            time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
	"agree_keep":             true,
	"agree_not_surveillance": true,
}

var triggerJournal = map[string]any{
	"trigger":         "Daniel's phone buzzed during dinner and he turned it face down.",
	"feelings":        []any{"Fear", "Anger"},
	"intensity":       float64(8),
	"what_helped":     []any{"Slow breathing or grounding", "Asking a question and getting an honest answer"},
	"intensity_after": float64(4),
}

var safetyCheck = map[string]any{
	"feel_safe":         "Yes, I feel safe",
	"afraid_of_partner": "No",
	"accountability":    "They try, though it's uneven",
	"repeated_breach":   "No",
}

var acknowledging = map[string]any{
	"role":          "We've each broken trust in different ways",
	"what_happened": "We stopped telling each other the truth about money and about how lonely we each felt.",
	"affected":      "Evenings became tense; we avoided each other and the children noticed.",
	"commitment":    float64(8),
	"hope":          float64(7),
}

var boundaries = map[string]any{
	"acceptable":      []any{"Friendships at work, with plans shared in advance."},
	"not_acceptable":  []any{"Private messaging with a former partner."},
	"non_negotiables": []any{"No contact at all with the person involved."},
	"if_crossed":      "We pause, tell each other within a day, and bring it to our next session.",
	"agree":           true,
}
