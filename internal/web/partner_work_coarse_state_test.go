package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// What the other partner may learn of one partner's own work: its title
// and whether it is done. Every body Blair can fetch about Alex's letter is
// checked for what must not be there: the counselor's instructions, its due
// date, its status or review outcome, its times.
func TestOtherPartnersWorkShowsTitleAndCoarseStateOnly(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	due := time.Now().Add(96 * time.Hour).UTC().Truncate(time.Minute)
	const instr = "Bring it to our next session, not before."
	letterAsg := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"instructions": instr, "due_at": due.Format(time.RFC3339)})
	rid := p.response(t, letterAsg, p.partnerA).ID
	blairB := p.browser(t, "blair@h.test")
	asgPath := fmt.Sprintf("/assignments/%d", letterAsg.ID)
	always := []string{instr, "Say more", due.Format("2 Jan 2006"), due.Format("2006-01-02")}
	// In pages, the words of statuses; in API bodies, status values and times.
	inPages := append([]string{"revision", "revise", "accepted", "submitted", "not started", "in progress", "withdrawn", "draft"}, always...)
	inAPI := append([]string{`"revision_requested"`, `:"accepted"`, `:"submitted"`, `:"draft"`, `"cancelled"`, `"active"`,
		`"due_at":"`, `"submitted_at":"`, `"created_at":"`, `"updated_at":"`, `"instructions":"`, `"overdue":true`}, always...)
	look := func(when, wantState string) {
		t.Helper()
		bodies := map[string]string{
			"home":     blairB.Get("/").Body,
			"page":     blairB.Get(asgPath).Body,
			"api":      blair.Do("GET", "/api/v1"+asgPath, nil, nil).Body,
			"api list": blair.Do("GET", "/api/v1/assignments", nil, nil).Body,
			"active":   blair.Do("GET", "/api/v1/assignments?status=active", nil, nil).Body,
		}
		for name, body := range bodies {
			forbidden := inAPI
			if name == "home" || name == "page" {
				forbidden = inPages
			}
			for _, f := range forbidden {
				if strings.Contains(body, f) {
					t.Errorf("%s: Blair's %s shows %q", when, name, f)
				}
			}
		}
		if !strings.Contains(bodies["home"], "Apology letter") || !strings.Contains(bodies["home"], human(wantState)) {
			t.Errorf("%s: home does not show the title and %q", when, human(wantState))
		}
		if !strings.Contains(bodies["page"], human(wantState)) {
			t.Errorf("%s: page does not show %q", when, human(wantState))
		}
		var api struct {
			State     string  `json:"state"`
			Status    *string `json:"status"`
			Responses []struct {
				Status string `json:"status"`
			} `json:"responses"`
		}
		json.Unmarshal([]byte(bodies["api"]), &api)
		if api.State != wantState || api.Status != nil || len(api.Responses) != 1 || api.Responses[0].Status != wantState {
			t.Errorf("%s: API %s", when, bodies["api"])
		}
		var list struct {
			Items []map[string]any `json:"items"`
		}
		json.Unmarshal([]byte(bodies["active"]), &list)
		found := false
		for _, it := range list.Items {
			if it["id"] == float64(letterAsg.ID) {
				found = it["state"] == wantState && it["accepted"] == nil && it["awaiting_review"] == nil
			}
		}
		if !found {
			t.Errorf("%s: the active list lacks the letter with its coarse state only: %s", when, bodies["active"])
		}
	}
	look("assigned", "to_do")
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil)
	look("drafted", "to_do")
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil)
	look("submitted", "done")
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "revise", "comment": "Say more."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	look("sent back", "done") // never "to do" again: that would tell of the revision
	cora.Do("PATCH", "/api/v1"+asgPath, map[string]any{"instructions": instr + " Really.", "due_at": due.Add(48 * time.Hour).Format(time.RFC3339)}, nil)
	look("edited", "done")
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil)
	cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", rid), map[string]any{"decision": "accept"}, nil)
	look("accepted", "done")
	cora.Do("PATCH", "/api/v1"+asgPath, map[string]any{"status": "cancelled"}, nil)
	look("withdrawn", "done")
	if r := blair.Do("GET", "/api/v1/assignments?status=cancelled", nil, nil); strings.Contains(r.Body, fmt.Sprintf(`"id":%d`, letterAsg.ID)) {
		t.Errorf("the withdrawal shows in Blair's filter: %s", r.Body)
	}
}

// In each-partner work, a partner's counts and rows cover the other's
// response only as a coarse state: Alex's revision and acceptance do not
// move Blair's view of the assignment.
func TestEachPartnerCountsLeaveOutTheOthersReview(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each"})
	ra := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, ra)
	views := func() string {
		return blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body + "\n" +
			blair.Do("GET", "/api/v1/assignments", nil, nil).Body + "\n" +
			mask(p.browser(t, "blair@h.test").Get(fmt.Sprintf("/assignments/%d", a.ID)).Body)
	}
	before := views()
	for _, step := range []func(){
		func() {
			cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", ra), map[string]any{"decision": "revise", "comment": "More."}, nil)
		},
		func() {
			alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", ra), map[string]any{"answers": map[string]any{"what_i_did": "More."}, "version": 2}, nil)
		},
		func() { alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", ra), nil, nil) },
		func() {
			cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", ra), map[string]any{"decision": "accept"}, nil)
		},
	} {
		step()
		if after := views(); after != before {
			t.Fatalf("Blair's view moved:\n%s", firstDiff(before, after))
		}
	}
	var list struct {
		Items []struct {
			ID        int64 `json:"id"`
			Responses int   `json:"responses"`
			Accepted  int   `json:"accepted"`
		} `json:"items"`
	}
	blair.Do("GET", "/api/v1/assignments", nil, &list)
	if len(list.Items) != 1 || list.Items[0].Responses != 1 || list.Items[0].Accepted != 0 {
		t.Errorf("Blair's counts: %+v", list.Items)
	}
}

// The reply a partner writes to the other's response is listed to that
// other as a coarse state too.
func TestRepliesShowTheOtherPartnersStateOnly(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	ra := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, ra)
	reply := p.assign(t, cora, map[string]any{"template_id": p.tpl["forgiveness-reflection"], "mode": "individual", "partner_id": p.partnerB, "reply_to": ra})
	rb := p.response(t, reply, p.partnerB).ID
	blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rb), map[string]any{"answers": map[string]any{"where_i_am": "Here."}, "version": 1}, nil)
	var got struct {
		Response struct {
			Replies []struct{ Status string } `json:"replies"`
		} `json:"response"`
	}
	alex.Do("GET", fmt.Sprintf("/api/v1/responses/%d", ra), nil, &got)
	if len(got.Response.Replies) != 1 || got.Response.Replies[0].Status != "to_do" {
		t.Fatalf("Alex's view of Blair's reply: %+v", got.Response.Replies)
	}
	cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", reply.ID), map[string]any{"status": "cancelled"}, nil)
	if body := p.browser(t, "alex@h.test").Get(fmt.Sprintf("/responses/%d", ra)).Body; strings.Contains(body, "withdrawn") || !strings.Contains(body, "to do") {
		t.Error("Alex's page tells of the withdrawal of Blair's reply, or lacks its state")
	}
}

func human(state string) string { return strings.ReplaceAll(state, "_", " ") }
