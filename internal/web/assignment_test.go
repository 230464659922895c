package web_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
)

// practice is a clinic with a couple (A, B) in Cora's caseload, a second
// couple, a second counselor, an admin, and another clinic's counselor.
type practice struct {
	app                          *apptest.App
	clinic, couple, couple2      int64
	partnerA, partnerB, partnerC int64
	tpl                          map[string]int64
}

func newPractice(t *testing.T) *practice { return practiceOn(t, apptest.New(t)) }

// practiceOn builds the practice on a given app (e.g. apptest.NewWithMail).
func practiceOn(t *testing.T, app *apptest.App) *practice {
	p := &practice{app: app, tpl: map[string]int64{}}
	p.clinic = app.Clinic("Harbor")
	other := app.Clinic("Northside")
	cora := app.User(p.clinic, "counselor", "cora@h.test", "Cora")
	app.User(p.clinic, "counselor", "carl@h.test", "Carl")
	app.User(p.clinic, "clinic_admin", "ada@h.test", "Ada")
	a := app.User(p.clinic, "client", "alex@h.test", "Alex")
	b := app.User(p.clinic, "client", "blair@h.test", "Blair")
	c := app.User(p.clinic, "client", "sol@h.test", "Sol")
	app.User(other, "counselor", "finn@n.test", "Finn")
	app.DB.Get(&p.couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Alex & Blair', $2) RETURNING id`, p.clinic, cora)
	app.DB.Get(&p.couple2, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Sol & Sam', $2) RETURNING id`, p.clinic, cora)
	app.DB.Get(&p.partnerA, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Alex', 'alex@h.test', $3) RETURNING id`, p.couple, p.clinic, a)
	app.DB.Get(&p.partnerB, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'B', 'Blair', 'blair@h.test', $3) RETURNING id`, p.couple, p.clinic, b)
	app.DB.Get(&p.partnerC, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Sol', 'sol@h.test', $3) RETURNING id`, p.couple2, p.clinic, c)
	var rows []struct {
		ID   int64  `db:"id"`
		Slug string `db:"slug"`
	}
	app.DB.Select(&rows, `SELECT id, slug FROM exercise_templates WHERE slug IS NOT NULL`)
	for _, r := range rows {
		p.tpl[r.Slug] = r.ID
	}
	return p
}

type respJSON struct {
	ID         int64          `json:"id"`
	PartnerID  *int64         `json:"partner_id"`
	Status     string         `json:"status"`
	Version    int            `json:"version"`
	Shared     bool           `json:"shared"`
	OccursOn   *string        `json:"occurs_on"`
	Answers    map[string]any `json:"answers"`
	Signatures []struct {
		PartnerID int64 `json:"partner_id"`
	} `json:"signatures"`
}

type asgJSON struct {
	ID        int64      `json:"id"`
	Mode      string     `json:"mode"`
	Status    string     `json:"status"`
	Responses []respJSON `json:"responses"`
}

func (p *practice) assign(t *testing.T, api *apptest.API, body map[string]any) asgJSON {
	t.Helper()
	var out asgJSON
	r := api.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), body, &out)
	if r.Status != 201 {
		t.Fatalf("assign: %d %s", r.Status, r.Body)
	}
	return out
}

func (p *practice) response(t *testing.T, a asgJSON, partner int64) respJSON {
	t.Helper()
	for _, r := range a.Responses {
		if (partner == 0 && r.PartnerID == nil) || (r.PartnerID != nil && *r.PartnerID == partner) {
			return r
		}
	}
	t.Fatalf("no response for %d in %+v", partner, a.Responses)
	return respJSON{}
}

var letter = map[string]any{
	"what_i_did": "I hid the messages.", "impact": "You stopped trusting your own memory.",
	"responsibility": "It was my choice.", "changes": []string{"Phone open"}, "how_you_will_see": "Ask me anything.", "no_rushing": true,
}

