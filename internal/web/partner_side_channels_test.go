package web_test

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
)

// The rule of the outside review: nothing a person can see (a timestamp, a
// count, a status, an order, a 404 against a 403) moves because of
// something they may not see. For each pair (partner A, partner B),
// (partner B, partner A) and (counselor, partners), the other side does
// what the viewer may not see, and every page and API body the viewer can
// reach stays byte for byte the same (the CSRF token and request ids
// masked): the pages reachable by following links from their start pages,
// the API bodies reachable from their lists, and the ids that the hidden
// actions create, asked for in advance.
func TestNothingVisibleMovesBecauseOfHiddenActions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, viewer string
		hidden       func(t *testing.T, s *sideScene)
	}{
		{"A sees nothing of B's hidden work", "alex@h.test", func(t *testing.T, s *sideScene) { s.hiddenWorkOf(t, "blair@h.test", s.partnerB) }},
		{"B sees nothing of A's hidden work", "blair@h.test", func(t *testing.T, s *sideScene) { s.hiddenWorkOf(t, "alex@h.test", s.partnerA) }},
		{"the counselor sees no drafting", "cora@h.test", func(t *testing.T, s *sideScene) { s.drafting(t, true) }},
		// The admin reads the audit trail, where reading feedback is (rightly)
		// a read: drafting alone must leave no trace.
		{"the admin sees no drafting", "ada@h.test", func(t *testing.T, s *sideScene) { s.drafting(t, false) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // a practice of its own
			s := newSideScene(t)
			v := s.viewer(t, c.viewer)
			v.reach(t) // warm up: opening pages marks feedback read, once
			before := v.reach(t)
			c.hidden(t, s)
			after := v.reach(t)
			compareViews(t, before, after)
			if testing.Verbose() {
				var ks []string
				for k := range before {
					ks = append(ks, k)
				}
				sort.Strings(ks)
				t.Logf("%d bodies: %s", len(ks), strings.Join(ks, " "))
			}
			if len(before) < 20 {
				t.Errorf("only %d bodies reached: the crawl is not looking", len(before))
			}
		})
	}
}

// sideScene is a couple in the middle of their work: each partner has a
// letter of their own (A's shared, B's not), an each-partner exercise (A's
// sent back for revision), a joint worksheet and daily check-ins.
type sideScene struct {
	p                  *practice
	partnerA, partnerB int64
	cora               *apptest.API
	api                map[string]*apptest.API
	browser            map[string]*apptest.Browser
	letter             map[int64]int64 // partner → their own letter's response
	letterAsg          map[int64]int64 // partner → its assignment
	each, daily        map[int64]int64 // partner → response
	joint              int64
}

