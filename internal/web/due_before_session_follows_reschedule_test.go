package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/tz"
)

type dueJSON struct {
	ID        int64      `json:"id"`
	DueAt     *time.Time `json:"due_at"`
	Responses []struct {
		ID    int64      `json:"id"`
		DueAt *time.Time `json:"due_at"`
	} `json:"responses"`
}

// Work assigned "before the next session" is due at that session's start
// and follows it: moved, the partners see the new date and are told (in
// the app and by a neutral mail); cancelled, the work moves on to the next
// session, or keeps its date when none follows; a due date set by hand
// unties it. Without a next session the API says so on "due", and so does
// the form (keeping what was typed).
func TestDueBeforeSessionFollowsReschedule(t *testing.T) {
	t.Parallel()
	p := practiceOn(t, apptest.NewWithMail(t))
	app := p.app
	loc := p.zone(t, "Europe/Berlin")
	cora, alex := app.Login("cora@h.test"), app.Login("alex@h.test")
	today := tz.Today(time.Now(), loc)
	first := tz.At(tz.AddDays(today, 3), 17, 0, loc)
	later := tz.At(tz.AddDays(today, 10), 17, 0, loc)
	s1 := p.schedule(t, cora, p.couple, first, nil)[0]
	s2 := p.schedule(t, cora, p.couple, later, nil)[0]

	getDue := func(api *apptest.API, id int64) dueJSON {
		t.Helper()
		var out dueJSON
		if r := api.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", id), nil, &out); r.Status != 200 {
			t.Fatalf("get assignment: %d %s", r.Status, r.Body)
		}
		return out
	}
	expectDue := func(api *apptest.API, id int64, want time.Time, why string) {
		t.Helper()
		got := getDue(api, id)
		if got.DueAt == nil || !got.DueAt.Equal(want) {
			t.Fatalf("%s: assignment due %v, want %v", why, got.DueAt, want)
		}
		for _, r := range got.Responses {
			if r.DueAt == nil || !r.DueAt.Equal(want) {
				t.Fatalf("%s: response %d due %v, want %v", why, r.ID, r.DueAt, want)
			}
		}
	}

	// No next session (Sol's couple): a clear message on "due".
	var fe struct {
		Error  string
		Fields map[string]string
	}
	r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple2), map[string]any{"template_id": p.tpl["apology-letter"],
		"mode": "individual", "partner_id": p.partnerC, "due": "next_session"}, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["due"], "No session is scheduled") {
		t.Fatalf("no next session: %d %s", r.Status, r.Body)
	}
	for _, body := range []map[string]any{
		{"due": "next_session", "due_at": first.Add(48 * time.Hour).Format(time.RFC3339)},
		{"due": "someday"},
		{"due": "next_session", "recurrence": map[string]string{"every": "day", "until": tz.AddDays(today, 20).Format(time.DateOnly)}},
	} {
		body["template_id"], body["mode"], body["partner_id"] = p.tpl["apology-letter"], "individual", p.partnerA
		fe.Fields = nil
		if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), body, &fe); r.Status != 422 || fe.Fields["due"] == "" {
			t.Errorf("%v: %d %s", body, r.Status, r.Body)
		}
	}
	// The form says so too, beside the field, keeping what was typed.
	cb := p.browser(t, "cora@h.test")
	page := cb.Post(fmt.Sprintf("/couples/%d/assign", p.couple2), url.Values{"template_id": {fmt.Sprint(p.tpl["apology-letter"])},
		"mode": {"individual"}, "partner_id": {fmt.Sprint(p.partnerC)}, "due": {"next_session"}, "instructions": {"Take your time, Sol."}},
		fmt.Sprintf("/couples/%d/assign", p.couple2))
	if page.Status != 422 || !strings.Contains(page.Body, `id="e-due"`) || !strings.Contains(page.Body, "No session is scheduled") ||
		!strings.Contains(page.Body, "Take your time, Sol.") {
		t.Fatalf("form without a session: %d\n%s", page.Status, page.Body)
	}
	if form := cb.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body; !strings.Contains(form, "Before the next session: "+localDay(first, loc)+", 17:00") {
		t.Fatalf("the assign form does not offer the next session:\n%s", form)
	}

	// Due before the next session: at its start.
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"due": "next_session", "instructions": secretInstructions})
	b := p.assign(t, cora, map[string]any{"template_id": p.tpl["transparency-plan"], "mode": "joint", "due": "next_session"})
	expectDue(alex, a.ID, first, "assigned")
	expectDue(alex, b.ID, first, "assigned")

	// A due date set by hand unties the plan from the session; saving the
	// letter's page as it is keeps the letter tied.
	byHand := tz.At(tz.AddDays(today, 4), 20, 0, loc)
	mustOK(t, cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", b.ID), map[string]any{"due_at": byHand.Format(time.RFC3339)}, nil))
	asgPage := fmt.Sprintf("/assignments/%d", a.ID)
	if r := cb.Post(asgPage, url.Values{"instructions": {secretInstructions}, "due_date": {first.In(loc).Format(time.DateOnly)},
		"due_time": {first.In(loc).Format("15:04")}}, asgPage); r.Status != 303 {
		t.Fatalf("save the assignment page: %d %s", r.Status, r.Body)
	}

	// The session moves two days and an hour and a half later.
	moved := tz.At(tz.AddDays(today, 5), 18, 30, loc)
	var ch struct {
		Session  sessJSON `json:"session"`
		Followed []int64  `json:"assignments_followed"`
	}
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", s1.ID), map[string]any{"starts_at": moved.Format(time.RFC3339)}, &ch); r.Status != 200 {
		t.Fatalf("move: %d %s", r.Status, r.Body)
	}
	if !ch.Session.StartsAt.Equal(moved) || len(ch.Followed) != 1 || ch.Followed[0] != a.ID {
		t.Fatalf("moved: %+v", ch)
	}
	expectDue(alex, a.ID, moved, "after the move")
	expectDue(alex, b.ID, byHand, "the plan set by hand")

	// The partners see the new date, with what is due before it, and are told.
	home := p.browser(t, "alex@h.test").Get("/").Body
	if !strings.Contains(home, "Next session: "+localDay(moved, loc)+", 18:30") || !strings.Contains(home, "Due before it") {
		t.Fatalf("client home:\n%s", home)
	}
	var notes struct {
		Items []struct{ Kind, Text string }
	}
	alex.Do("GET", "/api/v1/notifications", nil, &notes)
	if len(notes.Items) == 0 || notes.Items[0].Kind != "session.moved" {
		t.Fatalf("notifications: %+v", notes.Items)
	}
	for to, other := range map[string]string{"alex@h.test": "Blair", "blair@h.test": "Alex"} {
		m := waitFor(t, app.Mail, to, "has a new time")
		if kindOf(m) != mail.SessionMoved || !strings.Contains(m.Text, mail.Format(moved, loc)) || !strings.Contains(m.HTML, "18:30") {
			t.Errorf("mail to %s: %s\n%s", to, m.Subject, m.Text)
		}
		// Neutral: no exercise, no instruction, no couple label, not the other partner.
		for _, w := range []string{"Apology", "apology", "Transparency", secretInstructions, "Alex & Blair", other} {
			if strings.Contains(m.Subject+m.Text+m.HTML, w) {
				t.Errorf("mail to %s holds %q", to, w)
			}
		}
	}

	// Cancelled: the letter moves on to the next session, the partners are told.
	if r := cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", s1.ID), nil, &ch); r.Status != 200 || ch.Session.Status != "cancelled" {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	expectDue(alex, a.ID, later, "moved on to the next session")
	waitFor(t, app.Mail, "alex@h.test", "was cancelled")
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", s1.ID), map[string]any{"minutes": 60}, nil); r.Status != 409 {
		t.Errorf("change a cancelled session: %d", r.Status)
	}
	// The last session cancelled: the letter keeps its date, tied to nothing.
	mustOK(t, cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", s2.ID), nil, nil))
	expectDue(alex, a.ID, later, "no session follows")
	s3 := p.schedule(t, cora, p.couple, tz.At(tz.AddDays(today, 12), 9, 0, loc), nil)[0]
	mustOK(t, cora.Do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", s3.ID), map[string]any{"starts_at": tz.At(tz.AddDays(today, 13), 9, 0, loc).Format(time.RFC3339)}, nil))
	expectDue(alex, a.ID, later, "not tied to the new session")

	// Cancelled, work moves on to the session after it, never to an earlier one.
	c := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerB, "due": "next_session"})
	s4 := p.schedule(t, cora, p.couple, tz.At(tz.AddDays(today, 20), 9, 0, loc), nil)[0]
	p.schedule(t, cora, p.couple, tz.At(tz.AddDays(today, 1), 9, 0, loc), nil)
	mustOK(t, cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", s3.ID), nil, nil))
	expectDue(cora, c.ID, s4.StartsAt, "moved on past an earlier session")

	// A session that has begun stays as it was.
	past := p.pastSession(t, p.couple, time.Now().Add(-time.Hour))
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", past), map[string]any{"minutes": 60}, nil); r.Status != 409 {
		t.Errorf("change a past session: %d", r.Status)
	}
	// Every change is audited, with ids and times only.
	var actions []string
	app.DB.Select(&actions, `SELECT action FROM audit_log WHERE object_type = 'appointment' ORDER BY seq`)
	if strings.Join(actions, ",") != "appointment.create,appointment.create,appointment.move,appointment.cancel,appointment.cancel,appointment.create,appointment.move,"+
		"appointment.create,appointment.create,appointment.cancel" {
		t.Errorf("audited: %v", actions)
	}
}