func TestAssignmentAPIStory(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	due := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"due_at": due, "instructions": "Take your time.", "clinic_id": 999})
	rid := p.response(t, a, p.partnerA).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)

	// Draft, then a stale save, then 422 on a bad field.
	var saved struct{ Version int }
	if r := alex.Do("PUT", path, map[string]any{"answers": letter, "version": 1}, &saved); r.Status != 200 || saved.Version != 2 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	var conflict struct {
		Error   string
		Version int
		Answers map[string]any
	}
	if r := alex.Do("PUT", path, map[string]any{"answers": letter, "version": 1}, &conflict); r.Status != 409 || conflict.Version != 2 || conflict.Answers["what_i_did"] != "I hid the messages." {
		t.Fatalf("stale: %d %s", r.Status, r.Body)
	}
	var fe struct{ Fields map[string]string }
	if r := alex.Do("PUT", path, map[string]any{"answers": map[string]any{"what_i_did": strings.Repeat("x", 20001)}, "version": 2}, &fe); r.Status != 422 || fe.Fields["what_i_did"] == "" {
		t.Fatalf("over limit: %d %s", r.Status, r.Body)
	}
	// Drafts are invisible to the counselor and the partner, in bodies and counts.
	var got asgJSON
	cora.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
	if p.response(t, got, p.partnerA).Answers != nil {
		t.Fatal("counselor reads a draft")
	}
	r := blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
	if r.Status != 200 || strings.Contains(r.Body, "I hid the messages") {
		t.Fatalf("partner: %d %s", r.Status, r.Body)
	}
	if r := blair.Do("GET", path, nil, nil); r.Status != 404 {
		t.Fatalf("partner opens the response: %d", r.Status)
	}
	if r := blair.Do("PUT", path, map[string]any{"answers": letter, "version": 2}, nil); r.Status != 404 {
		t.Fatalf("partner writes: %d", r.Status)
	}
	if r := cora.Do("PUT", path, map[string]any{"answers": letter, "version": 2}, nil); r.Status != 403 {
		t.Fatalf("counselor writes: %d", r.Status)
	}
	if r := alex.Do("POST", path+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	var q struct {
		Items []struct {
			ResponseID  int64  `json:"response_id"`
			CoupleLabel string `json:"couple_label"`
		}
		Next *string
	}
	if r := cora.Do("GET", "/api/v1/review-queue", nil, &q); r.Status != 200 || len(q.Items) != 1 || q.Items[0].ResponseID != rid || q.Next != nil {
		t.Fatalf("queue: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("GET", "/api/v1/review-queue?after=garbage", nil, nil); r.Status != 400 {
		t.Fatalf("bad cursor: %d", r.Status)
	}
	if r := blair.Do("GET", "/api/v1/review-queue", nil, nil); r.Status != 403 {
		t.Fatalf("client queue: %d", r.Status)
	}
	cora.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
	if p.response(t, got, p.partnerA).Answers["what_i_did"] != "I hid the messages." {
		t.Fatal("counselor cannot read the submission")
	}
	// Share, unshare.
	alex.Do("POST", path+"/share", map[string]any{"shared": true}, nil)
	blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
	if p.response(t, got, p.partnerA).Answers == nil {
		t.Fatal("shared response not readable by the partner")
	}
	alex.Do("POST", path+"/share", map[string]any{"shared": false}, nil)
	if r := blair.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got); strings.Contains(r.Body, "I hid the messages") {
		t.Fatal("unshared response still in the partner's body")
	}
	// Review: revise, resubmit, accept.
	if r := cora.Do("POST", path+"/review", map[string]any{"decision": "maybe"}, nil); r.Status != 422 {
		t.Fatalf("bad decision: %d", r.Status)
	}
	if r := cora.Do("POST", path+"/review", map[string]any{"decision": "revise", "comment": "Add what you will change."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	var counts struct {
		NewFeedback int `json:"new_feedback"`
	}
	alex.Do("GET", "/api/v1/counts", nil, &counts)
	if counts.NewFeedback != 1 {
		t.Fatalf("feedback count %d", counts.NewFeedback)
	}
	blair.Do("GET", "/api/v1/counts", nil, &counts)
	if counts.NewFeedback != 0 {
		t.Fatal("partner counts the other's feedback")
	}
	letter2 := map[string]any{}
	for k, v := range letter {
		letter2[k] = v
	}
	letter2["changes"] = []string{"Phone open", "Therapy on Thursdays"}
	alex.Do("PUT", path, map[string]any{"answers": letter2, "version": 2}, nil)
	if r := alex.Do("POST", path+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}
	var detail struct {
		Response struct {
			History  []struct{ Version int } `json:"history"`
			Feedback []struct{ Decision string }
		} `json:"response"`
	}
	cora.Do("GET", path, nil, &detail)
	if len(detail.Response.History) != 2 || len(detail.Response.Feedback) != 1 {
		t.Fatalf("history: %+v", detail.Response)
	}
	if r := cora.Do("POST", path+"/review", map[string]any{"decision": "accept"}, nil); r.Status != 200 {
		t.Fatalf("accept: %d", r.Status)
	}
	if r := cora.Do("POST", path+"/review", map[string]any{"decision": "accept"}, nil); r.Status != 409 {
		t.Fatalf("second review: %d", r.Status)
	}
}

func TestAssignmentAPIScopes(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["acknowledging-the-breach"], "mode": "each"})
	rid := a.Responses[0].ID
	for _, who := range []string{"carl@h.test", "finn@n.test", "sol@h.test"} {
		api := p.app.Login(who)
		for _, path := range []string{fmt.Sprintf("/api/v1/assignments/%d", a.ID), fmt.Sprintf("/api/v1/responses/%d", rid)} {
			if r := api.Do("GET", path, nil, nil); r.Status != 404 {
				t.Errorf("%s GET %s: %d", who, path, r.Status)
			}
		}
		var list struct{ Items []any }
		api.Do("GET", "/api/v1/assignments", nil, &list)
		if len(list.Items) != 0 && who != "carl@h.test" {
			t.Errorf("%s lists %d assignments", who, len(list.Items))
		}
	}
	if r := p.app.Login("carl@h.test").Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each"}, nil); r.Status != 404 {
		t.Errorf("other counselor assigns: %d", r.Status)
	}
	admin := p.app.Login("ada@h.test")
	if r := admin.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each"}, nil); r.Status != 403 {
		t.Errorf("admin assigns: %d", r.Status)
	}
	r := admin.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil)
	if r.Status != 200 || strings.Contains(r.Body, `"answers"`) || strings.Contains(r.Body, `"schema"`) {
		t.Errorf("admin view: %d %s", r.Status, r.Body)
	}
	if r := admin.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, nil); r.Status != 403 {
		t.Errorf("admin check-ins: %d", r.Status)
	}
	// Validation and bad input.
	for name, body := range map[string]any{
		"bad due":    map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each", "due_at": "tomorrow"},
		"bad mode":   map[string]any{"template_id": p.tpl["apology-letter"], "mode": "all"},
		"safety":     map[string]any{"template_id": p.tpl["safety-check"], "mode": "each"},
		"bad until":  map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "recurrence": map[string]any{"every": "day", "until": "soon"}},
		"wrong type": `{"template_id": "seven", "mode": "each"}`,
	} {
		r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/assignments", p.couple), body, nil)
		if r.Status != 422 {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
	if r := cora.Do("GET", "/api/v1/assignments?limit=0", nil, nil); r.Status != 400 {
		t.Errorf("limit=0: %d", r.Status)
	}
	// Cancel, then the couple sees it withdrawn and cannot write.
	if r := cora.Do("PATCH", fmt.Sprintf("/api/v1/assignments/%d", a.ID), map[string]any{"status": "cancelled"}, nil); r.Status != 200 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	alex := p.app.Login("alex@h.test")
	var got asgJSON
	alex.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, &got)
	if got.Status != "cancelled" {
		t.Fatalf("client sees status %q", got.Status)
	}
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", p.response(t, got, p.partnerA).ID), map[string]any{"answers": map[string]any{}, "version": 1}, nil); r.Status != 409 {
		t.Fatalf("write to cancelled: %d", r.Status)
	}
	// Paging through the list.
	for i := 0; i < 5; i++ {
		p.assign(t, cora, map[string]any{"template_id": p.tpl["conversation-starters"], "mode": "each"})
	}
	seen := map[int64]bool{}
	next := ""
	for pages := 0; pages < 10; pages++ {
		var page struct {
			Items []struct{ ID int64 }
			Next  *string
		}
		q := "/api/v1/assignments?limit=2"
		if next != "" {
			q += "&after=" + url.QueryEscape(next)
		}
		cora.Do("GET", q, nil, &page)
		for _, it := range page.Items {
			if seen[it.ID] {
				t.Fatalf("duplicate %d", it.ID)
			}
			seen[it.ID] = true
		}
		if page.Next == nil {
			break
		}
		next = *page.Next
	}
	if len(seen) != 6 {
		t.Fatalf("paged %d assignments, want 6", len(seen))
	}
}

