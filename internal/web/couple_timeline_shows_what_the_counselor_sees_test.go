package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"
)

type timelineJSON struct {
	Items []struct {
		Kind         string    `json:"kind"`
		At           time.Time `json:"at"`
		By           string    `json:"by"`
		Title        string    `json:"template_title"`
		ResponseID   int64     `json:"response_id"`
		PartnerName  string    `json:"partner_name"`
		Resubmission bool      `json:"resubmission"`
	} `json:"items"`
	Next *string `json:"next"`
}

// The couple's timeline, for their counselor: every kind of event, newest
// first, with titles and who did it (never an answer or a comment), a
// joint submission's signatures with it, nothing of drafting, paged by one
// cursor; anyone else is refused as the other couple routes refuse them.
func TestCoupleTimelineShowsWhatTheCounselorSees(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	loc := p.zone(t, "Pacific/Auckland")
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	must := func(status int, body, what string) {
		t.Helper()
		if status != 200 && status != 201 && status != 204 {
			t.Fatalf("%s: %d %s", what, status, body)
		}
	}

	// An individual letter: submitted and shared, revision, resubmitted, unshared, accepted.
	letterAsg := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, letterAsg, p.partnerA).ID
	api := fmt.Sprintf("/api/v1/responses/%d", rid)
	r := alex.Do("PUT", api, map[string]any{"answers": letter, "version": 1}, nil)
	must(r.Status, r.Body, "save")
	r = alex.Do("POST", api+"/submit", map[string]any{"shared": true}, nil)
	must(r.Status, r.Body, "submit shared")
	r = cora.Do("POST", api+"/review", map[string]any{"decision": "revise", "comment": "COMMENT-SECRET say more."}, nil)
	must(r.Status, r.Body, "revise")
	r = alex.Do("PUT", api, map[string]any{"answers": letter, "version": 2}, nil)
	must(r.Status, r.Body, "save again")
	r = alex.Do("POST", api+"/submit", nil, nil)
	must(r.Status, r.Body, "resubmit")
	r = alex.Do("POST", api+"/share", map[string]any{"shared": false}, nil)
	must(r.Status, r.Body, "unshare")
	r = cora.Do("POST", api+"/review", map[string]any{"decision": "accept"}, nil)
	must(r.Status, r.Body, "accept")

	// A joint plan, signed by both and submitted by Blair.
	plan := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	jid := p.response(t, plan, 0).ID
	japi := fmt.Sprintf("/api/v1/responses/%d", jid)
	answers := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	r = alex.Do("PUT", japi, map[string]any{"answers": answers, "version": 1}, nil)
	must(r.Status, r.Body, "joint save")
	r = alex.Do("POST", japi+"/sign", map[string]any{"version": 2}, nil)
	must(r.Status, r.Body, "alex signs")
	r = blair.Do("POST", japi+"/sign", map[string]any{"version": 2}, nil)
	must(r.Status, r.Body, "blair signs")
	r = blair.Do("POST", japi+"/submit", nil, nil)
	must(r.Status, r.Body, "joint submit")

	// A letter for Blair, drafted (no event) and withdrawn.
	other := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerB})
	orid := p.response(t, other, p.partnerB).ID
	r = blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", orid), map[string]any{"answers": map[string]any{"what_i_did": "DRAFT-SECRET"}, "version": 1}, nil)
	must(r.Status, r.Body, "blair drafts")
	r = cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", other.ID), map[string]any{"status": "cancelled"}, nil)
	must(r.Status, r.Body, "withdraw")

	// A session: scheduled, moved, cancelled.
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	sess := p.schedule(t, cora, p.couple, start, nil)[0]
	r = cora.Do("PATCH", fmt.Sprintf("/api/v1/sessions/%d", sess.ID), map[string]any{"starts_at": start.Add(24 * time.Hour).Format(time.RFC3339)}, nil)
	must(r.Status, r.Body, "move")
	r = cora.Do("DELETE", fmt.Sprintf("/api/v1/sessions/%d", sess.ID), nil, nil)
	must(r.Status, r.Body, "cancel")

	path := fmt.Sprintf("/api/v1/couples/%d/timeline", p.couple)
	var all timelineJSON
	r = cora.Do("GET", path, nil, &all)
	must(r.Status, r.Body, "timeline")
	for _, secret := range []string{"I hid the messages", "COMMENT-SECRET", "DRAFT-SECRET", "Secret messaging", "Room 2"} {
		if strings.Contains(r.Body, secret) {
			t.Errorf("the timeline carries content: %q", secret)
		}
	}
	want := []string{
		"session_cancelled Cora", "session_moved Cora", "session_scheduled Cora",
		"withdrawn Cora Apology letter", "assigned Cora Apology letter",
		"submitted Blair Boundary worksheet", "signed Blair Boundary worksheet", "signed Alex Boundary worksheet",
		"assigned Cora Boundary worksheet",
		"accepted Cora Apology letter", "unshared Alex Apology letter", "resubmitted Alex Apology letter",
		"revision_requested Cora Apology letter", "shared Alex Apology letter", "submitted Alex Apology letter",
		"assigned Cora Apology letter",
	}
	var got []string
	for i, e := range all.Items {
		kind := e.Kind
		if e.Resubmission {
			kind = "resubmitted"
		}
		got = append(got, strings.TrimSpace(kind+" "+e.By+" "+e.Title))
		if i > 0 && e.At.After(all.Items[i-1].At) {
			t.Errorf("item %d (%s) is newer than the one before it", i, kind)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("timeline:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := len(all.Items); all.Items[n-1].PartnerName != "Alex" || all.Items[n-8].PartnerName != "Both partners" || all.Items[3].PartnerName != "Blair" {
		t.Errorf("whose work: %q, %q, %q", all.Items[n-1].PartnerName, all.Items[n-8].PartnerName, all.Items[3].PartnerName)
	}
	if all.Next != nil {
		t.Errorf("one page of 50 has a next: %q", *all.Next)
	}

	// Pages of 7: the first ends between the joint submission's signatures.
	var paged []string
	after, pages := "", 0
	for {
		q := url.Values{"limit": {"7"}}
		if after != "" {
			q.Set("after", after)
		}
		var pg timelineJSON
		r := cora.Do("GET", path+"?"+q.Encode(), nil, &pg)
		must(r.Status, r.Body, "page")
		for _, e := range pg.Items {
			paged = append(paged, e.Kind+" "+e.By)
		}
		pages++
		if pg.Next == nil || pages > 5 {
			break
		}
		after = *pg.Next
	}
	var whole []string
	for _, e := range all.Items {
		whole = append(whole, e.Kind+" "+e.By)
	}
	if pages != 3 || strings.Join(paged, "\n") != strings.Join(whole, "\n") {
		t.Errorf("%d pages of 7 give:\n%s\nwant:\n%s", pages, strings.Join(paged, "\n"), strings.Join(whole, "\n"))
	}
	if r := cora.Do("GET", path+"?after=bm90LWEtY3Vyc29y", nil, nil); r.Status != 400 || !strings.Contains(r.Body, `"error"`) {
		t.Errorf("a forged cursor: %d %s", r.Status, r.Body)
	}

	// Refused as the other couple routes refuse: a counselor who does not
	// serve the couple gets the same 404; the admin and the partners 403.
	carl := p.app.Login("carl@h.test")
	nf, other404 := carl.Do("GET", path, nil, nil), carl.Do("GET", fmt.Sprintf("/api/v1/couples/%d/sessions", p.couple), nil, nil)
	if nf.Status != 404 || nf.Body != other404.Body {
		t.Errorf("Carl: %d %s, another couple route: %d %s", nf.Status, nf.Body, other404.Status, other404.Body)
	}
	for _, who := range []string{"ada@h.test", "alex@h.test", "blair@h.test"} {
		if r := p.app.Login(who).Do("GET", path, nil, nil); r.Status != 403 || !strings.Contains(r.Body, `"error"`) {
			t.Errorf("%s: %d %s", who, r.Status, r.Body)
		}
	}
	page := fmt.Sprintf("/couples/%d/timeline", p.couple)
	ada := p.browser(t, "ada@h.test")
	if a, b := ada.Get(page), ada.Get(fmt.Sprintf("/couples/%d/assign", p.couple)); a.Status != 403 || a.Status != b.Status {
		t.Errorf("the admin's timeline page: %d, assign page: %d", a.Status, b.Status)
	}
	if a, b := p.browser(t, "carl@h.test").Get(page), p.browser(t, "carl@h.test").Get(fmt.Sprintf("/couples/%d/assign", p.couple)); a.Status != 404 || a.Status != b.Status {
		t.Errorf("Carl's timeline page: %d, assign page: %d", a.Status, b.Status)
	}

	// An admin who also counsels, once the couple is theirs, reads it as
	// their counselor.
	var adaID int64
	p.app.DB.Get(&adaID, `SELECT id FROM users WHERE email = 'ada@h.test'`)
	p.app.Member(adaID, p.clinic, "counselor")
	p.app.Exec(`UPDATE couples SET counselor_id = $1 WHERE id = $2`, adaID, p.couple)
	if r := p.app.Login("ada@h.test").Do("GET", path, nil, nil); r.Status != 200 {
		t.Errorf("the admin counselling the couple: %d %s", r.Status, r.Body)
	}
	p.app.Exec(`UPDATE couples SET counselor_id = (SELECT id FROM users WHERE email = 'cora@h.test') WHERE id = $1`, p.couple)

	// The page: linked from the couple page, times in the viewer's zone, paged without JavaScript.
	cb := p.browser(t, "cora@h.test")
	if body := cb.Get(fmt.Sprintf("/couples/%d", p.couple)).Body; !strings.Contains(body, `href="`+page+`"`) {
		t.Error("the couple page does not link the timeline")
	}
	if body := ada.Get(fmt.Sprintf("/couples/%d", p.couple)).Body; strings.Contains(body, page) {
		t.Error("the admin's couple page links the timeline")
	}
	body := cb.Get(page + "?limit=7").Body
	first := all.Items[0].At.In(loc).Format("2 Jan 2006, 15:04")
	for _, s := range []string{"Session cancelled", "Signed", first, "Pacific/Auckland", `rel="next"`, "Older events"} {
		if !strings.Contains(body, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	for _, secret := range []string{"I hid the messages", "COMMENT-SECRET", "DRAFT-SECRET"} {
		if strings.Contains(body, secret) {
			t.Errorf("the page carries content: %q", secret)
		}
	}
}
