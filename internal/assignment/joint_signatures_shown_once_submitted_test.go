package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
)

// A joint response shows who signed which version and when, once
// submitted, to the counselor and both partners, also after an edit
// during a revision cleared the live signatures.
func TestSignaturesVisibleOnceSubmitted(t *testing.T) {
	t.Parallel()
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
