package web_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var histLink = regexp.MustCompile(`href="(/responses/\d+/submissions/\d+)"`)

// The counselor and the author see what changed between submissions,
// word by word, escaped; every submission opens read-only; the partner
// sees no history and cannot open a snapshot; reads are audited.
func TestSubmissionHistoryDiffHTTP(t *testing.T) {
	t.Parallel()
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
