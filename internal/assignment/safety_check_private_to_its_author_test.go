package assignment_test

import (
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/exercise"
)

// submitted assigns an exercise to partner A and has A submit it.
func (w *world) submitted(slug, text string) (assignment.Detail, int64) {
	w.t.Helper()
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl[slug], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, text), 1); err != nil {
		w.t.Fatalf("save: %v", err)
	}
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		w.t.Fatalf("submit: %v", err)
	}
	return d, rid
}

// The safety check's privacy follows the version it was assigned from: a
// later edit of the template that unsets the flag (the template row follows
// its latest version) must not expose it to the other partner.
func TestPrivacyReviewSafetyCheckPinnedToVersion(t *testing.T) {
	w := newWorld(t)
	d, rid := w.submitted("safety-check", "I do not feel safe at home.")
	w.db.MustExec(`UPDATE exercise_templates SET private_to_counselor = false WHERE id = $1`, w.tpl["safety-check"])

	if _, err := w.get(w.b, d.ID); code(err) != apperr.NotFound {
		t.Errorf("partner sees the safety check after a template edit: %v", err)
	}
	if list, _ := w.svc.List(w.ctx, w.b, assignment.ListFilter{Limit: 50}); len(list) != 0 {
		t.Errorf("partner lists the safety check: %d", len(list))
	}
	if home, _ := w.svc.Home(w.ctx, w.b); len(home.PartnerWork) != 0 {
		t.Errorf("partner's home shows the safety check: %+v", home.PartnerWork)
	}
	if err := w.svc.Share(w.ctx, w.a, rid, true); code(err) != apperr.Invalid {
		t.Errorf("safety check became shareable: %v", err)
	}
	opts, err := w.svc.Options(w.ctx, w.counselor, w.couple)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range opts.Replies {
		if r.ID == rid {
			t.Error("the assign form offers the safety check as a reply target")
		}
	}
	_, err = w.assign(w.counselor, assignment.NewAssignment{TemplateID: w.tpl["forgiveness-reflection"], Mode: "individual",
		PartnerID: w.partnerB, ReplyTo: rid})
	if code(err) != apperr.Invalid {
		t.Errorf("reply to the safety check accepted: %v", err)
	}
	// The author and the counselor still have it.
	if _, _, err := w.svc.GetResponse(w.ctx, w.counselor, rid); err != nil {
		t.Errorf("counselor: %v", err)
	}
	if dd, err := w.get(w.a, d.ID); err != nil || !dd.Private {
		t.Errorf("author: %v private=%v", err, dd.Private)
	}
}

// A person may hold a staff role and be a client in the same clinic: the
// staff role must not reveal the other partner's safety check.
func TestPrivacyReviewStaffPartnerDoesNotSeeSafetyCheck(t *testing.T) {
	w := newWorld(t)
	d, _ := w.submitted("safety-check", "Private words.")
	w.db.MustExec(`INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, 'clinic_admin')`, w.b.UserID, w.clinic)
	both := actor.Actor{UserID: w.b.UserID, Name: w.b.Name, ClinicID: w.clinic, Roles: []string{"client", "clinic_admin"}}
	if _, err := w.get(both, d.ID); code(err) != apperr.NotFound {
		t.Errorf("admin-partner sees the other's safety check: %v", err)
	}
	list, err := w.svc.List(w.ctx, both, assignment.ListFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.ID == d.ID {
			t.Error("admin-partner lists the other's safety check")
		}
	}
	// A plain admin still sees it exists (statuses and dates only).
	if list, _ := w.svc.List(w.ctx, w.admin, assignment.ListFilter{Limit: 50}); len(list) != 1 {
		t.Errorf("admin list: %d", len(list))
	}
}

