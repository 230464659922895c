package assignment_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/exercise"
)

// lastRead returns the detail of the caller's latest response.read event.
func (w *world) lastRead(who actor.Actor) map[string]any {
	w.t.Helper()
	var raw string
	if err := w.db.Get(&raw, `SELECT detail FROM audit_log WHERE action = 'response.read' AND actor_id = $1 ORDER BY seq DESC LIMIT 1`, who.UserID); err != nil {
		w.t.Fatalf("no read audited for %s: %v", who.Name, err)
	}
	out := map[string]any{}
	json.Unmarshal([]byte(raw), &out)
	return out
}

func (w *world) reads(who actor.Actor) int {
	var n int
	w.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'response.read' AND actor_id = $1`, who.UserID)
	return n
}

// ids reads a list of ids out of an audit detail.
func ids(detail map[string]any, key string) []int64 {
	var out []int64
	list, _ := detail[key].([]any)
	for _, v := range list {
		if f, ok := v.(float64); ok {
			out = append(out, int64(f))
		}
	}
	return out
}

func hasID(list []int64, id int64) bool {
	for _, x := range list {
		if x == id {
			return true
		}
	}
	return false
}

// Reveal together cannot be defeated by sharing: a share is refused with a
// field error, and a response shared before (or by hand) is not readable
// before both have submitted; after both, both read both.
func TestRevealTogetherCannotBeSharedEarly(t *testing.T) {
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["acknowledging-the-breach"], Mode: "each", Reveal: "together"})
	ra, rb := responseOf(t, d, w.partnerA).ID, responseOf(t, d, w.partnerB).ID
	if _, err := w.svc.SaveDraft(w.ctx, w.a, ra, fill(d.Schema, "A's early view"), 1); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Submit(w.ctx, w.a, ra); err != nil {
		t.Fatal(err)
	}
	err := w.svc.Share(w.ctx, w.a, ra, true)
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.Invalid || !strings.Contains(ae.Fields["shared"], "once you have both submitted") {
		t.Fatalf("share of a revealed-together answer: %v", err)
	}
	// Shared before the rule existed: still not readable early.
	w.db.MustExec(`UPDATE responses SET shared = true WHERE id = $1`, ra)
	bd, err := w.get(w.b, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := responseOf(t, bd, w.partnerA); r.Answers != nil || r.Shared || r.Version != 0 {
		t.Fatalf("B reads A's shared-early answer: %+v", r)
	}
	if _, _, err := w.svc.GetResponse(w.ctx, w.b, ra); code(err) != apperr.NotFound {
		t.Fatalf("B opens A's shared-early answer: %v", err)
	}
	opts, _ := w.svc.Options(w.ctx, w.counselor, w.couple)
	for _, c := range opts.Replies {
		if c.ID == ra && c.OtherReads {
			t.Fatal("the assign form says B can read A's unrevealed answer")
		}
	}
	// Withdrawing a share is always possible.
	if err := w.svc.Share(w.ctx, w.a, ra, false); err != nil {
		t.Fatalf("unshare: %v", err)
	}
	// Both submitted: revealed to both.
	w.svc.SaveDraft(w.ctx, w.b, rb, fill(d.Schema, "B's view"), 1)
	if err := w.svc.Submit(w.ctx, w.b, rb); err != nil {
		t.Fatal(err)
	}
	bd, _ = w.get(w.b, d.ID)
	ad, _ := w.get(w.a, d.ID)
	if responseOf(t, bd, w.partnerA).Answers == nil || responseOf(t, ad, w.partnerB).Answers == nil {
		t.Fatal("not revealed once both submitted")
	}
	if _, rv, err := w.svc.GetResponse(w.ctx, w.a, ra); err != nil || !rv.Revealed {
		t.Fatalf("A's own view does not say it is revealed: %v %+v", err, rv.Revealed)
	}
	opts, _ = w.svc.Options(w.ctx, w.counselor, w.couple)
	for _, c := range opts.Replies {
		if c.ID == ra && !c.OtherReads {
			t.Fatal("the assign form says B cannot read A's revealed answer")
		}
	}
}

// Every submission is kept and can be opened read-only by its author and
// the counselor (never a draft); the other partner opens only the latest,
// and only while they may read it. Snapshot reads are audited.
func TestSubmissionSnapshots(t *testing.T) {
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "First words."), 1)
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "revise", "More, please."); err != nil {
		t.Fatal(err)
	}
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "Second words."), 2)
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Review(w.ctx, w.counselor, rid, "revise", "Once more."); err != nil {
		t.Fatal(err)
	}
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "DRAFT-ONLY words."), 3)

	_, rv, err := w.svc.GetResponse(w.ctx, w.counselor, rid)
	if err != nil || len(rv.History) != 2 {
		t.Fatalf("counselor history: %v %d", err, len(rv.History))
	}
	first, latest := rv.History[1].ID, rv.History[0].ID
	if rv.Version != 3 || rv.SubmissionID != latest {
		t.Errorf("counselor reads version %d of submission %d, want the submitted version 3 of %d", rv.Version, rv.SubmissionID, latest)
	}
	if got := ids(w.lastRead(w.counselor), "submissions"); !hasID(got, first) || !hasID(got, latest) {
		t.Errorf("the history's read is not audited: %v", got)
	}
	key := d.Schema.Fields()[0].Key
	_, _, snap, err := w.svc.Snapshot(w.ctx, w.counselor, rid, first)
	if err != nil || snap.Number != 1 || snap.Of != 2 || !strings.Contains(string(snap.Answers), "First words.") {
		t.Fatalf("counselor opens the first submission: %v %+v", err, snap)
	}
	if det := w.lastRead(w.counselor); !hasID(ids(det, "submissions"), first) || !hasID(ids(det, "responses"), rid) {
		t.Errorf("snapshot read not audited: %v", det)
	}
	if strings.Contains(string(snap.Answers), "DRAFT-ONLY") {
		t.Fatal("a snapshot holds the draft")
	}
	if _, _, s, err := w.svc.Snapshot(w.ctx, w.a, rid, first); err != nil || s.Number != 1 {
		t.Fatalf("author opens the first submission: %v", err)
	}
	// Not the other partner (not shared), another counselor, an admin, a
	// stranger; not a submission of another response.
	for _, who := range []actor.Actor{w.b, w.counselor2, w.admin, w.stranger, w.foreign} {
		if _, _, _, err := w.svc.Snapshot(w.ctx, who, rid, latest); code(err) != apperr.NotFound {
			t.Errorf("%s opens a snapshot: %v", who.Name, err)
		}
	}
	other := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	if _, _, _, err := w.svc.Snapshot(w.ctx, w.a, other.Responses[0].ID, first); code(err) != apperr.NotFound {
		t.Errorf("a submission through another response: %v", err)
	}
	// Shared: the partner reads the latest submission, not the history.
	if err := w.svc.Share(w.ctx, w.a, rid, true); err != nil {
		t.Fatal(err)
	}
	_, brv, err := w.svc.GetResponse(w.ctx, w.b, rid)
	if err != nil || len(brv.History) != 0 || brv.Answers[key] != "Second words." {
		t.Fatalf("partner view: %v history %d answers %v", err, len(brv.History), brv.Answers[key])
	}
	if _, _, s, err := w.svc.Snapshot(w.ctx, w.b, rid, latest); err != nil || s.Number != 0 || s.Of != 0 {
		t.Errorf("partner opens the shared latest submission: %v %+v", err, s)
	}
	if _, _, _, err := w.svc.Snapshot(w.ctx, w.b, rid, first); code(err) != apperr.NotFound {
		t.Errorf("partner opens an earlier submission: %v", err)
	}
}

// Replies: the answered response lists them where the viewer may see
// them; the assign form and the reply say when the replying partner cannot
// read the response yet; the answered response is audited when read.
func TestRepliesListedAndUnsharedMarked(t *testing.T) {
	w := newWorld(t)
	letter, rid := w.submitted("apology-letter", "I am sorry for the lies.")
	_ = letter
	opts, err := w.svc.Options(w.ctx, w.counselor, w.couple)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range opts.Replies {
		if c.ID == rid {
			found = true
			if c.OtherReads || c.Other != "Blair" {
				t.Errorf("reply choice: %+v (want not readable by Blair)", c)
			}
		}
	}
	if !found {
		t.Fatal("letter not offered as a reply target")
	}
	reply := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["forgiveness-reflection"], Mode: "individual", PartnerID: w.partnerB, ReplyTo: rid})
	// Blair: told it is not shared yet, not shown.
	bd, err := w.get(w.b, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bd.ReplyOf != nil || !bd.ReplyOfHidden || bd.ReplyOfAuthor != "Alex" || bd.ReplyOfTitle == "" {
		t.Fatalf("Blair's reply: ReplyOf=%v hidden=%v author=%q", bd.ReplyOf, bd.ReplyOfHidden, bd.ReplyOfAuthor)
	}
	// The counselor reads it and is told Blair cannot yet.
	cd, _ := w.get(w.counselor, reply.ID)
	if cd.ReplyOf == nil || !cd.ReplyOfUnshared || len(cd.ReplyOfSchema.Sections) == 0 {
		t.Fatalf("counselor's reply view: %+v unshared=%v", cd.ReplyOf, cd.ReplyOfUnshared)
	}
	if !hasID(ids(w.lastRead(w.counselor), "responses"), rid) {
		t.Error("reply_of read not audited")
	}
	// The letter's page lists the reply: the counselor sees it is not submitted.
	_, lv, err := w.svc.GetResponse(w.ctx, w.counselor, rid)
	if err != nil || len(lv.Replies) != 1 || lv.Replies[0].AssignmentID != reply.ID || lv.Replies[0].Readable || lv.Replies[0].PartnerName != "Blair" {
		t.Fatalf("replies on the letter: %v %+v", err, lv.Replies)
	}
	// Shared: Blair reads it beside the reply, and that read is audited.
	if err := w.svc.Share(w.ctx, w.a, rid, true); err != nil {
		t.Fatal(err)
	}
	bd, _ = w.get(w.b, reply.ID)
	if bd.ReplyOf == nil || bd.ReplyOfHidden {
		t.Fatal("shared letter not shown beside the reply")
	}
	if !hasID(ids(w.lastRead(w.b), "responses"), rid) {
		t.Error("Blair's read of the letter (reply_of) not audited")
	}
	// Blair writes and submits the reply; Alex sees it listed, readable
	// only once Blair shares it.
	rr := reply.Responses[0].ID
	w.svc.SaveDraft(w.ctx, w.b, rr, fill(reply.Schema, "I hear you."), 1)
	if err := w.svc.Submit(w.ctx, w.b, rr); err != nil {
		t.Fatal(err)
	}
	_, av, _ := w.svc.GetResponse(w.ctx, w.a, rid)
	if len(av.Replies) != 1 || av.Replies[0].Readable || av.Replies[0].Status != assignment.StateDone {
		t.Fatalf("Alex's list of replies: %+v", av.Replies)
	}
	w.svc.Share(w.ctx, w.b, rr, true)
	_, av, _ = w.svc.GetResponse(w.ctx, w.a, rid)
	if len(av.Replies) != 1 || !av.Replies[0].Readable {
		t.Fatalf("Alex cannot open Blair's shared reply: %+v", av.Replies)
	}
	_, lv, _ = w.svc.GetResponse(w.ctx, w.counselor, rid)
	if !lv.Replies[0].Readable {
		t.Error("counselor cannot open the submitted reply")
	}
}

// A long course: hundreds of past check-ins, undated work and many
// completed exercises. Everything open is on the home page, whatever the
// history; the lists that look back are bounded.
func TestHomeLongCourseHidesNothingOpen(t *testing.T) {
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	daily := w.mustAssign(in)
	// A year of check-ins before today's, as the job made them day by day.
	w.history(daily.ID, 365)
	// Undated work, one of it started, and 15 completed exercises.
	undated := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["trigger-journal"], Mode: "individual", PartnerID: w.partnerA})
	started := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["conversation-starters"], Mode: "joint"})
	if _, err := w.svc.SaveDraft(w.ctx, w.b, started.Responses[0].ID, map[string]any{}, 1); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 15; i++ {
		x := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["shared-goals"], Mode: "individual", PartnerID: w.partnerA})
		w.db.MustExec(`UPDATE responses SET status = 'accepted', submitted_at = now(), reviewed_at = now() - $2 * interval '1 minute' WHERE id = $1`, x.Responses[0].ID, i)
	}
	// The other partner's work: a long history too.
	for i := 0; i < 12; i++ {
		w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["how-it-happened"], Mode: "individual", PartnerID: w.partnerB})
	}
	w.svc.SaveDraft(w.ctx, w.b, responseOf(t, w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["how-it-happened"], Mode: "individual", PartnerID: w.partnerB}), w.partnerB).ID, map[string]any{}, 1)

	h, err := w.svc.Home(w.ctx, w.a)
	if err != nil {
		t.Fatal(err)
	}
	due := map[int64]int{}
	for _, x := range h.Due {
		due[x.AssignmentID]++
	}
	if due[daily.ID] != 3 { // today and the two days before
		t.Errorf("check-ins to do: %d, want today's and the two before", due[daily.ID])
	}
	if due[undated.ID] != 1 || due[started.ID] != 1 {
		t.Errorf("undated work hidden: %v", due)
	}
	if h.Missed != 363 {
		t.Errorf("missed %d, want 363", h.Missed)
	}
	if len(h.Done) != assignment.HomeRecent || h.More != 5 {
		t.Errorf("completed: %d listed, %d more", len(h.Done), h.More)
	}
	if len(h.PartnerWork) != assignment.HomeRecent || h.PartnerMore != 4 {
		t.Errorf("partner's work: %d listed, %d more", len(h.PartnerWork), h.PartnerMore)
	}
	for _, x := range h.PartnerWork {
		if x.Started {
			t.Error("the partner's home tells that the other started a draft")
		}
	}
	seen := map[int64]bool{}
	for _, x := range h.PartnerWork {
		if seen[x.AssignmentID] {
			t.Errorf("the partner's list repeats exercise %d", x.AssignmentID)
		}
		seen[x.AssignmentID] = true
	}
	// B's home: the same, from B's side.
	hb, err := w.svc.Home(w.ctx, w.b)
	if err != nil {
		t.Fatal(err)
	}
	dueB := map[int64]int{}
	for _, x := range hb.Due {
		dueB[x.AssignmentID]++
	}
	if dueB[daily.ID] != 3 || dueB[started.ID] != 1 || hb.Missed != 363 {
		t.Errorf("B's to do: %v, missed %d", dueB, hb.Missed)
	}
}

// Loading an assignment batches its reads: answers, feedback and
// signatures land on the right responses whatever their number; saves and
// the form schema audit no read; a response page audits only what it shows.
func TestBatchedViewsAndSaveAudit(t *testing.T) {
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each", Reveal: "together"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	// Assigned three days ago: its first day was made then, the others by
	// the job on their day.
	asg, err := w.svc.WithClock(func() time.Time { return time.Now().Add(-72 * time.Hour) }).Create(w.ctx, w.counselor, w.couple, in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.MakeOccurrences(w.ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	d, _ := w.get(w.counselor, asg.ID)
	if len(d.Responses) != 8 {
		t.Fatalf("%d responses, want 4 days × 2", len(d.Responses))
	}
	trust := map[int64]float64{}
	for i, r := range d.Responses {
		who := w.a
		if *r.PartnerID == w.partnerB {
			who = w.b
		}
		ans := fill(d.Schema, "note")
		ans[exercise.TrustFieldKey] = float64(1 + i%9)
		trust[r.ID] = ans[exercise.TrustFieldKey].(float64)
		if _, err := w.svc.SaveDraft(w.ctx, who, r.ID, ans, 1); err != nil {
			t.Fatal(err)
		}
		if err := w.svc.Submit(w.ctx, who, r.ID); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := w.svc.Review(w.ctx, w.counselor, r.ID, "accept", "Noted "+itoa(r.ID)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, who := range []actor.Actor{w.counselor, w.a} {
		got, err := w.get(who, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got.Responses {
			if r.Answers[exercise.TrustFieldKey] != trust[r.ID] {
				t.Errorf("%s: response %d shows trust %v, want %v", who.Name, r.ID, r.Answers[exercise.TrustFieldKey], trust[r.ID])
			}
			mineOrCounselor := who.UserID == w.counselor.UserID || *r.PartnerID == w.partnerA
			for _, f := range r.Feedback {
				if !mineOrCounselor || f.Comment != "Noted "+itoa(r.ID) {
					t.Errorf("%s: response %d carries feedback %q", who.Name, r.ID, f.Comment)
				}
			}
		}
	}
	// The response page: one event with this response only, not its pair.
	ra := responseOf(t, d, w.partnerA).ID
	if _, _, err := w.svc.GetResponse(w.ctx, w.a, ra); err != nil {
		t.Fatal(err)
	}
	if got := ids(w.lastRead(w.a), "responses"); len(got) != 1 || got[0] != ra {
		t.Errorf("response page audits %v, want [%d]", got, ra)
	}
	// Saves: no read is audited, and writing one's draft is no event at all.
	letter := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	lr := letter.Responses[0].ID
	before := w.reads(w.a)
	if _, err := w.svc.FormSchema(w.ctx, w.a, lr); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SaveDraft(w.ctx, w.a, lr, fill(letter.Schema, "SECRET-SAVE-TEXT"), 1); err != nil {
		t.Fatal(err)
	}
	if w.reads(w.a) != before {
		t.Error("the save path audited a read")
	}
	var events int
	if err := w.db.Get(&events, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action = 'response.save'`, lr); err != nil || events != 0 {
		t.Errorf("draft save audited: %d %v", events, err)
	}
	// The form schema is for the response's writers only.
	if _, err := w.svc.FormSchema(w.ctx, w.b, lr); code(err) != apperr.NotFound {
		t.Errorf("partner's form schema: %v", err)
	}
	if _, err := w.svc.FormSchema(w.ctx, w.counselor, lr); code(err) != apperr.Forbidden {
		t.Errorf("counselor's form schema: %v", err)
	}
}

