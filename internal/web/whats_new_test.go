package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// "What's new" holds the same events as the mails, worded with their
// titles, for the person they concern only, with an unread count in the
// navigation; opening one marks it read and leads to it.
func TestWhatsNewTellsOnlyThoseConcerned(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora, alex, blair := app.Login("cora@h.test"), app.Login("alex@h.test"), app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerB})

	var list struct {
		Items []struct {
			ID   int64
			Kind string
			Text string
			Link string
			Read bool
		}
		Unread int
		Next   *string
	}
	mustOK(t, alex.Do("GET", "/api/v1/notifications", nil, &list))
	if len(list.Items) != 1 || list.Unread != 1 || list.Items[0].Text != "Cora gave you something new: Apology letter" {
		t.Fatalf("Alex's notifications: %+v", list)
	}
	rid := p.response(t, a, p.partnerA).ID
	if list.Items[0].Link != fmt.Sprintf("/assignments/%d", a.ID) {
		t.Errorf("link %q", list.Items[0].Link)
	}
	// Blair learns of her own safety check, Alex never does.
	mustOK(t, blair.Do("GET", "/api/v1/notifications", nil, &list))
	if len(list.Items) != 1 || !strings.Contains(list.Items[0].Text, "Private safety check") {
		t.Fatalf("Blair's notifications: %+v", list)
	}
	ab := p.browser(t, "alex@h.test")
	home := ab.Get("/").Body
	if !strings.Contains(home, `href="/notifications"`) || !strings.Contains(home, `1<span class="visually-hidden"> unread</span>`) {
		t.Errorf("navigation lacks the unread count:\n%s", home)
	}
	page := ab.Get("/notifications").Body
	if strings.Contains(page, "safety") || !strings.Contains(page, "Apology letter") {
		t.Errorf("Alex's What's new:\n%s", page)
	}
	// Alex submits: the counselor is told; opening marks it read.
	mustOK(t, alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil))
	mustOK(t, alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil))
	cb := p.browser(t, "cora@h.test")
	mustOK(t, cora.Do("GET", "/api/v1/notifications", nil, &list))
	if len(list.Items) != 1 || list.Items[0].Text != "Apology letter came in from Alex & Blair" {
		t.Fatalf("Cora's notifications: %+v", list)
	}
	r := cb.Post(fmt.Sprintf("/notifications/%d/open", list.Items[0].ID), nil, "/notifications")
	if r.Status != 303 || r.Location != fmt.Sprintf("/responses/%d", rid) {
		t.Errorf("open: %d %s", r.Status, r.Location)
	}
	mustOK(t, cora.Do("GET", "/api/v1/notifications", nil, &list))
	if list.Unread != 0 || !list.Items[0].Read {
		t.Errorf("not marked read: %+v", list)
	}
	// Another person's notification is not found, for pages and API.
	if r := ab.Post(fmt.Sprintf("/notifications/%d/open", list.Items[0].ID), nil, "/notifications"); r.Status != 404 {
		t.Errorf("Alex opens Cora's notification: %d", r.Status)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", list.Items[0].ID), nil, nil); r.Status != 404 {
		t.Errorf("API: %d", r.Status)
	}
	// Once the couple is another counselor's, Cora no longer sees its news.
	ada := app.Login("ada@h.test")
	mustOK(t, ada.Do("PATCH", fmt.Sprintf("/api/v1/couples/%d", p.couple), map[string]any{"counselor_id": p.userID(t, "carl@h.test")}, nil))
	mustOK(t, cora.Do("GET", "/api/v1/notifications", nil, &list))
	if len(list.Items) != 0 {
		t.Errorf("Cora still sees the couple's news after it moved: %+v", list)
	}
	// Paging: ?limit=1 gives a next cursor; a bad cursor is 400.
	p.assign(t, app.Login("carl@h.test"), map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	mustOK(t, alex.Do("GET", "/api/v1/notifications?limit=1", nil, &list))
	if len(list.Items) != 1 || list.Next == nil {
		t.Fatalf("page 1: %+v", list)
	}
	mustOK(t, alex.Do("GET", "/api/v1/notifications?limit=1&after="+url.QueryEscape(*list.Next), nil, &list))
	if len(list.Items) != 1 || !strings.Contains(list.Items[0].Text, "Apology letter") {
		t.Errorf("page 2: %+v", list)
	}
	if r := alex.Do("GET", "/api/v1/notifications?after=abc", nil, nil); r.Status != 400 {
		t.Errorf("bad cursor: %d", r.Status)
	}
	if r := ab.Post("/notifications/read-all", url.Values{}, "/notifications"); r.Status != 303 {
		t.Errorf("read all: %d", r.Status)
	}
	mustOK(t, alex.Do("GET", "/api/v1/notifications", nil, &list))
	if list.Unread != 0 {
		t.Errorf("unread after read-all: %d", list.Unread)
	}
}