// Admins get statuses and dates: not the counselor's instructions to the
// couple, which are clinical content.
func TestPrivacyReviewAdminGetsNoInstructions(t *testing.T) {
	w := newWorld(t)
	const secret = "Write about the night you found the messages from Sam."
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA, Instructions: secret})
	ad, err := w.get(w.admin, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ad.Instructions != "" {
		t.Errorf("admin reads the instructions: %q", ad.Instructions)
	}
	list, err := w.svc.List(w.ctx, w.admin, assignment.ListFilter{CoupleID: w.couple, Limit: 50})
	if err != nil || len(list) != 1 {
		t.Fatalf("admin list: %v %d", err, len(list))
	}
	if list[0].Instructions != "" {
		t.Errorf("admin list carries the instructions: %q", list[0].Instructions)
	}
	// The counselor and the couple keep them.
	for _, who := range []actor.Actor{w.counselor, w.a} {
		dd, err := w.get(who, d.ID)
		if err != nil || dd.Instructions != secret {
			t.Errorf("%s: %v %q", who.Name, err, dd.Instructions)
		}
		l, _ := w.svc.List(w.ctx, who, assignment.ListFilter{CoupleID: w.couple, Limit: 50})
		if len(l) != 1 || l[0].Instructions != secret {
			t.Errorf("%s list: %+v", who.Name, l)
		}
	}
}

// A withdrawn exercise and a closed couple's work are read-only: no review,
// and they leave the queue and the badge.
func TestPrivacyReviewNoReviewOfCancelledOrClosed(t *testing.T) {
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "I am sorry.")
	cancelled := assignment.StatusCancelled
	if _, err := w.svc.Update(w.ctx, w.counselor, d.ID, assignment.Change{Status: &cancelled}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "accept", "Thanks."); code(err) != apperr.Conflict {
		t.Errorf("review of a withdrawn exercise: %v", err)
	}
	if q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50); len(q) != 0 {
		t.Errorf("withdrawn work queued: %+v", q)
	}
	if c, _ := w.svc.CountsFor(w.ctx, w.counselor); c.AwaitingReview != 0 {
		t.Errorf("withdrawn work counted: %d", c.AwaitingReview)
	}

	_, rid2 := w.submitted("apology-letter", "Second letter.")
	w.db.MustExec(`UPDATE couples SET status = 'closed' WHERE id = $1`, w.couple)
	if err := w.svc.Review(w.ctx, w.counselor, rid2, "revise", "More."); code(err) != apperr.Conflict {
		t.Errorf("review on a closed couple: %v", err)
	}
	var status string
	w.db.Get(&status, `SELECT status FROM responses WHERE id = $1`, rid2)
	if status != assignment.Submitted {
		t.Errorf("closed couple's response changed to %s", status)
	}
	if q, _ := w.svc.ReviewQueue(w.ctx, w.counselor, nil, 50); len(q) != 0 {
		t.Errorf("closed couple's work queued: %+v", q)
	}
}

// Withdrawing a share is withdrawing consent: it works on a closed couple
// too; sharing more does not.
func TestPrivacyReviewUnshareOnClosedCouple(t *testing.T) {
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "Shared once.")
	if err := w.svc.Share(w.ctx, w.a, rid, true); err != nil {
		t.Fatal(err)
	}
	w.db.MustExec(`UPDATE couples SET status = 'closed' WHERE id = $1`, w.couple)
	if ad, _ := w.get(w.admin, d.ID); responseOf(t, ad, w.partnerA).Shared {
		t.Error("the admin learns the partner's sharing choice")
	}
	if cd, _ := w.get(w.counselor, d.ID); !responseOf(t, cd, w.partnerA).Shared {
		t.Error("the counselor does not see that it is shared")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, false); err != nil {
		t.Fatalf("unshare on a closed couple: %v", err)
	}
	bd, _ := w.get(w.b, d.ID)
	if responseOf(t, bd, w.partnerA).Answers != nil {
		t.Error("partner still reads a withdrawn share")
	}
	if err := w.svc.Share(w.ctx, w.a, rid, true); code(err) != apperr.Conflict {
		t.Errorf("share on a closed couple: %v", err)
	}
}

