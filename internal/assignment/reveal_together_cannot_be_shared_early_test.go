package assignment_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
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
	t.Parallel()
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