func newSideScene(t *testing.T) *sideScene {
	p := newPractice(t)
	s := &sideScene{p: p, partnerA: p.partnerA, partnerB: p.partnerB, cora: p.app.Login("cora@h.test"),
		api: map[string]*apptest.API{}, browser: map[string]*apptest.Browser{},
		letter: map[int64]int64{}, letterAsg: map[int64]int64{}, each: map[int64]int64{}, daily: map[int64]int64{}}
	for _, e := range []string{"alex@h.test", "blair@h.test"} {
		s.api[e], s.browser[e] = p.app.Login(e), p.browser(t, e)
	}
	alex, blair := s.api["alex@h.test"], s.api["blair@h.test"]
	for _, who := range []int64{p.partnerA, p.partnerB} {
		a := p.assign(t, s.cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": who,
			"instructions": "Bring it to our next session, not before."})
		s.letterAsg[who], s.letter[who] = a.ID, p.response(t, a, who).ID
	}
	each := p.assign(t, s.cora, map[string]any{"template_id": p.tpl["how-it-happened"], "mode": "each"})
	s.each[p.partnerA], s.each[p.partnerB] = p.response(t, each, p.partnerA).ID, p.response(t, each, p.partnerB).ID
	joint := p.assign(t, s.cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	s.joint = p.response(t, joint, 0).ID
	today := time.Now().UTC()
	daily := p.assign(t, s.cora, map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each", "due_at": today.Format(time.RFC3339),
		"recurrence": map[string]any{"every": "day", "until": today.AddDate(0, 0, 2).Format(time.DateOnly)}})
	for _, r := range daily.Responses {
		if *r.OccursOn == today.Format(time.DateOnly) {
			s.daily[*r.PartnerID] = r.ID
		}
	}
	ok := func(r apptest.Response, what string) {
		t.Helper()
		if r.Status != 200 {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	// A's letter is submitted and shared; B's submitted, not shared.
	ok(alex.Do("PUT", s.rpath(s.letter[p.partnerA]), map[string]any{"answers": letter, "version": 1}, nil), "A's letter")
	ok(alex.Do("POST", s.rpath(s.letter[p.partnerA])+"/submit", map[string]any{"shared": true}, nil), "A submits")
	ok(blair.Do("PUT", s.rpath(s.letter[p.partnerB]), map[string]any{"answers": letter, "version": 1}, nil), "B's letter")
	ok(blair.Do("POST", s.rpath(s.letter[p.partnerB])+"/submit", nil, nil), "B submits")
	// Each-partner: A submitted and was asked to revise; B is drafting.
	ok(alex.Do("PUT", s.rpath(s.each[p.partnerA]), map[string]any{"answers": happened("A's first"), "version": 1}, nil), "A each")
	ok(alex.Do("POST", s.rpath(s.each[p.partnerA])+"/submit", nil, nil), "A each submit")
	ok(s.cora.Do("POST", s.rpath(s.each[p.partnerA])+"/review", map[string]any{"decision": "revise", "comment": "Say more."}, nil), "revise")
	ok(blair.Do("PUT", s.rpath(s.each[p.partnerB]), map[string]any{"answers": happened("B drafting"), "version": 1}, nil), "B each")
	// The joint worksheet is being drafted; today's check-ins: A's shared, B's a draft.
	ok(alex.Do("PUT", s.rpath(s.joint), map[string]any{"answers": map[string]any{"acceptable": []string{"Work friendships"}}, "version": 1}, nil), "joint")
	ok(alex.Do("PUT", s.rpath(s.daily[p.partnerA]), map[string]any{"answers": checkin(6), "version": 1}, nil), "A check-in")
	ok(alex.Do("POST", s.rpath(s.daily[p.partnerA])+"/submit", map[string]any{"shared": true}, nil), "A check-in submit")
	ok(blair.Do("PUT", s.rpath(s.daily[p.partnerB]), map[string]any{"answers": checkin(4), "version": 1}, nil), "B check-in")
	return s
}

func (s *sideScene) rpath(id int64) string { return fmt.Sprintf("/api/v1/responses/%d", id) }

func happened(text string) map[string]any {
	return map[string]any{"timeline": text, "choice_points": text, "what_must_change": []string{text}}
}

func checkin(trust float64) map[string]any {
	return map[string]any{"trust": trust, "mood": "Calm", "appreciation": "You listened."}
}

// version is the current version of a response (read from the database:
// the author's own read of it would be audited, which the admin sees).
func (s *sideScene) version(t *testing.T, email string, rid int64) int {
	t.Helper()
	var v int
	if err := s.p.app.DB.Get(&v, `SELECT version FROM responses WHERE id = $1`, rid); err != nil {
		t.Fatal(err)
	}
	return v
}

// hiddenWorkOf is what one partner (and the counselor, for them) does that
// the other partner may not see: drafts by autosave, the Save button and
// the API; a safety check assigned, answered, submitted and reviewed; their
// own letter sent back, read, rewritten, resubmitted without a new share,
// accepted, its instructions and due date changed, and withdrawn.
func (s *sideScene) hiddenWorkOf(t *testing.T, email string, who int64) {
	t.Helper()
	api, b := s.api[email], s.browser[email]
	must := func(r apptest.Response, what string, want int) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	each := fmt.Sprintf("/responses/%d", s.each[who])
	must(b.PostRaw(each+"/autosave", url.Values{"csrf_token": {b.CSRF("/")}, "version": {fmt.Sprint(s.version(t, email, s.each[who]))},
		"a.timeline": {"AUTOSAVED"}}), "autosave", 200)
	must(b.Post(each, url.Values{"op": {"save"}, "version": {fmt.Sprint(s.version(t, email, s.each[who]))}, "a.timeline": {"SAVED"},
		"a.choice_points": {"SAVED"}, "a.what_must_change": {"SAVED"}}), "save button", 303)
	must(api.Do("PUT", s.rpath(s.each[who]), map[string]any{"answers": happened("PUT"), "version": s.version(t, email, s.each[who])}, nil), "put", 200)
	// A safety check, answered with concern, and reviewed.
	safety := s.p.assign(t, s.cora, map[string]any{"template_id": s.p.tpl["safety-check"], "mode": "individual", "partner_id": who})
	sid := s.p.response(t, safety, who).ID
	must(api.Do("PUT", s.rpath(sid), map[string]any{"answers": map[string]any{"feel_safe": "No, I don't feel safe", "afraid_of_partner": "Often"},
		"version": 1}, nil), "safety draft", 200)
	must(api.Do("POST", s.rpath(sid)+"/submit", nil, nil), "safety submit", 200)
	must(s.cora.Do("POST", s.rpath(sid)+"/review", map[string]any{"decision": "accept", "comment": "Let's talk alone."}, nil), "safety review", 200)
	// Their own letter: sent back, read, rewritten, resubmitted unshared, accepted.
	lid := s.letter[who]
	must(s.cora.Do("POST", s.rpath(lid)+"/review", map[string]any{"decision": "revise", "comment": "Not yet."}, nil), "revise letter", 200)
	must(b.Get(fmt.Sprintf("/responses/%d", lid)), "reads feedback", 200)
	rewritten := map[string]any{}
	for k, v := range letter {
		rewritten[k] = v
	}
	rewritten["what_i_did"] = "REWRITTEN, NOT SHARED"
	must(api.Do("PUT", s.rpath(lid), map[string]any{"answers": rewritten, "version": s.version(t, email, lid)}, nil), "rewrite", 200)
	must(api.Do("POST", s.rpath(lid)+"/submit", nil, nil), "resubmit", 200)
	must(s.cora.Do("POST", s.rpath(lid)+"/review", map[string]any{"decision": "accept"}, nil), "accept letter", 200)
	asg := fmt.Sprintf("/api/v1/assignments/%d", s.letterAsg[who])
	must(s.cora.Do("PATCH", asg, map[string]any{"instructions": "Changed for them.",
		"due_at": time.Now().Add(240 * time.Hour).UTC().Format(time.RFC3339)}, nil), "edit letter", 200)
	must(s.cora.Do("PATCH", asg, map[string]any{"status": "cancelled"}, nil), "withdraw letter", 200)
}

// drafting is what the partners do that their counselor (and the admin)
// may not see: every way of writing a draft, signing a joint draft, and
// (withFeedback) reading the counselor's feedback.
func (s *sideScene) drafting(t *testing.T, withFeedback bool) {
	t.Helper()
	alexB, blairB := s.browser["alex@h.test"], s.browser["blair@h.test"]
	alex, blair := s.api["alex@h.test"], s.api["blair@h.test"]
	must := func(r apptest.Response, what string, want int) {
		t.Helper()
		if r.Status != want {
			t.Fatalf("%s: %d %s", what, r.Status, r.Body)
		}
	}
	ea := fmt.Sprintf("/responses/%d", s.each[s.partnerA])
	if withFeedback {
		must(alexB.Get(ea), "A reads her feedback", 200)
	}
	must(alexB.PostRaw(ea+"/autosave", url.Values{"csrf_token": {alexB.CSRF("/")}, "version": {fmt.Sprint(s.version(t, "alex@h.test", s.each[s.partnerA]))},
		"a.timeline": {"REVISION DRAFT"}}), "A autosaves her revision", 200)
	eb := fmt.Sprintf("/responses/%d", s.each[s.partnerB])
	must(blairB.Post(eb, url.Values{"op": {"save"}, "version": {fmt.Sprint(s.version(t, "blair@h.test", s.each[s.partnerB]))},
		"a.timeline": {"B SAVES"}}), "B's Save button", 303)
	must(blair.Do("PUT", s.rpath(s.daily[s.partnerB]), map[string]any{"answers": checkin(2),
		"version": s.version(t, "blair@h.test", s.daily[s.partnerB])}, nil), "B's check-in draft", 200)
	worksheet := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We tell each other within a day.", "agree": true}
	v := s.version(t, "alex@h.test", s.joint)
	must(alex.Do("PUT", s.rpath(s.joint), map[string]any{"answers": worksheet, "version": v}, nil), "joint draft", 200)
	must(alex.Do("POST", s.rpath(s.joint)+"/sign", map[string]any{"version": v + 1}, nil), "A signs", 200)
	must(blair.Do("POST", s.rpath(s.joint)+"/sign", map[string]any{"version": v + 1}, nil), "B signs", 200)
}

// sideViewer fetches everything one person can reach.
type sideViewer struct {
	s     *sideScene
	email string
	b     *apptest.Browser
	api   *apptest.API
	probe []string // paths of objects the hidden actions will create
}

func (s *sideScene) viewer(t *testing.T, email string) *sideViewer {
	v := &sideViewer{s: s, email: email, b: s.p.browser(t, email), api: s.p.app.Login(email)}
	// The ids the hidden actions will use (the next assignment, responses
	// and submissions): asked for before and after, a 404 must stay a 404.
	var asg, resp, sub int64
	db := s.p.app.DB
	db.Get(&asg, `SELECT coalesce(max(id), 0) FROM assignments`)
	db.Get(&resp, `SELECT coalesce(max(id), 0) FROM responses`)
	db.Get(&sub, `SELECT coalesce(max(id), 0) FROM submissions`)
	for i := int64(1); i <= 2; i++ {
		v.probe = append(v.probe, fmt.Sprintf("/assignments/%d", asg+i), fmt.Sprintf("/api/v1/assignments/%d", asg+i),
			fmt.Sprintf("/responses/%d", resp+i), fmt.Sprintf("/api/v1/responses/%d", resp+i), fmt.Sprintf("/responses/%d/print", resp+i))
	}
	var rids []int64
	db.Select(&rids, `SELECT id FROM responses WHERE couple_id = $1 AND (occurs_on IS NULL OR occurs_on <= current_date) ORDER BY id`, s.p.couple)
	for _, r := range rids {
		for i := int64(1); i <= 4; i++ {
			v.probe = append(v.probe, fmt.Sprintf("/api/v1/responses/%d/submissions/%d", r, sub+i))
		}
	}
	return v
}

var (
	hrefRe     = regexp.MustCompile(`(?:href|src)="(/[^"#]*)"`)
	pathIDRe   = regexp.MustCompile(`^/(assignments|responses|couples)/(\d+)(/submissions/\d+)?$`)
	skipPrefix = []string{"/static/", "/logout", "/login"}
)

// reach crawls the viewer's pages (following links from their start pages)
// and API (from their lists to every object listed), and returns each
// answer by request: status, redirect and masked body.
func (v *sideViewer) reach(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var pages, apis []string
	pages = append(pages, "/", "/caseload", "/review", "/account/security", "/account/password", "/admin/audit",
		fmt.Sprintf("/couples/%d", v.s.p.couple))
	apis = append(apis, "/api/v1/me", "/api/v1/counts", "/api/v1/assignments?limit=200", "/api/v1/assignments?status=active&limit=200",
		"/api/v1/assignments?status=cancelled&limit=200", "/api/v1/caseload", "/api/v1/review-queue?limit=200",
		"/api/v1/caseloads", "/api/v1/couples?limit=200", "/api/v1/audit?limit=200",
		fmt.Sprintf("/api/v1/couples/%d", v.s.p.couple), fmt.Sprintf("/api/v1/couples/%d/checkins", v.s.p.couple))
	for _, p := range v.probe {
		if strings.HasPrefix(p, "/api/") {
			apis = append(apis, p)
		} else {
			pages = append(pages, p)
		}
	}
	seen := map[string]bool{}
	for len(pages) > 0 {
		path := pages[0]
		pages = pages[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		if len(seen) > 600 {
			t.Fatal("more than 600 pages: the crawl runs away")
		}
		r := v.b.Get(path)
		out["GET "+path] = fmt.Sprintf("%d %s\n%s", r.Status, r.Location, mask(r.Body))
		if m := pathIDRe.FindStringSubmatch(path); m != nil {
			apis = append(apis, "/api/v1"+path) // its API twin
			if m[1] == "couples" {
				apis = append(apis, "/api/v1"+path+"/checkins")
			}
		}
		if !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
			continue
		}
		for _, m := range hrefRe.FindAllStringSubmatch(r.Body, -1) {
			link := html.UnescapeString(m[1])
			skip := false
			for _, pre := range skipPrefix {
				skip = skip || strings.HasPrefix(link, pre)
			}
			if !skip && !seen[link] {
				pages = append(pages, link)
			}
		}
	}
	for len(apis) > 0 {
		path := apis[0]
		apis = apis[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		var body any
		r := v.api.Do("GET", path, nil, &body)
		out["GET "+path] = fmt.Sprintf("%d\n%s", r.Status, mask(r.Body))
		apis = append(apis, apiLinks(body)...)
	}
	return out
}

// apiLinks are the objects an API body names: assignments, responses and
// their kept submissions.
func apiLinks(body any) []string {
	var out []string
	var walk func(key string, v any, parent map[string]any)
	walk = func(key string, v any, parent map[string]any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(k, e, x)
			}
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					switch key {
					case "items", "responses", "replies":
						if id, ok := m["id"].(float64); ok && key == "responses" {
							out = append(out, fmt.Sprintf("/api/v1/responses/%d", int64(id)))
						}
						if id, ok := m["id"].(float64); ok && key == "items" && m["template_title"] != nil && m["response_id"] == nil {
							out = append(out, fmt.Sprintf("/api/v1/assignments/%d", int64(id)))
						}
					case "history":
						if id, ok := m["id"].(float64); ok {
							if r, ok := parent["id"].(float64); ok {
								out = append(out, fmt.Sprintf("/api/v1/responses/%d/submissions/%d", int64(r), int64(id)))
							}
						}
					}
				}
				walk(key, e, parent)
			}
		case float64:
			switch key {
			case "assignment_id":
				out = append(out, fmt.Sprintf("/api/v1/assignments/%d", int64(x)))
			case "response_id":
				out = append(out, fmt.Sprintf("/api/v1/responses/%d", int64(x)))
			}
		}
	}
	walk("", body, nil)
	return out
}

// compareViews fails on the first request whose answer moved, and on any
// request reached only before or only after.
func compareViews(t *testing.T, before, after map[string]string) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			t.Errorf("%s is reachable only after the hidden actions", k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, ok := after[k]
		switch {
		case !ok:
			t.Errorf("%s is reachable only before the hidden actions", k)
		case a != before[k]:
			t.Errorf("%s moved:\n%s", k, firstDiff(before[k], a))
		}
	}
}
