package assignment_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
)

// A response the caller may not read carries no version (saves would show
// drafting), and the counselor reads the submitted version's number.
func TestUnreadableResponseHidesVersion(t *testing.T) {
	t.Parallel()
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
