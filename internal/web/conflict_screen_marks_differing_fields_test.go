package web_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// After a stale save of a joint plan, the page shows the partner's newer
// text and, field by field, whether what the caller typed differs from it
// ("Differs", with the words only in each text marked) or is the same
// ("Same in both"); what was typed stays in the form.
func TestConflictScreenMarksDifferingFields(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, blair := p.app.Login("cora@h.test"), p.app.Login("blair@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	rid := p.response(t, a, 0).ID
	plan := map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "We talk it through the same evening.", "agree": true}
	if r := blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": plan, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("Blair's save: %d %s", r.Status, r.Body)
	}
	alex := p.app.Browser()
	alex.Login("alex@h.test")
	page := fmt.Sprintf("/responses/%d", rid)
	form := url.Values{"op": {"save"}, "version": {"1"}, "a.acceptable": {"Work friendships"}, "a.not_acceptable": {"Secret messaging"},
		"a.non_negotiables": {"No contact at all"}, "a.if_crossed": {"We talk it through the next morning."}, "a.agree": {"1"}}
	r := alex.Post(page, form, page)
	if r.Status != 409 {
		t.Fatalf("stale save: %d %s", r.Status, r.Body)
	}
	fields := regexp.MustCompile(`(?s)<dl class="changes conflict-fields">(.*?)</dl>`).FindStringSubmatch(r.Body)
	if fields == nil {
		t.Fatalf("no field-by-field comparison:\n%s", r.Body)
	}
	// Each field's <dt>, with its mark.
	marks := map[string]string{}
	for _, m := range regexp.MustCompile(`(?s)<dt[^>]*>(.*?) <span class="status (differs|same)">`).FindAllStringSubmatch(fields[1], -1) {
		marks[strings.TrimSpace(m[1])] = m[2]
	}
	want := map[string]string{"Things we agree are fine": "same", "Things we agree are not okay": "same",
		"Our non-negotiables": "differs", "What we&#39;ll do if a boundary is crossed": "differs", "Situations that stir up insecurity": "same"}
	for label, mark := range want {
		if marks[label] != mark {
			t.Errorf("%s: %q, want %q (all: %v)", label, marks[label], mark, marks)
		}
	}
	if !strings.Contains(r.Body, "2 of 9 answers differ from what you typed.") {
		t.Error("no summary of how many answers differ")
	}
	for _, s := range []string{">Differs<", ">Same in both<", `[only in the saved text: </span>same evening.`, `[only in yours: </span>next morning.`} {
		if !strings.Contains(fields[1], s) {
			t.Errorf("comparison lacks %q:\n%s", s, fields[1])
		}
	}
	// Nothing typed is lost: Alex's text is still in the form.
	if !strings.Contains(r.Body, "We talk it through the next morning.</textarea>") || !strings.Contains(r.Body, `value="No contact at all"`) {
		t.Fatalf("typed text lost:\n%s", r.Body)
	}
}