// A joint response shows who signed which version and when, once
// submitted, to the counselor and both partners, also after an edit
// during a revision cleared the live signatures.
func TestSignaturesVisibleOnceSubmitted(t *testing.T) {
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["transparency-plan"], Mode: "joint"})
	rid := d.Responses[0].ID
	w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "Phones open."), 1)
	w.svc.Sign(w.ctx, w.a, rid, 2)
	w.svc.Sign(w.ctx, w.b, rid, 2)
	if err := w.svc.Submit(w.ctx, w.a, rid); err != nil {
		t.Fatal(err)
	}
	check := func(who actor.Actor, sigs []assignment.Signature) {
		t.Helper()
		names := map[string]bool{}
		for _, s := range sigs {
			if s.Version != 2 || s.SignedAt.IsZero() {
				t.Errorf("%s: signature %+v", who.Name, s)
			}
			names[s.Name] = true
		}
		if len(sigs) != 2 || !names["Alex"] || !names["Blair"] {
			t.Errorf("%s sees signatures %+v", who.Name, sigs)
		}
	}
	for _, who := range []actor.Actor{w.counselor, w.a, w.b} {
		_, rv, err := w.svc.GetResponse(w.ctx, who, rid)
		if err != nil {
			t.Fatal(err)
		}
		check(who, rv.Signatures)
	}
	// A revision: the new draft clears the live signatures; the counselor
	// still reads the submitted version with its signatures, in the view
	// and in the history.
	w.svc.Review(w.ctx, w.counselor, rid, "revise", "Add finances.")
	if v, err := w.svc.SaveDraft(w.ctx, w.b, rid, fill(d.Schema, "Phones open; finances shared."), 2); err != nil || !v.SignaturesCleared {
		t.Fatalf("edit: %v %+v", err, v)
	}
	_, rv, _ := w.svc.GetResponse(w.ctx, w.counselor, rid)
	check(w.counselor, rv.Signatures)
	if rv.Version != 2 {
		t.Errorf("counselor sees version %d of a draft during revision", rv.Version)
	}
	if len(rv.History) != 1 {
		t.Fatalf("history %d", len(rv.History))
	}
	check(w.counselor, rv.History[0].Signatures)
	// The admin: no signatures, no version.
	ad, _ := w.get(w.admin, d.ID)
	if r := ad.Responses[0]; len(r.Signatures) != 0 || r.Version != 0 {
		t.Errorf("admin sees signatures or version: %+v", r)
	}
}

