package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func (p *practice) reads(t *testing.T, email string) int {
	t.Helper()
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.actor_id WHERE a.action = 'response.read' AND u.email = $1`, email)
	return n
}

// A revealed-together answer cannot be shared (422 with a field message),
// and its page explains why instead of offering a Share button.
func TestRevealTogetherShareHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "each", "reveal": "together"})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	var fe struct{ Fields map[string]string }
	r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["shared"], "once you have both submitted") {
		t.Fatalf("share: %d %s", r.Status, r.Body)
	}
	if r := blair.Do("GET", fmt.Sprintf("/api/v1/responses/%d", rid), nil, nil); r.Status != 404 {
		t.Fatalf("B opens A's unrevealed answer: %d", r.Status)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	alexB := p.browser(t, "alex@h.test")
	body := alexB.Get(page).Body
	if strings.Contains(body, `value="share"`) || !strings.Contains(body, "revealed together") {
		t.Fatal("the page offers Share on a revealed-together answer, or does not explain")
	}
	// The page's form refuses too, with the message, and shares nothing.
	r = alexB.Post(page, url.Values{"op": {"share"}}, page)
	if r.Status != 422 || !strings.Contains(r.Body, "revealed together") {
		t.Fatalf("page share: %d", r.Status)
	}
	var shared bool
	p.app.DB.Get(&shared, `SELECT shared FROM responses WHERE id = $1`, rid)
	if shared {
		t.Fatal("shared anyway")
	}
}

var histLink = regexp.MustCompile(`href="(/responses/\d+/submissions/\d+)"`)

// The counselor and the author see what changed between submissions,
// word by word, escaped; every submission opens read-only; the partner
// sees no history and cannot open a snapshot; reads are audited.
func TestSubmissionHistoryDiffHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	first := map[string]any{}
	for k, v := range letter {
		first[k] = v
	}
	first["what_i_did"] = "I hid the messages from you."
	alex.Do("PUT", path, map[string]any{"answers": first, "version": 1}, nil)
	alex.Do("POST", path+"/submit", nil, nil)
	if r := alex.Do("POST", path+"/share", map[string]any{"shared": true}, nil); r.Status != 200 {
		t.Fatalf("share: %d", r.Status)
	}
	cora.Do("POST", path+"/review", map[string]any{"decision": "revise", "comment": "Say more."}, nil)
	second := map[string]any{}
	for k, v := range first {
		second[k] = v
	}
	second["what_i_did"] = "I hid the <script>alert(1)</script> messages from you for months."
	second["changes"] = []string{"Phone open", "Therapy on Thursdays"}
	alex.Do("PUT", path, map[string]any{"answers": second, "version": 2}, nil)
	if r := alex.Do("POST", path+"/submit", map[string]any{"shared": true}, nil); r.Status != 200 { // shared again: a share covers one submission
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	coraB := p.browser(t, "cora@h.test")
	body := coraB.Get(page).Body
	for _, want := range []string{"Submission history", "<del>", "<ins>", "&lt;script&gt;alert(1)&lt;/script&gt;", "for months.", "Therapy on Thursdays"} {
		if !strings.Contains(body, want) {
			t.Errorf("counselor's history lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Fatal("unescaped answer in the diff")
	}
	links := histLink.FindAllStringSubmatch(body, -1)
	if len(links) != 2 {
		t.Fatalf("snapshot links: %v", links)
	}
	earliest := links[1][1] // newest first
	before := p.reads(t, "cora@h.test")
	snap := coraB.Get(earliest)
	if snap.Status != 200 || !strings.Contains(snap.Body, "I hid the messages from you.") || strings.Contains(snap.Body, "for months") ||
		!strings.Contains(snap.Body, "Submission 1 of 2") {
		t.Fatalf("snapshot page: %d", snap.Status)
	}
	if p.reads(t, "cora@h.test") != before+1 {
		t.Error("snapshot read not audited")
	}
	// The author sees the history too.
	if body := p.browser(t, "alex@h.test").Get(page).Body; !strings.Contains(body, "Submission history") || !strings.Contains(body, "<ins>") {
		t.Error("the author does not see what changed")
	}
	// The partner reads the latest (shared), without history or snapshots.
	blairB := p.browser(t, "blair@h.test")
	if body := blairB.Get(page).Body; strings.Contains(body, "Submission history") || !strings.Contains(body, "for months") {
		t.Error("partner's view of a shared response")
	}
	if r := blairB.Get(earliest); r.Status != 404 {
		t.Errorf("partner opens an earlier submission: %d", r.Status)
	}
	blair := p.app.Login("blair@h.test")
	api := "/api/v1" + earliest
	if r := blair.Do("GET", api, nil, nil); r.Status != 404 {
		t.Errorf("partner API snapshot: %d", r.Status)
	}
	var js struct {
		Submission struct {
			Number, Of int
			Answers    map[string]any
		}
	}
	if r := cora.Do("GET", api, nil, &js); r.Status != 200 || js.Submission.Number != 1 || js.Submission.Answers["what_i_did"] != "I hid the messages from you." {
		t.Fatalf("API snapshot: %d %s", r.Status, r.Body)
	}
	if r := p.app.Login("carl@h.test").Do("GET", api, nil, nil); r.Status != 404 {
		t.Errorf("another counselor: %d", r.Status)
	}
}

// Replies: the assign form marks a response the replying partner cannot
// read; the reply page tells them; the original lists its replies.
func TestRepliesHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	coraB := p.browser(t, "cora@h.test")
	form := coraB.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body
	if !strings.Contains(form, "by Alex (not shared with Blair yet)") {
		t.Fatal("the assign form does not mark the unshared response")
	}
	reply := p.assign(t, cora, map[string]any{"template_id": p.tpl["forgiveness-reflection"], "mode": "individual", "partner_id": p.partnerB, "reply_to": rid})
	replyPage := fmt.Sprintf("/responses/%d", p.response(t, reply, p.partnerB).ID)
	blairB := p.browser(t, "blair@h.test")
	body := blairB.Get(replyPage).Body
	if !strings.Contains(body, "Alex has not shared it with you yet") || strings.Contains(body, "I hid the messages") {
		t.Fatal("the reply page does not say the response is not shared yet")
	}
	body = coraB.Get(fmt.Sprintf("/responses/%d", rid)).Body
	if !strings.Contains(body, "Replies to this response") || !strings.Contains(body, "by Blair") {
		t.Fatal("the letter's page does not list its reply")
	}
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil)
	if body := blairB.Get(replyPage).Body; !strings.Contains(body, "I hid the messages") {
		t.Fatal("the shared letter is not shown beside the reply")
	}
	form = coraB.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body
	if strings.Contains(form, "not shared with Blair yet") {
		t.Fatal("a shared response is still marked")
	}
	// The API gives the reply_of it shows, on the response too.
	var got struct {
		ReplyOf *struct{ ID int64 } `json:"reply_of"`
	}
	p.app.Login("blair@h.test").Do("GET", "/api/v1"+replyPage, nil, &got)
	if got.ReplyOf == nil || got.ReplyOf.ID != rid {
		t.Fatalf("API reply_of: %+v", got.ReplyOf)
	}
}

// Autosave and the Save button read nothing out: no read is audited, and
// writing one's draft is no audit event either. The other partner's draft
// carries no version in API bodies.
func TestSavePathsAuditNoReadHTTP(t *testing.T) {
	p := newPractice(t)
	cora := p.app.Login("cora@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	page := fmt.Sprintf("/responses/%d", rid)
	alexB := p.browser(t, "alex@h.test")
	tok := alexB.CSRF("/")
	before := p.reads(t, "alex@h.test")
	r := alexB.PostRaw(page+"/autosave", url.Values{"csrf_token": {tok}, "version": {"1"}, "a.what_i_did": {"AUTOSAVED-SECRET"}})
	if r.Status != 200 {
		t.Fatalf("autosave: %d %s", r.Status, r.Body)
	}
	r = alexB.PostRaw(page, url.Values{"csrf_token": {tok}, "op": {"save"}, "version": {"2"}, "a.what_i_did": {"SAVED-SECRET"}})
	if r.Status != 303 {
		t.Fatalf("save: %d", r.Status)
	}
	if n := p.reads(t, "alex@h.test"); n != before {
		t.Errorf("save paths audited %d reads", n-before)
	}
	var events int
	p.app.DB.Get(&events, `SELECT count(*) FROM audit_log WHERE object_id = $1 AND action LIKE 'response.%'`, rid)
	if events != 0 {
		t.Fatalf("draft saves audited: %d events", events)
	}
	// The partner and the counselor: the draft's version is not theirs to know.
	for _, who := range []string{"blair@h.test", "cora@h.test", "ada@h.test"} {
		r := p.app.Login(who).Do("GET", fmt.Sprintf("/api/v1/assignments/%d", a.ID), nil, nil)
		if r.Status != 200 || !strings.Contains(r.Body, `"version":null`) || strings.Contains(r.Body, `"version":3`) {
			t.Errorf("%s sees the draft's version: %s", who, r.Body)
		}
	}
}

// A submitted joint response shows who signed which version and when.
func TestJointSignaturesShownHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	alex.Do("PUT", path, map[string]any{"answers": plan, "version": 1}, nil)
	alex.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)
	blair.Do("POST", path+"/sign", map[string]any{"version": 2}, nil)
	if r := blair.Do("POST", path+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	page := fmt.Sprintf("/responses/%d", rid)
	for _, who := range []string{"cora@h.test", "alex@h.test", "blair@h.test"} {
		body := p.browser(t, who).Get(page).Body
		if !strings.Contains(body, "Signed by Alex (version 2,") || !strings.Contains(body, "Blair (version 2,") {
			t.Errorf("%s does not see the signatures", who)
		}
	}
	// After a revision's edit clears them, the counselor still sees who
	// signed the submitted version.
	cora.Do("POST", path+"/review", map[string]any{"decision": "revise", "comment": "Add one more."}, nil)
	plan["if_crossed"] = "We tell each other the same day."
	alex.Do("PUT", path, map[string]any{"answers": plan, "version": 2}, nil)
	if body := p.browser(t, "cora@h.test").Get(page).Body; !strings.Contains(body, "Signed by Alex (version 2,") || strings.Contains(body, "same day") {
		t.Error("the counselor lost the signatures of the submitted version")
	}
}

// The check-in chart (API and SVG) is a clinical read: audited; the other
// partner's revealed-together line appears.
func TestCheckinsAuditedAndRevealedHTTP(t *testing.T) {
	p := newPractice(t)
	cora, alex, blair := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test")
	until := time.Now().UTC().Format(time.DateOnly)
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "reveal": "together",
		"recurrence": map[string]any{"every": "day", "until": until}})
	ra, rb := p.response(t, a, p.partnerA).ID, p.response(t, a, p.partnerB).ID
	alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", ra), map[string]any{"answers": map[string]any{"trust": 6, "mood": "Calm", "appreciation": "Tea"}, "version": 1}, nil)
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", ra), nil, nil)
	var s struct {
		Series []struct {
			PartnerID int64 `json:"partner_id"`
		}
	}
	blair.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 0 {
		t.Fatalf("B sees A's line before submitting: %+v", s)
	}
	blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rb), map[string]any{"answers": map[string]any{"trust": 3, "mood": "Tired", "appreciation": "Walk"}, "version": 1}, nil)
	blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rb), nil, nil)
	before := p.reads(t, "blair@h.test")
	blair.Do("GET", fmt.Sprintf("/api/v1/couples/%d/checkins", p.couple), nil, &s)
	if len(s.Series) != 2 {
		t.Fatalf("B's chart lacks A's revealed line: %+v", s)
	}
	if p.reads(t, "blair@h.test") != before+1 {
		t.Error("API chart read not audited")
	}
	br := p.browser(t, "cora@h.test")
	before = p.reads(t, "cora@h.test")
	if r := br.Get(fmt.Sprintf("/couples/%d/checkins.svg", p.couple)); r.Status != 200 || strings.Count(r.Body, "<polyline") != 2 {
		t.Fatalf("chart: %d", r.Status)
	}
	if p.reads(t, "cora@h.test") != before+1 {
		t.Error("SVG chart read not audited")
	}
}