// Write paths of someone else's response: the other partner gets 404 (a
// stale save must not hand them the current answers), the counselor 403,
// a draft id is 404 to review, an individual response cannot be signed.
func TestPrivacyReviewWritePaths(t *testing.T) {
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	if _, err := w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "draft words"), 1); err != nil {
		t.Fatal(err)
	}
	for _, who := range []actor.Actor{w.b, w.stranger, w.counselor2, w.foreign} {
		_, err := w.svc.SaveDraft(w.ctx, who, rid, map[string]any{}, 1) // stale on purpose
		if code(err) != apperr.NotFound {
			t.Errorf("%s stale save: %v", who.Name, err)
		}
		if ae, ok := apperr.As(err); ok && ae.Data != nil {
			t.Errorf("%s gets data: %v", who.Name, ae.Data)
		}
		if err := w.svc.Share(w.ctx, who, rid, true); code(err) != apperr.NotFound {
			t.Errorf("%s shares: %v", who.Name, err)
		}
		if err := w.svc.Submit(w.ctx, who, rid); code(err) != apperr.NotFound {
			t.Errorf("%s submits: %v", who.Name, err)
		}
	}
	_, err := w.svc.SaveDraft(w.ctx, w.counselor, rid, map[string]any{}, 1)
	if ae, ok := apperr.As(err); !ok || ae.Code != apperr.Forbidden || ae.Data != nil {
		t.Errorf("counselor stale save: %v", err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "accept", ""); code(err) != apperr.NotFound {
		t.Errorf("review of a draft: %v", err)
	}
	if _, err := w.svc.Sign(w.ctx, w.a, rid, 2); code(err) != apperr.Invalid {
		t.Errorf("sign an individual response: %v", err)
	}
}

// A reassigned counselor loses the couple at once; a client of another
// couple gets "not found" for every id.
func TestPrivacyReviewReassignAndStrangers(t *testing.T) {
	w := newWorld(t)
	d, rid := w.submitted("apology-letter", "Reassigned words.")
	w.db.MustExec(`UPDATE couples SET counselor_id = $2 WHERE id = $1`, w.couple, w.counselor2.UserID)
	for _, who := range []actor.Actor{w.counselor, w.stranger, w.foreign} {
		if _, err := w.get(who, d.ID); code(err) != apperr.NotFound {
			t.Errorf("%s get: %v", who.Name, err)
		}
		if _, _, err := w.svc.GetResponse(w.ctx, who, rid); code(err) != apperr.NotFound {
			t.Errorf("%s response: %v", who.Name, err)
		}
		if err := w.svc.Review(w.ctx, who, rid, "accept", ""); code(err) != apperr.NotFound {
			t.Errorf("%s review: %v", who.Name, err)
		}
		if _, err := w.svc.Checkins(w.ctx, who, w.couple); code(err) != apperr.NotFound {
			t.Errorf("%s check-ins: %v", who.Name, err)
		}
		if _, err := w.svc.Sign(w.ctx, who, rid, 2); code(err) != apperr.NotFound {
			t.Errorf("%s sign: %v", who.Name, err)
		}
		if l, _ := w.svc.List(w.ctx, who, assignment.ListFilter{Limit: 50}); len(l) != 0 {
			t.Errorf("%s lists %d", who.Name, len(l))
		}
		if q, _ := w.svc.ReviewQueue(w.ctx, who, nil, 50); len(q) != 0 {
			t.Errorf("%s queue: %d", who.Name, len(q))
		}
	}
	if c, _ := w.svc.CountsFor(w.ctx, w.counselor); c.AwaitingReview != 0 {
		t.Errorf("old counselor's badge: %d", c.AwaitingReview)
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.counselor2, rid); err != nil {
		t.Errorf("new counselor: %v", err)
	}
}

