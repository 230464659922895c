package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
)

// patchCase is one PATCH body and what it must answer: the status, and
// for a 422 the field named.
type patchCase struct {
	body   map[string]any
	status int
	field  string
}

func checkPatch(t *testing.T, api *apptest.API, path string, cases []patchCase) {
	t.Helper()
	for _, c := range cases {
		var fe struct {
			Error  string
			Fields map[string]string
		}
		r := api.Do("PATCH", path, c.body, &fe)
		if r.Status != c.status || (c.field != "" && fe.Fields[c.field] == "") {
			t.Errorf("PATCH %s %v: %d %s (want %d, field %q)", path, c.body, r.Status, r.Body, c.status, c.field)
		}
	}
}

// Every PATCH follows JSON Merge Patch (docs/api.md): absent leaves a
// member unchanged, null clears one that may be cleared and is 422 for one
// that may not, an unknown member is 422 naming it (nothing saved then),
// and read-only members sent back from a GET are ignored.
func TestEveryPatchIsAMergePatch(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, ada := p.app.Login("cora@h.test"), p.app.Login("ada@h.test")

	// Assignments: instructions and due_at may be cleared; the rest not.
	due := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Second)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"instructions": "Write it by hand first.", "due_at": due.Format(time.RFC3339)})
	apath := fmt.Sprintf("/api/v1/assignments/%d", a.ID)
	checkPatch(t, cora, apath, []patchCase{
		{map[string]any{"review_before_sharing": nil}, 422, "review_before_sharing"},
		{map[string]any{"status": nil}, 422, "status"},
		{map[string]any{"instructions": 7}, 422, "instructions"},
		{map[string]any{"due_at": "tomorrow"}, 422, "due_at"},
		{map[string]any{"instructions": nil, "colour": "red"}, 422, "colour"},
	})
	var got struct {
		Instructions string     `db:"instructions"`
		DueAt        *time.Time `db:"due_at"`
		Review       bool       `db:"review_before_sharing"`
	}
	read := func() {
		t.Helper()
		if err := p.app.DB.Get(&got, `SELECT instructions, due_at, review_before_sharing FROM assignments WHERE id = $1`, a.ID); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if got.Instructions != "Write it by hand first." || got.DueAt == nil {
		t.Fatalf("a refused patch changed something: %+v", got)
	}
	// Absent leaves unchanged; read-only members from the GET are ignored.
	checkPatch(t, cora, apath, []patchCase{{map[string]any{"review_before_sharing": true, "id": 999, "mode": "joint", "template_title": "x"}, 200, ""}})
	read()
	if !got.Review || got.Instructions != "Write it by hand first." || got.DueAt == nil || !got.DueAt.Equal(due) {
		t.Fatalf("absent members changed: %+v", got)
	}
	checkPatch(t, cora, apath, []patchCase{{map[string]any{"instructions": nil, "due_at": nil}, 200, ""}})
	read()
	if got.Instructions != "" || got.DueAt != nil || !got.Review {
		t.Fatalf("null did not clear exactly those: %+v", got)
	}

	// Sessions: the note may be cleared; the time, length and status not.
	s := p.schedule(t, cora, p.couple, time.Now().Add(96*time.Hour).Truncate(time.Minute), nil)[0]
	spath := fmt.Sprintf("/api/v1/sessions/%d", s.ID)
	checkPatch(t, cora, spath, []patchCase{
		{map[string]any{"starts_at": nil}, 422, "starts_at"},
		{map[string]any{"minutes": nil}, 422, "minutes"},
		{map[string]any{"status": nil}, 422, "status"},
		{map[string]any{"note": nil, "room": "3"}, 422, "room"},
	})
	var note *string
	p.app.DB.Get(&note, `SELECT place FROM appointments WHERE id = $1`, s.ID)
	if note == nil || *note != "Room 2" {
		t.Fatalf("a refused session patch changed the note: %v", note)
	}
	var sess struct{ Session sessJSON }
	if r := cora.Do("PATCH", spath, map[string]any{"note": nil, "past": true, "ends_at": "x"}, &sess); r.Status != 200 ||
		(sess.Session.Note != nil && *sess.Session.Note != "") || sess.Session.Minutes != 50 || !sess.Session.StartsAt.Equal(s.StartsAt) {
		t.Fatalf("session note null: %d %s", r.Status, r.Body)
	}

	// Couples: nothing may be cleared.
	cpath := fmt.Sprintf("/api/v1/couples/%d", p.couple)
	checkPatch(t, ada, cpath, []patchCase{
		{map[string]any{"label": nil}, 422, "label"},
		{map[string]any{"status": nil}, 422, "status"},
		{map[string]any{"counselor_id": nil}, 422, "counselor_id"},
		{map[string]any{"label": "New", "nickname": "x"}, 422, "nickname"},
		{map[string]any{"label": "A & B", "counselor_name": "ignored", "partners": []any{}}, 200, ""},
	})
	var label string
	p.app.DB.Get(&label, `SELECT label FROM couples WHERE id = $1`, p.couple)
	if label != "A & B" {
		t.Fatalf("label %q", label)
	}

	// Counselors: active may not be null; unknown members are named.
	kpath := fmt.Sprintf("/api/v1/counselors/%d", p.userID(t, "carl@h.test"))
	checkPatch(t, ada, kpath, []patchCase{
		{map[string]any{"active": nil}, 422, "active"},
		{map[string]any{"active": false, "role": "admin"}, 422, "role"},
		{map[string]any{"name": "Carl", "email": "carl@h.test"}, 200, ""},
	})
	var active int
	p.app.DB.Get(&active, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = 'carl@h.test' AND m.active`)
	if active != 1 {
		t.Fatal("a refused counselor patch deactivated Carl")
	}

	// Settings already followed the rule: null time zone goes back to UTC, unknown is named.
	checkPatch(t, ada, "/api/v1/clinic", []patchCase{
		{map[string]any{"require_staff_mfa": nil}, 422, "require_staff_mfa"},
		{map[string]any{"time_zone": nil}, 200, ""},
		{map[string]any{"colour": "red"}, 422, "colour"},
	})
	checkPatch(t, cora, "/api/v1/me/notification-settings", []patchCase{
		{map[string]any{"reminders": nil}, 422, "reminders"},
		{map[string]any{"time_zone": nil}, 200, ""},
		{map[string]any{"sms": true}, 422, "sms"},
	})

	// A body that is not an object is 422 everywhere (invalid JSON is 400).
	for _, path := range []string{apath, spath, cpath, kpath} {
		api := cora
		if path == kpath || path == cpath {
			api = ada
		}
		if r := api.Do("PATCH", path, []any{1}, nil); r.Status != 422 {
			t.Errorf("array body %s: %d", path, r.Status)
		}
	}
}
