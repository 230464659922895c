package web_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/assignment"
)

// badge is a state shown as a status chip: its words.
var badge = regexp.MustCompile(`<span class="(?:status|state)[^"]*">\s*([^<]*?)\s*</span>`)

// badges lists the words of a page's status chips.
func badges(body string) []string {
	var out []string
	for _, m := range badge.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// One name per state, across pages and roles: the partner and the
// counselor looking at the same response in the same state read the same
// word, on every main page and in the API's status_label. Where they must
// differ (drafting is the author's alone), the counselor reads "not
// submitted" and never "draft", "not started" or "in progress".
func TestOneWordPerStateForPartnerAndCounselor(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, ada := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("ada@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	alexB, coraB, adaB := p.browser(t, "alex@h.test"), p.browser(t, "cora@h.test"), p.browser(t, "ada@h.test")
	asgPath, respPath := fmt.Sprintf("/assignments/%d", a.ID), fmt.Sprintf("/responses/%d", rid)
	drafting := []string{"draft", "not started", "in progress"}

	// apiLabel is the status_label of the response in a caller's API detail.
	apiLabel := func(who string, body string) string {
		t.Helper()
		var d struct {
			StatusLabel string `json:"status_label"`
			Responses   []struct {
				ID          int64  `json:"id"`
				StatusLabel string `json:"status_label"`
			} `json:"responses"`
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Responses) != 1 || d.Responses[0].ID != rid {
			t.Fatalf("%s's API detail: %v %s", who, err, body)
		}
		return d.Responses[0].StatusLabel
	}
	look := func(when, partnerWord, staffWord string) {
		t.Helper()
		pages := map[string]string{
			"Alex's home":            alexB.Get("/").Body,
			"Alex's response page":   alexB.Get(respPath).Body,
			"Alex's assignment page": alexB.Get(asgPath).Body,
			"Cora's assignment page": coraB.Get(asgPath).Body,
			"Ada's assignment page":  adaB.Get(asgPath).Body,
			"Cora's review queue":    coraB.Get("/review").Body,
			"Cora's couple page":     coraB.Get(fmt.Sprintf("/couples/%d", p.couple)).Body,
		}
		if staffWord != "not submitted" { // a draft is not the counselor's to open
			pages["Cora's response page"] = coraB.Get(respPath).Body
		}
		for name, body := range pages {
			for _, b := range badges(body) {
				if b == "revise" || b == "draft" || b == "open" {
					t.Errorf("%s: %s shows the old word %q", when, name, b)
				}
			}
		}
		for _, name := range []string{"Alex's home", "Alex's response page", "Alex's assignment page"} {
			if !slices.Contains(badges(pages[name]), partnerWord) {
				t.Errorf("%s: %s lacks %q: %q", when, name, partnerWord, badges(pages[name]))
			}
		}
		for _, name := range []string{"Cora's assignment page", "Ada's assignment page", "Cora's response page"} {
			body, ok := pages[name]
			if !ok {
				continue
			}
			if !slices.Contains(badges(body), staffWord) {
				t.Errorf("%s: %s lacks %q: %q", when, name, staffWord, badges(body))
			}
			for _, w := range drafting {
				if slices.Contains(badges(body), w) {
					t.Errorf("%s: %s tells of drafting: %q", when, name, w)
				}
			}
		}
		if got := apiLabel("Alex", alex.Do("GET", "/api/v1"+asgPath, nil, nil).Body); got != partnerWord {
			t.Errorf("%s: Alex's API status_label %q, want %q", when, got, partnerWord)
		}
		if got := apiLabel("Cora", cora.Do("GET", "/api/v1"+asgPath, nil, nil).Body); got != staffWord {
			t.Errorf("%s: Cora's API status_label %q, want %q", when, got, staffWord)
		}
		if got := apiLabel("Ada", ada.Do("GET", "/api/v1"+asgPath, nil, nil).Body); got != staffWord {
			t.Errorf("%s: Ada's API status_label %q, want %q", when, got, staffWord)
		}
	}

	look("assigned", "not started", "not submitted")
	before := mask(coraB.Get(asgPath).Body)
	if r := alex.Do("PUT", "/api/v1"+respPath, map[string]any{"answers": letter, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	look("drafted", "in progress", "not submitted")
	if after := mask(coraB.Get(asgPath).Body); after != before {
		t.Errorf("Alex's draft moved Cora's assignment page: %s", firstDiff(before, after))
	}
	if r := alex.Do("POST", "/api/v1"+respPath+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	look("submitted", "submitted", "submitted")
	if r := cora.Do("POST", "/api/v1"+respPath+"/review", map[string]any{"decision": "revise", "comment": "Say more."}, nil); r.Status != 200 {
		t.Fatalf("revise: %d %s", r.Status, r.Body)
	}
	look("sent back", "revision requested", "revision requested")
	if r := alex.Do("POST", "/api/v1"+respPath+"/submit", nil, nil); r.Status != 200 {
		t.Fatalf("resubmit: %d %s", r.Status, r.Body)
	}
	if r := cora.Do("POST", "/api/v1"+respPath+"/review", map[string]any{"decision": "accept"}, nil); r.Status != 200 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	look("accepted", "accepted", "accepted")

	// The assignment's own state: withdrawn, in the same word for both.
	if r := cora.Do("PATCH", "/api/v1"+asgPath, map[string]any{"status": "cancelled"}, nil); r.Status != 200 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	for name, b := range map[string]*struct{ body, api string }{
		"Alex": {alexB.Get(asgPath).Body, alex.Do("GET", "/api/v1"+asgPath, nil, nil).Body},
		"Cora": {coraB.Get(asgPath).Body, cora.Do("GET", "/api/v1"+asgPath, nil, nil).Body},
	} {
		if !slices.Contains(badges(b.body), "withdrawn") || !strings.Contains(b.api, `"status_label":"withdrawn"`) {
			t.Errorf("withdrawn: %s's assignment page %q, API %s", name, badges(b.body), b.api)
		}
	}
}

// oldSpellings are the ways templates worded states by hand before there
// was one word per state: a raw status through human, the old "revise",
// and state words typed into a status chip.
var (
	humanOfState = regexp.MustCompile(`human \$?[\w.]*\.State\b`)
	humanOfCode  = regexp.MustCompile(`human \$?[\w.]*\.Status\b`)
	typedChip    = regexp.MustCompile(`<span class="(?:status|state)[^"]*">\s*([a-z][a-z ]*?)\s*</span>`)
	shownRevise  = regexp.MustCompile(`>\s*revise\s*<`)
)

// No template spells a piece of work's state by hand: its word comes from
// stateLabel, which takes an assignment.State and nothing else. human stays
// for a couple's own status (active, paused, closed), once on each page
// that lists or heads couples.
func TestNoTemplateSpellsAStateWordByHand(t *testing.T) {
	t.Parallel()
	words := map[string]bool{"draft": true, "revise": true, "open": true}
	for _, s := range assignment.States() {
		words[s.Label()] = true
	}
	coupleStatus := map[string]int{"home.html": 1, "caseload.html": 1, "admin_couples.html": 1, "admin_couple.html": 1}
	files, _ := filepath.Glob("../../templates/pages/*.html")
	more, _ := filepath.Glob("../../templates/*.html")
	files = append(files, more...)
	if len(files) < 30 {
		t.Fatalf("found only %d templates", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src, name := string(b), filepath.Base(f)
		for _, m := range humanOfState.FindAllString(src, -1) {
			t.Errorf("%s: %q: a state goes through stateLabel", name, m)
		}
		if n := len(humanOfCode.FindAllString(src, -1)); n > coupleStatus[name] {
			t.Errorf("%s: %d statuses worded by human (a couple's status: %d): a piece of work's goes through stateLabel", name, n, coupleStatus[name])
		}
		for _, m := range typedChip.FindAllStringSubmatch(src, -1) {
			if words[m[1]] {
				t.Errorf("%s: the chip %q spells a state by hand: use stateLabel", name, m[0])
			}
		}
		if shownRevise.MatchString(src) {
			t.Errorf("%s shows \"revise\": the state is \"revision requested\"", name)
		}
	}
	// Every state has its word, and docs/architecture.md's table names it.
	doc, err := os.ReadFile("../../docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range assignment.States() {
		if s.Label() == "" || !s.Known() {
			t.Errorf("state %q has no word", s)
		}
		if !strings.Contains(string(doc), fmt.Sprintf("| `%s` | %s |", s, s.Label())) {
			t.Errorf("docs/architecture.md lacks the row for %q (%s)", s, s.Label())
		}
	}
}