func TestAssignmentJointAPI(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	alex.Do("PUT", path, map[string]any{"answers": plan, "version": 1}, nil)
	if r := blair.Do("PUT", path, map[string]any{"answers": map[string]any{"if_crossed": "B's text"}, "version": 1}, nil); r.Status != 409 || !strings.Contains(r.Body, "within a day") {
		t.Fatalf("stale joint save: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", path+"/sign", map[string]any{"version": 1}, nil); r.Status != 409 {
		t.Fatalf("sign stale: %d", r.Status)
	}
	alex.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)
	plan["if_crossed"] = "We tell each other the same day."
	var saved struct {
		Version           int
		SignaturesCleared bool `json:"signatures_cleared"`
	}
	blair.Do("PUT", path, map[string]any{"answers": plan, "version": 2}, &saved)
	if !saved.SignaturesCleared || saved.Version != 3 {
		t.Fatalf("edit after signature: %+v", saved)
	}
	if r := blair.Do("POST", path+"/submit", nil, nil); r.Status != 409 {
		t.Fatalf("submit unsigned: %d", r.Status)
	}
	alex.Do("POST", path+"/sign", map[string]any{"version": 3}, nil)
	blair.Do("POST", path+"/sign", map[string]any{"version": 3}, nil)
	if r := blair.Do("POST", path+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit signed: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", path+"/share", map[string]any{"shared": true}, nil); r.Status != 422 {
		t.Fatalf("share joint: %d", r.Status)
	}
	// Safety check: only individual, never shareable.
	s := p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerB})
	if r := blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", s.Responses[0].ID), map[string]any{"shared": true}, nil); r.Status != 422 {
		t.Fatalf("share safety: %d", r.Status)
	}
	if r := alex.Do("GET", fmt.Sprintf("/api/v1/assignments/%d", s.ID), nil, nil); r.Status != 404 {
		t.Fatalf("partner sees the safety check exists: %d", r.Status)
	}
}

