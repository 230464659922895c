package web_test

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// signedJSON is a response's signed_version as the API gives it.
type signedJSON struct {
	Version int            `json:"version"`
	Answers map[string]any `json:"answers"`
	Changed []string       `json:"changed_since_signed"`
}

// A joint plan keeps what each partner signed: a partner who signed an
// earlier version gets it back with the fields changed since
// (signed_version in GET /responses/{id} and GET /assignments/{id}); the
// other partner, the counselor and an admin never get anyone else's. A save
// says whose signatures it cleared (cleared_signatures), and the page says
// it by name: "Alex will need to sign again".
func TestJointPlanSaysWhatChangedSinceSigned(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, ada := p.app.Login("cora@h.test"), p.app.Login("ada@h.test")
	alex, blair := p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	type saved struct {
		Version           int      `json:"version"`
		SignaturesCleared bool     `json:"signatures_cleared"`
		Cleared           []string `json:"cleared_signatures"`
	}
	var sv saved
	if r := alex.Do("PUT", path, map[string]any{"answers": plan, "version": 1}, &sv); r.Status != 200 || sv.Cleared == nil || len(sv.Cleared) != 0 {
		t.Fatalf("first save: %d %s", r.Status, r.Body)
	}
	alex.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)

	// Before anything changed: Alex's own signed version, nothing changed.
	var got struct {
		Response struct {
			Version int         `json:"version"`
			Signed  *signedJSON `json:"signed_version"`
		} `json:"response"`
	}
	alex.Do("GET", path, nil, &got)
	if s := got.Response.Signed; s == nil || s.Version != 2 || s.Changed == nil || len(s.Changed) != 0 {
		t.Fatalf("signed and unchanged: %+v", got.Response)
	}
	if r := blair.Do("GET", path, nil, nil); strings.Contains(r.Body, "signed_version") {
		t.Fatalf("Blair gets Alex's signed text: %s", r.Body)
	}

	// Blair edits one field: Alex's signature is cleared, and said so.
	plan["if_crossed"] = "We tell each other the same day, and we see our counselor."
	if r := blair.Do("PUT", path, map[string]any{"answers": plan, "version": 2}, &sv); r.Status != 200 ||
		!sv.SignaturesCleared || !reflect.DeepEqual(sv.Cleared, []string{"partner"}) || sv.Version != 3 {
		t.Fatalf("Blair's edit: %d %s", r.Status, r.Body)
	}
	alex.Do("GET", path, nil, &got)
	s := got.Response.Signed
	if got.Response.Version != 3 || s == nil || s.Version != 2 || !reflect.DeepEqual(s.Changed, []string{"if_crossed"}) ||
		s.Answers["if_crossed"] != "We tell each other within a day." {
		t.Fatalf("Alex after Blair's edit: %+v %+v", got.Response, s)
	}
	var asg struct {
		Responses []struct {
			Signed *signedJSON `json:"signed_version"`
		} `json:"responses"`
	}
	alex.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &asg)
	if len(asg.Responses) != 1 || asg.Responses[0].Signed == nil || !reflect.DeepEqual(asg.Responses[0].Signed.Changed, []string{"if_crossed"}) {
		t.Fatalf("assignment GET: %+v", asg)
	}
	// Nobody else gets a signed text: not Blair (who has not signed), not
	// the counselor or an admin (who never read a draft).
	if r := blair.Do("GET", path, nil, nil); r.Status != 200 || strings.Contains(r.Body, "signed_version") {
		t.Fatalf("Blair: %d %s", r.Status, r.Body)
	}
	for who, r := range map[string]string{
		"counselor": cora.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body,
		"admin":     ada.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil).Body,
	} {
		if strings.Contains(r, "signed_version") || strings.Contains(r, "within a day") || strings.Contains(r, "same day") {
			t.Fatalf("%s reads the draft's signed text: %s", who, r)
		}
	}
	if r := cora.Do("GET", path, nil, nil); r.Status != 404 {
		t.Fatalf("counselor opens the joint draft: %d %s", r.Status, r.Body)
	}

	// Both sign version 3; Alex's edit then clears both, his own too.
	alex.Do("POST", path+"/sign", map[string]any{"version": 3}, nil)
	blair.Do("POST", path+"/sign", map[string]any{"version": 3}, nil)
	plan["pause_signal"] = "Orange"
	if r := alex.Do("PUT", path, map[string]any{"answers": plan, "version": 3}, &sv); r.Status != 200 ||
		!reflect.DeepEqual(sv.Cleared, []string{"partner", "you"}) {
		t.Fatalf("Alex's edit after both signed: %d %s", r.Status, r.Body)
	}
	var bs struct {
		Response struct {
			Signed *signedJSON `json:"signed_version"`
		} `json:"response"`
	}
	blair.Do("GET", path, nil, &bs)
	if bs.Response.Signed == nil || bs.Response.Signed.Version != 3 || !reflect.DeepEqual(bs.Response.Signed.Changed, []string{"pause_signal"}) {
		t.Fatalf("Blair's signed version: %+v", bs.Response.Signed)
	}
	// An unchanged save clears nothing.
	if r := alex.Do("PUT", path, map[string]any{"answers": plan, "version": 4}, &sv); r.Status != 200 || len(sv.Cleared) != 0 || sv.SignaturesCleared {
		t.Fatalf("unchanged save: %d %s", r.Status, r.Body)
	}

	// Without JavaScript: Blair's save names Alex, and Blair's page shows
	// the diff against what she signed, with its summary.
	br := p.app.Browser()
	br.Login("blair@h.test")
	page := fmt.Sprintf("/responses/%d", rid)
	alex.Do("POST", path+"/sign", map[string]any{"version": 4}, nil)
	form := url.Values{"op": {"save"}, "version": {"4"}, "a.acceptable": {"Work friendships"}, "a.not_acceptable": {"Secret messaging"},
		"a.non_negotiables": {"No contact"}, "a.if_crossed": {"We tell each other the same day."}, "a.pause_signal": {"Orange"}, "a.agree": {"1"}}
	if r := br.Post(page, form, page); r.Status != 303 {
		t.Fatalf("Blair's save: %d %s", r.Status, r.Body)
	}
	body := br.Get(page).Body
	if !strings.Contains(body, "Alex will need to sign again") {
		t.Fatalf("the flash does not name Alex:\n%s", body)
	}
	if !strings.Contains(body, "2 fields changed since you signed on") || !strings.Contains(body, "<del><span class=\"visually-hidden\">[removed: </span>") ||
		!strings.Contains(body, "<ins><span class=\"visually-hidden\">[added: </span>") {
		t.Fatalf("Blair's page lacks what changed since she signed:\n%s", body)
	}
	// The page's autosave says the same as the API.
	alex.Do("GET", path, nil, &got)
	alex.Do("POST", path+"/sign", map[string]any{"version": got.Response.Version}, nil)
	form.Set("a.pause_signal", "Blue")
	form.Del("op")
	form.Set("version", fmt.Sprint(got.Response.Version))
	form.Set("csrf_token", br.CSRF(page))
	if r := br.PostRaw(page+"/autosave", form); r.Status != 200 || !strings.Contains(r.Body, `"cleared_signatures":["partner"]`) {
		t.Fatalf("autosave: %d %s", r.Status, r.Body)
	}
	// Once she signs again, the panel goes.
	alex.Do("GET", path, nil, &got)
	blair.Do("POST", path+"/sign", map[string]any{"version": got.Response.Version}, nil)
	if body := br.Get(page).Body; strings.Contains(body, "changed since you signed") {
		t.Fatal("the panel stays after signing the new version")
	}
}