// A response the caller may not read carries no version (saves would show
// drafting), and the counselor reads the submitted version's number.
func TestUnreadableResponseHidesVersion(t *testing.T) {
	w := newWorld(t)
	d := w.mustAssign(assignment.NewAssignment{TemplateID: w.tpl["apology-letter"], Mode: "individual", PartnerID: w.partnerA})
	rid := d.Responses[0].ID
	for i := 1; i <= 3; i++ {
		w.svc.SaveDraft(w.ctx, w.a, rid, fill(d.Schema, "draft "+itoa(int64(i))), i)
	}
	for _, who := range []actor.Actor{w.b, w.counselor, w.admin} {
		got, _ := w.get(who, d.ID)
		r := responseOf(t, got, w.partnerA)
		if r.Version != 0 {
			t.Errorf("%s sees version %d of a draft", who.Name, r.Version)
		}
		js, _ := json.Marshal(r)
		if !strings.Contains(string(js), `"version":null`) {
			t.Errorf("%s JSON: %s", who.Name, js)
		}
	}
	if got, _ := w.get(w.a, d.ID); responseOf(t, got, w.partnerA).Version != 4 {
		t.Error("the author lost the live version")
	}
}

// The chart is audited as a clinical read: one event with the responses
// whose values it shows; nothing shown, nothing audited.
func TestCheckinsReadAudited(t *testing.T) {
	w := newWorld(t)
	in := assignment.NewAssignment{TemplateID: w.tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", time.Now().UTC().Format(time.DateOnly)}
	d := w.mustAssign(in)
	if _, err := w.svc.Checkins(w.ctx, w.counselor, w.couple); err != nil {
		t.Fatal(err)
	}
	if w.reads(w.counselor) != 0 {
		t.Error("an empty chart was audited")
	}
	ra := responseOf(t, d, w.partnerA).ID
	ans := fill(d.Schema, "x")
	w.svc.SaveDraft(w.ctx, w.a, ra, ans, 1)
	w.svc.Submit(w.ctx, w.a, ra)
	s, err := w.svc.Checkins(w.ctx, w.counselor, w.couple)
	if err != nil || len(s) != 1 {
		t.Fatalf("chart: %v %+v", err, s)
	}
	det := w.lastRead(w.counselor)
	if got := ids(det, "responses"); len(got) != 1 || got[0] != ra || det["view"] != "checkins" {
		t.Errorf("chart read audit: %v", det)
	}
}

// history adds the occurrences of the n days before today (UTC, the
// clinic's zone here) for both partners, as the job would have made them.
func (w *world) history(assignmentID int64, n int) {
	w.t.Helper()
	today := time.Now().UTC().Truncate(24 * time.Hour)
	w.db.MustExec(`INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
		SELECT $1, $2, $3, p.id, $4::date - g, $5::timestamptz - g * interval '1 day'
		FROM generate_series(1, $6) g, partners p WHERE p.couple_id = $2`,
		w.clinic, w.couple, assignmentID, today, today.Add(24*time.Hour-time.Second), n)
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