func TestCheckinsSeriesAndChart(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	until := time.Now().UTC().Format(time.DateOnly)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "recurrence": map[string]any{"every": "day", "until": until}})
	if len(a.Responses) != 2 || a.Responses[0].OccursOn == nil {
		t.Fatalf("occurrences: %+v", a.Responses)
	}
	ra, rb := p.response(t, a, p.partnerA).ID, p.response(t, a, p.partnerB).ID
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", ra), map[string]any{"answers": map[string]any{"trust": 6, "mood": "Calm", "appreciation": "Tea"}, "version": 1}, nil)
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", ra), nil, nil)
	blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rb), map[string]any{"answers": map[string]any{"trust": 3, "mood": "Tired", "appreciation": "Walk"}, "version": 1}, nil)
	blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rb), nil, nil)
	type series struct {
		Series []struct {
			PartnerID int64 `json:"partner_id"`
			Points    []struct{ Trust int }
		}
	}
	var s series
	cora.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 2 {
		t.Fatalf("counselor series: %+v", s)
	}
	alex.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 1 || s.Series[0].PartnerID != p.partnerA {
		t.Fatalf("A sees the unshared line of B: %+v", s)
	}
	blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rb), map[string]any{"shared": true}, nil)
	alex.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 2 {
		t.Fatalf("shared line missing: %+v", s)
	}
	br := p.app.Browser()
	br.Login("cora@h.test")
	svg := br.Get(fmt.Sprintf("/couples/%d/checkins.svg", p.couple))
	if svg.Status != 200 || !strings.Contains(svg.Body, "<polyline") || !strings.Contains(svg.Header.Get("Content-Type"), "svg") {
		t.Fatalf("chart: %d %s", svg.Status, svg.Body)
	}
}

