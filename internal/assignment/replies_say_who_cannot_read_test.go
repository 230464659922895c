package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/assignment"
)

// Replies: the answered response lists them where the viewer may see
// them; the assign form and the reply say when the replying partner cannot
// read the response yet; the answered response is audited when read.
func TestRepliesListedAndUnsharedMarked(t *testing.T) {
	t.Parallel()
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
