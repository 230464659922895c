package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The admin's caseload views count sessions per counselor and per couple
// (held, cancelled, coming up) with the last and next dates — nothing
// more; the counselor's caseload and home show the next session and the
// day's and week's sessions with their prep pages.
func TestAdminsSeeSessionsAsDatesAndCounts(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora := app.Login("cora@h.test")
	now := time.Now().Truncate(time.Minute)
	p.pastSession(t, p.couple, now.Add(-14*24*time.Hour))
	p.pastSession(t, p.couple, now.Add(-7*24*time.Hour))
	p.pastSession(t, p.couple, now.Add(-40*24*time.Hour))
	soon := p.schedule(t, cora, p.couple, now.Add(2*time.Hour), nil)[0]
	p.schedule(t, cora, p.couple, now.Add(9*24*time.Hour), nil)
	gone := p.schedule(t, cora, p.couple2, now.Add(3*24*time.Hour), nil)[0]
	mustOK(t, cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", gone.ID), nil, nil))

	var out struct {
		Counselors []struct{ Name string } `json:"counselors"`
		Sessions   struct {
			PerCounselor []struct {
				Name      string     `json:"name"`
				Held      int        `json:"held"`
				Recent    int        `json:"held_last_28_days"`
				Cancelled int        `json:"cancelled"`
				Upcoming  int        `json:"upcoming"`
				Next      *time.Time `json:"next"`
			} `json:"per_counselor"`
			PerCouple []struct {
				Label     string     `json:"label"`
				Held      int        `json:"held"`
				Cancelled int        `json:"cancelled"`
				Upcoming  int        `json:"upcoming"`
				Last      *time.Time `json:"last"`
			} `json:"per_couple"`
		} `json:"sessions"`
	}
	r := app.Login("ada@h.test").Do("GET", "/api/v1/caseloads", nil, &out)
	if r.Status != 200 || len(out.Counselors) == 0 || strings.Contains(r.Body, "Room 2") {
		t.Fatalf("caseloads: %d %s", r.Status, r.Body)
	}
	for _, c := range out.Sessions.PerCounselor {
		if c.Name == "Cora" && (c.Held != 3 || c.Recent != 2 || c.Cancelled != 1 || c.Upcoming != 2 || c.Next == nil || !c.Next.Equal(soon.StartsAt)) {
			t.Errorf("Cora's sessions: %+v", c)
		}
	}
	for _, c := range out.Sessions.PerCouple {
		if c.Label == "Alex & Blair" && (c.Held != 3 || c.Upcoming != 2 || c.Last == nil || !c.Last.Equal(now.Add(-7*24*time.Hour))) {
			t.Errorf("Alex & Blair's sessions: %+v", c)
		}
		if c.Label == "Sol & Sam" && (c.Cancelled != 1 || c.Upcoming != 0) {
			t.Errorf("Sol & Sam's sessions: %+v", c)
		}
	}
	page := p.browser(t, "ada@h.test").Get("/admin/caseloads").Body
	if !strings.Contains(page, "Sessions per counselor") || !strings.Contains(page, "Sessions per couple") || strings.Contains(page, "Room 2") {
		t.Errorf("admin caseloads page:\n%s", page)
	}
	cb := p.browser(t, "cora@h.test")
	if body := cb.Get("/caseload").Body; !strings.Contains(body, "Next session") || !strings.Contains(body, localDay(soon.StartsAt, time.UTC)) {
		t.Errorf("counselor caseload:\n%s", body)
	}
	home := cb.Get("/").Body
	if !strings.Contains(home, "Your sessions") || !strings.Contains(home, soon.PrepURL) {
		t.Errorf("counselor home:\n%s", home)
	}
}