func TestResponsePagesWithoutJS(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	page := fmt.Sprintf("/responses/%d", rid)
	alex := p.app.Browser()
	alex.Login("alex@h.test")
	home := alex.Get("/").Body
	if !strings.Contains(home, "Apology letter") || !strings.Contains(home, page) {
		t.Fatal("home does not list the exercise")
	}
	// Save a draft without JavaScript, with a typed field over its limit: 422, nothing lost.
	form := url.Values{"op": {"save"}, "version": {"1"}, "a.what_i_did": {"<script>alert(1)</script> I hid it."}, "a.impact": {strings.Repeat("y", 20001)}}
	r := alex.Post(page, form, page)
	if r.Status != 422 || !strings.Contains(r.Body, "&lt;script&gt;alert(1)&lt;/script&gt; I hid it.") || strings.Contains(r.Body, "<script>alert(1)") {
		t.Fatalf("422 re-show: %d", r.Status)
	}
	form.Set("a.impact", "You doubted yourself.")
	if r := alex.Post(page, form, page); r.Status != 303 {
		t.Fatalf("save draft: %d %s", r.Status, r.Body)
	}
	if body := alex.Get(page).Body; !strings.Contains(body, "You doubted yourself.") {
		t.Fatal("draft not found after reload")
	}
	// Submit with required answers missing: re-shown with messages, answers kept.
	form.Set("op", "submit")
	form.Set("version", "2")
	r = alex.Post(page, form, page)
	if r.Status != 422 || !strings.Contains(r.Body, "You doubted yourself.") || !strings.Contains(r.Body, "required") {
		t.Fatalf("submit incomplete: %d", r.Status)
	}
	// The partner and the counselor cannot open the draft page.
	blair := p.app.Browser()
	blair.Login("blair@h.test")
	if r := blair.Get(page); r.Status != 404 {
		t.Fatalf("partner opens draft page: %d", r.Status)
	}
	coraB := p.app.Browser()
	coraB.Login("cora@h.test")
	if r := coraB.Get(page); r.Status != 404 {
		t.Fatalf("counselor opens draft page: %d", r.Status)
	}
	// Autosave answers JSON, and refuses a stale version.
	r = alex.PostRaw(fmt.Sprintf("/responses/%d/autosave", rid), url.Values{"csrf_token": {alex.CSRF(page)}, "version": {"2"}, "a.what_i_did": {"Autosaved text"}})
	if r.Status != 200 || !strings.Contains(r.Body, `"version":3`) {
		t.Fatalf("autosave: %d %s", r.Status, r.Body)
	}
	r = alex.PostRaw(fmt.Sprintf("/responses/%d/autosave", rid), url.Values{"csrf_token": {alex.CSRF(page)}, "version": {"2"}, "a.what_i_did": {"Old"}})
	if r.Status != 409 {
		t.Fatalf("stale autosave: %d %s", r.Status, r.Body)
	}
	if r := alex.PostRaw(fmt.Sprintf("/responses/%d/autosave", rid), url.Values{"version": {"3"}}); r.Status != 403 {
		t.Fatalf("autosave without CSRF: %d", r.Status)
	}
	// Assign page: validation re-shows the form.
	r = coraB.Post(fmt.Sprintf("/couples/%d/assign", p.couple), url.Values{"template_id": {fmt.Sprint(p.tpl["apology-letter"])}, "mode": {"individual"}, "instructions": {"Keep me"}}, fmt.Sprintf("/couples/%d/assign", p.couple))
	if r.Status != 422 || !strings.Contains(r.Body, "Keep me") || !strings.Contains(r.Body, "Choose which partner") {
		t.Fatalf("assign form error: %d", r.Status)
	}
	if r := coraB.Get("/review"); r.Status != 200 {
		t.Fatalf("review page: %d", r.Status)
	}
}

func TestCaseloadAndCounselorCounts(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	past := time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	p.assign(t, cora, map[string]any{"template_id": p.tpl["trigger-journal"], "mode": "individual", "partner_id": p.partnerB, "due_at": past})
	rid := p.response(t, a, p.partnerA).ID
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil)
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil)

	var load []struct {
		ID       int64 `json:"id"`
		Due      int   `json:"due"`
		Overdue  int   `json:"overdue"`
		Awaiting int   `json:"awaiting_review"`
	}
	var wrap struct {
		Items json.RawMessage `json:"items"`
	}
	r := cora.Do("GET", "/api/v1/caseload", nil, &wrap)
	if err := json.Unmarshal(wrap.Items, &load); err != nil {
		json.Unmarshal([]byte(r.Body), &load)
	}
	found := false
	for _, l := range load {
		if l.ID == p.couple {
			found = true
			if l.Awaiting != 1 || l.Overdue != 1 || l.Due != 1 {
				t.Errorf("caseload counts %+v", l)
			}
		}
	}
	if !found {
		t.Fatalf("caseload: %s", r.Body)
	}
	var counselors struct {
		Items []struct {
			Email    string
			Awaiting int `json:"awaiting_review"`
			Overdue  int
		}
	}
	p.app.Login("ada@h.test").Do("GET", "/api/v1/counselors", nil, &counselors)
	for _, c := range counselors.Items {
		if c.Email == "cora@h.test" && (c.Awaiting != 1 || c.Overdue != 1) {
			t.Errorf("counselor counts %+v", c)
		}
	}
	br := p.app.Browser()
	br.Login("cora@h.test")
	if body := br.Get("/caseload").Body; !strings.Contains(body, "1 overdue") {
		t.Error("caseload page lacks the overdue count")
	}
}

// A refused review keeps the typed comment and shows the message beside it.
func TestReviewFormKeepsComment(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil)
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil)
	br := p.app.Browser()
	br.Login("cora@h.test")
	page := fmt.Sprintf("/responses/%d", rid)
	r := br.Post(page+"/review", url.Values{"decision": {"revise"}, "comment": {""}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-comment"`) {
		t.Fatalf("empty revise: %d", r.Status)
	}
	long := strings.Repeat("é", 8001)
	r = br.Post(page+"/review", url.Values{"decision": {"revise"}, "comment": {long}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, long) {
		t.Fatalf("long comment not kept: %d", r.Status)
	}
}
