package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The builder asks for no keys: each field's key comes from its question
// (two alike get distinct ones), and once saved it stays, so a question
// reworded after the exercise was assigned keeps its key and its answers.
// The API still takes a key a client sends, and one that sends none keeps
// the keys of the questions it leaves as they were.
func TestBuilderFieldKeysComeFromLabels(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	b, cora, alex := p.browser(t, "cora@h.test"), p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	form := url.Values{"title": {"Feelings"}, "category": {"reconnect"}, "suggested_mode": {"individual"}, "visibility": {"private"},
		"s0.title":   {"Now"},
		"s0.f0.type": {"short_text"}, "s0.f0.label": {"How do you feel?"}, "s0.f0.required": {"1"},
		"s0.f1.type": {"long_text"}, "s0.f1.label": {"How do you feel?"},
		"s0.f2.type": {"scale"}, "s0.f2.label": {"Trust (1–10)"}, "s0.f2.min": {"1"}, "s0.f2.max": {"10"},
		"op": {"save"}}
	r := b.Post("/library/new", form, "/library/new")
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	id := strings.TrimPrefix(r.Location, "/library/")
	keys := func(version string) []string {
		t.Helper()
		var tpl libTemplate
		path := "/api/v1/exercise-templates/" + id
		if version != "" {
			path += "/versions/" + version
		}
		if r := cora.Do("GET", path, nil, &tpl); r.Status != 200 {
			t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
		}
		var out []string
		for _, s := range tpl.Sections {
			for _, f := range s.Fields {
				out = append(out, f.Key)
			}
		}
		return out
	}
	want := "how_do_you_feel how_do_you_feel_2 trust_1_10"
	if got := strings.Join(keys(""), " "); got != want {
		t.Fatalf("keys %q, want %q", got, want)
	}

	// Assigned and answered under those keys.
	var tid int64
	fmt.Sscan(id, &tid)
	a := p.assign(t, cora, map[string]any{"template_id": tid, "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": map[string]any{"how_do_you_feel": "Calmer", "trust_1_10": 6}, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("answer: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}

	// Reworded in the builder after the assignment: the edit page carries
	// each saved key, and the new version keeps them.
	edit := r.Location + "/edit"
	e := b.Get(edit)
	for j, k := range strings.Fields(want) {
		if h := fmt.Sprintf(`<input type="hidden" name="s0.f%d.key" value="%s">`, j, k); !strings.Contains(e.Body, h) {
			t.Fatalf("the edit page lacks %s", h)
		}
	}
	ed := url.Values{}
	for k, v := range form {
		ed[k] = v
	}
	ed.Set("s0.f0.key", "how_do_you_feel")
	ed.Set("s0.f1.key", "how_do_you_feel_2")
	ed.Set("s0.f2.key", "trust_1_10")
	ed.Set("s0.f0.label", "How do you feel today?")
	ed.Set("s0.f3.type", "date") // and a new field, labelled like the first one once was
	ed.Set("s0.f3.label", "How do you feel?")
	if r := b.Post(edit, ed, edit); r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", r.Status, r.Body)
	}
	if got := strings.Join(keys("2"), " "); got != want+" how_do_you_feel_3" {
		t.Fatalf("after rewording: keys %q", got)
	}
	if v1 := strings.Join(keys("1"), " "); v1 != want {
		t.Fatalf("version 1 keys moved: %q", v1)
	}
	var resp struct {
		Response struct {
			Answers map[string]any `json:"answers"`
		} `json:"response"`
	}
	cora.Do("GET", fmt.Sprintf("/api/v1/responses/%d", rid), nil, &resp)
	if resp.Response.Answers["how_do_you_feel"] != "Calmer" {
		t.Errorf("the submitted answer lost its key: %v", resp.Response.Answers)
	}

	// The API: a key sent is kept; none sent keeps the unchanged questions' keys.
	body := map[string]any{"title": "Feelings", "category": "reconnect", "suggested_mode": "individual", "visibility": "private",
		"sections": []map[string]any{{"title": "Now", "fields": []map[string]any{
			{"type": "short_text", "label": "How do you feel today?"},
			{"type": "long_text", "label": "How do you feel?", "key": "mine"},
			{"type": "scale", "label": "Trust (1–10)", "min": 1, "max": 10},
		}}}}
	if r := cora.Do("PUT", "/api/v1/exercise-templates/"+id, body, nil); r.Status != 200 {
		t.Fatalf("API update: %d %s", r.Status, r.Body)
	}
	if got := strings.Join(keys(""), " "); got != "how_do_you_feel mine trust_1_10" {
		t.Errorf("API update keys %q", got)
	}
}