// Reveal together is per occurrence, and the check-in chart shows the
// counselor submitted check-ins only (the last submitted one during a
// revision) and the partner the other's line only where revealed.
func TestPrivacyReviewRevealPerOccurrenceAndChart(t *testing.T) {
	w := newWorld(t)
	// Two occurrences whose day has come: yesterday's and today's (an
	// occurrence opens on its own day, never before).
	lateYesterday := assignment.Today(time.Now(), time.UTC).Add(-time.Minute)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", Reveal: "together", DueAt: &lateYesterday}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	d := w.mustAssign(in)
	// Tomorrow's occurrence, as the job makes it on its day.
	if _, err := w.svc.MakeOccurrences(w.ctx, time.Now().Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	d, _ = w.get(w.counselor, d.ID)
	days := map[string]map[int64]int64{} // occurs_on → partner → response
	var order []string
	for _, r := range d.Responses {
		if days[*r.OccursOn] == nil {
			days[*r.OccursOn] = map[int64]int64{}
			order = append(order, *r.OccursOn)
		}
		days[*r.OccursOn][*r.PartnerID] = r.ID
	}
	if len(order) != 2 {
		t.Fatalf("occurrences: %v", order)
	}
	yesterday, today := order[0], order[1]
	save := func(who actor.Actor, rid int64, trust float64, submit bool) {
		t.Helper()
		ans := fill(d.Schema, "note")
		ans[exercise.TrustFieldKey] = trust
		_, rv, err := w.svc.GetResponse(w.ctx, who, rid)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.SaveDraft(w.ctx, who, rid, ans, rv.Version); err != nil {
			t.Fatal(err)
		}
		if submit {
			if err := w.svc.Submit(w.ctx, who, rid); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Yesterday both submit; today only A.
	save(w.a, days[yesterday][w.partnerA], 3, true)
	save(w.b, days[yesterday][w.partnerB], 5, true)
	save(w.a, days[today][w.partnerA], 4, true)
	bd, _ := w.get(w.b, d.ID)
	for _, r := range bd.Responses {
		if *r.PartnerID != w.partnerA {
			continue
		}
		if *r.OccursOn == yesterday && r.Answers == nil {
			t.Error("yesterday's pair is complete but not revealed")
		}
		if *r.OccursOn == today && r.Answers != nil {
			t.Error("today's answer revealed before B submitted today's")
		}
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.b, days[today][w.partnerA]); code(err) != apperr.NotFound {
		t.Errorf("B opens A's unrevealed occurrence: %v", err)
	}
	// The chart: B never sees A's line unshared; the counselor sees the
	// submitted value, not a revision draft.
	if err := w.svc.Review(w.ctx, w.counselor, days[yesterday][w.partnerA], "revise", "Again, please."); err != nil {
		t.Fatal(err)
	}
	save(w.a, days[yesterday][w.partnerA], 9, false)
	series := func(who actor.Actor) map[int64][]assignment.Point {
		s, err := w.svc.Checkins(w.ctx, who, w.couple)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64][]assignment.Point{}
		for _, x := range s {
			out[x.PartnerID] = x.Points
		}
		return out
	}
	if pts := series(w.counselor)[w.partnerA]; len(pts) != 2 || pts[0].Trust != 3 || pts[1].Trust != 4 {
		t.Errorf("counselor's chart of A: %+v (want the submitted 3, not the draft 9, then 4)", pts)
	}
	// Yesterday's pair is revealed together: B's chart shows A's submitted
	// value (not the revision draft); sharing does not apply to it.
	if pts := series(w.b)[w.partnerA]; len(pts) != 1 || pts[0].Trust != 3 {
		t.Errorf("B's chart of A's revealed check-in: %+v", pts)
	}
	if err := w.svc.Share(w.ctx, w.a, days[yesterday][w.partnerA], true); code(err) != apperr.Invalid {
		t.Fatalf("sharing a revealed-together check-in: %v", err)
	}
	if pts := series(w.a)[w.partnerA]; len(pts) != 2 || pts[0].Trust != 9 {
		t.Errorf("A's own line: %+v", pts)
	}
}
