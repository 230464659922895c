package assignment_test

import (
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
)

// Every submission is kept and can be opened read-only by its author and
// the counselor (never a draft); the other partner opens only the latest,
// and only while they may read it. Snapshot reads are audited.
func TestSubmissionSnapshots(t *testing.T) {
	t.Parallel()
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
