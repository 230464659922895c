package assignment_test

import (
	"testing"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
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
func TestSafetyCheckPinnedToVersion(t *testing.T) {
	t.Parallel()
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
func TestStaffPartnerDoesNotSeeSafetyCheck(t *testing.T) {
	t.Parallel()
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
