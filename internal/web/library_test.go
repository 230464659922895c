package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/library"
)

type libTemplate struct {
	ID         int64  `json:"id"`
	Slug       string `json:"slug"`
	Title      string `json:"title"`
	Version    int    `json:"version"`
	Visibility string `json:"visibility"`
	Mine       bool   `json:"mine"`
	ChangeNote string `json:"change_note"`
	ArchivedAt *string
	Sections   []exercise.Section `json:"sections"`
	Versions   []struct {
		Version    int    `json:"version"`
		ChangeNote string `json:"change_note"`
	} `json:"versions"`
}

type libList struct {
	Items []libTemplate `json:"items"`
	Next  *string       `json:"next"`
}

func libSetup(t *testing.T) (*apptest.App, int64, int64) {
	app := apptest.New(t)
	a, b := app.Clinic("Harbor"), app.Clinic("Northside")
	app.User(a, "counselor", "cora@a.test", "Cora Counselor")
	app.User(a, "counselor", "carl@a.test", "Carl Counselor")
	app.User(a, "client", "client@a.test", "Cliff Client")
	app.User(b, "counselor", "nina@b.test", "Nina North")
	return app, a, b
}

func libDraft(title, vis string) map[string]any {
	return map[string]any{
		"title": title, "category": "reconnect", "description": "Plan time together.", "instructions": "Fill it in together.",
		"suggested_mode": "joint", "visibility": vis,
		"sections": []map[string]any{{"title": "Plan", "fields": []map[string]any{
			{"key": "what", "type": "short_text", "label": "What will you do?", "required": true, "max_length": 200},
			{"key": "feel", "type": "scale", "label": "How close do you feel?", "min": 1, "max": 5, "min_label": "Far", "max_label": "Close"},
			{"key": "agree", "type": "agreement", "label": "We will keep this time free."},
		}}},
	}
}

func TestLibraryBuiltinsRenderThroughPages(t *testing.T) {
	t.Parallel()
	app, _, _ := libSetup(t)
	api := app.Login("cora@a.test")
	var list libList
	if r := api.Do("GET", "/api/v1/exercise-templates?limit=100", nil, &list); r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if len(list.Items) != len(library.BuiltinTemplates()) || list.Next != nil {
		t.Fatalf("%d items (next %v), want %d built-ins", len(list.Items), list.Next, len(library.BuiltinTemplates()))
	}
	b := app.Browser()
	b.Login("cora@a.test")
	lib := b.Get("/library")
	if lib.Status != 200 || !strings.Contains(lib.Body, `href="/library"`) {
		t.Fatalf("library page: %d", lib.Status)
	}
	for _, it := range list.Items {
		if !strings.Contains(lib.Body, html.EscapeString(it.Title)) {
			t.Errorf("library page lacks %q", it.Title)
		}
		bt, ok := library.BuiltinTemplate(it.Slug)
		if !ok {
			t.Fatalf("unknown slug %q", it.Slug)
		}
		if errs := bt.Validate(); errs != nil {
			t.Errorf("%s: %v", it.Slug, errs)
		}
		p := b.Get(fmt.Sprintf("/library/%d", it.ID))
		if p.Status != 200 || !strings.Contains(p.Body, `class="ex-form ex-disabled"`) || !strings.Contains(p.Body, "Versions") {
			t.Errorf("%s page: %d", it.Slug, p.Status)
		}
		for _, f := range bt.Schema.Fields() {
			if !strings.Contains(p.Body, `name="`+exercise.InputName(f.Key)) {
				t.Errorf("%s preview lacks field %s", it.Slug, f.Key)
			}
		}
		for _, view := range []string{"", "?view=readonly"} {
			if r := b.Get(fmt.Sprintf("/library/%d/print%s", it.ID, view)); r.Status != 200 || strings.Contains(r.Body, "ex-form") {
				t.Errorf("%s print%s: %d", it.Slug, view, r.Status)
			}
		}
		if r := b.Get(fmt.Sprintf("/library/%d/versions/1", it.ID)); r.Status != 200 {
			t.Errorf("%s v1: %d", it.Slug, r.Status)
		}
	}
	// Filters and search narrow the list.
	if r := b.Get("/library?category=safety"); !strings.Contains(r.Body, "Safety") || strings.Contains(r.Body, "Apology letter") {
		t.Error("category filter did not narrow the list")
	}
	var page1, page2 libList
	api.Do("GET", "/api/v1/exercise-templates?limit=5", nil, &page1)
	if page1.Next == nil || len(page1.Items) != 5 {
		t.Fatalf("page 1: %d items", len(page1.Items))
	}
	api.Do("GET", "/api/v1/exercise-templates?limit=5&after="+url.QueryEscape(*page1.Next), nil, &page2)
	if len(page2.Items) != 5 || page2.Items[0].ID == page1.Items[0].ID {
		t.Fatal("page 2 repeats page 1")
	}
	if r := api.Do("GET", "/api/v1/exercise-templates?after=%25%25", nil, nil); r.Status != 400 {
		t.Fatalf("bad cursor: %d", r.Status)
	}
	if r := api.Do("GET", "/api/v1/exercise-templates?limit=0", nil, nil); r.Status != 400 {
		t.Fatalf("bad limit: %d", r.Status)
	}
}

func TestLibraryTemplateAPI(t *testing.T) {
	t.Parallel()
	app, _, _ := libSetup(t)
	api := app.Login("cora@a.test")

	bad := libDraft("Bad", "private")
	secs := bad["sections"].([]map[string]any)
	fields := secs[0]["fields"].([]map[string]any)
	fields[1]["min"], fields[1]["max"] = 5, 5
	fields = append(fields, map[string]any{"key": "pick", "type": "single_choice", "label": "Pick one"})
	secs[0]["fields"] = fields
	var errBody struct {
		Error  string            `json:"error"`
		Fields map[string]string `json:"fields"`
	}
	if r := api.Do("POST", "/api/v1/exercise-templates", bad, &errBody); r.Status != 422 {
		t.Fatalf("invalid schema: %d %s", r.Status, r.Body)
	}
	if errBody.Error == "" || errBody.Fields["sections[0].fields[1].max"] == "" || errBody.Fields["sections[0].fields[3].options"] == "" {
		t.Fatalf("422 body: %+v", errBody)
	}

	var created libTemplate
	r := api.Do("POST", "/api/v1/exercise-templates", libDraft("Date night", "private"), &created)
	if r.Status != 201 || created.ID == 0 || created.Version != 1 || created.Title != "Date night" || len(created.Sections[0].Fields) != 3 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if f := created.Sections[0].Fields[1]; f.Min == nil || *f.Min != 1 || f.MaxLabel != "Close" {
		t.Fatalf("scale came back as %+v", f)
	}
	upd := libDraft("Date night plan", "clinic")
	var updated libTemplate
	if r := api.Do("PUT", fmt.Sprintf("/api/v1/exercise-templates/%d", created.ID), upd, &updated); r.Status != 200 || updated.Version != 2 || updated.Visibility != "clinic" {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(updated.ChangeNote, "Title changed") || len(updated.Versions) != 2 {
		t.Fatalf("update note %q, versions %d", updated.ChangeNote, len(updated.Versions))
	}
	var v1 libTemplate
	if r := api.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d/versions/1", created.ID), nil, &v1); r.Status != 200 || v1.Title != "Date night" {
		t.Fatalf("v1: %d %s", r.Status, r.Body)
	}
	if r := api.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d/versions/9", created.ID), nil, nil); r.Status != 404 {
		t.Fatalf("v9: %d", r.Status)
	}
	if r := api.Do("PUT", fmt.Sprintf("/api/v1/exercise-templates/%d", created.ID), map[string]any{"title": ""}, &errBody); r.Status != 422 || errBody.Fields["title"] == "" {
		t.Fatalf("invalid update: %d %s", r.Status, r.Body)
	}

	// Clone a built-in, then edit the copy; the built-in itself can't be edited.
	var list libList
	api.Do("GET", "/api/v1/exercise-templates?q=apology", nil, &list)
	if len(list.Items) == 0 {
		t.Fatal("search for apology found nothing")
	}
	builtin := list.Items[0]
	if r := api.Do("PUT", fmt.Sprintf("/api/v1/exercise-templates/%d", builtin.ID), libDraft("Mine now", "private"), &errBody); r.Status != 409 || !strings.Contains(errBody.Error, "Clone it") {
		t.Fatalf("edit built-in: %d %s", r.Status, r.Body)
	}
	var clone libTemplate
	if r := api.Do("POST", fmt.Sprintf("/api/v1/exercise-templates/%d/clone", builtin.ID), nil, &clone); r.Status != 201 || !clone.Mine || clone.Visibility != "private" || !strings.HasSuffix(clone.Title, "(copy)") {
		t.Fatalf("clone: %d %s", r.Status, r.Body)
	}
	var fullClone map[string]any
	api.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d", clone.ID), nil, &fullClone)
	fullClone["title"] = "Our apology letter"
	var edited libTemplate
	if r := api.Do("PUT", fmt.Sprintf("/api/v1/exercise-templates/%d", clone.ID), fullClone, &edited); r.Status != 200 || edited.Version != 2 {
		t.Fatalf("edit clone: %d %s", r.Status, r.Body)
	}

	// Archive: gone from the list, still readable.
	if r := api.Do("POST", fmt.Sprintf("/api/v1/exercise-templates/%d/archive", clone.ID), nil, nil); r.Status != 200 {
		t.Fatalf("archive: %d %s", r.Status, r.Body)
	}
	api.Do("GET", "/api/v1/exercise-templates?q=apology", nil, &list)
	for _, it := range list.Items {
		if it.ID == clone.ID {
			t.Fatal("archived template still listed")
		}
	}
	if r := api.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d", clone.ID), nil, nil); r.Status != 200 {
		t.Fatalf("archived GET: %d", r.Status)
	}
	if r := api.Do("GET", fmt.Sprintf("/api/v1/exercise-templates/%d/versions/1", clone.ID), nil, nil); r.Status != 200 {
		t.Fatalf("archived v1: %d", r.Status)
	}
	if r := api.Do("POST", "/api/v1/exercise-templates", "{", nil); r.Status != 400 {
		t.Fatalf("malformed JSON: %d", r.Status)
	}
}

func TestLibraryVisibilityAndPermissions(t *testing.T) {
	t.Parallel()
	app, _, _ := libSetup(t)
	cora := app.Login("cora@a.test")
	var priv, shared libTemplate
	cora.Do("POST", "/api/v1/exercise-templates", libDraft("Cora private", "private"), &priv)
	cora.Do("POST", "/api/v1/exercise-templates", libDraft("Cora shared", "clinic"), &shared)
	if priv.ID == 0 || shared.ID == 0 {
		t.Fatal("create failed")
	}
	carl, nina := app.Login("carl@a.test"), app.Login("nina@b.test")
	path := func(id int64) string { return fmt.Sprintf("/api/v1/exercise-templates/%d", id) }
	if r := carl.Do("GET", path(priv.ID), nil, nil); r.Status != 404 {
		t.Errorf("colleague reads private template: %d", r.Status)
	}
	if r := carl.Do("POST", path(priv.ID)+"/clone", nil, nil); r.Status != 404 {
		t.Errorf("colleague clones private template: %d", r.Status)
	}
	if r := carl.Do("GET", path(shared.ID), nil, nil); r.Status != 200 {
		t.Errorf("colleague reads shared template: %d", r.Status)
	}
	if r := carl.Do("PUT", path(shared.ID), libDraft("x", "clinic"), nil); r.Status != 403 {
		t.Errorf("colleague edits shared template: %d", r.Status)
	}
	for _, id := range []int64{priv.ID, shared.ID} {
		if r := nina.Do("GET", path(id), nil, nil); r.Status != 404 {
			t.Errorf("other clinic reads %d: %d", id, r.Status)
		}
	}
	var list libList
	carl.Do("GET", "/api/v1/exercise-templates?q=cora", nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != shared.ID {
		t.Errorf("colleague list: %+v", list.Items)
	}
	nina.Do("GET", "/api/v1/exercise-templates?q=cora", nil, &list)
	if len(list.Items) != 0 {
		t.Errorf("other clinic list: %+v", list.Items)
	}

	// Pages agree.
	cb := app.Browser()
	cb.Login("carl@a.test")
	if r := cb.Get(fmt.Sprintf("/library/%d", priv.ID)); r.Status != 404 {
		t.Errorf("colleague private page: %d", r.Status)
	}
	if r := cb.Get(fmt.Sprintf("/library/%d", shared.ID)); r.Status != 200 || !strings.Contains(r.Body, "Clinic") || strings.Contains(r.Body, "/edit\"") {
		t.Errorf("colleague shared page: %d", r.Status)
	}
	if r := cb.Get(fmt.Sprintf("/library/%d/edit", shared.ID)); r.Status != 403 {
		t.Errorf("colleague edit page: %d", r.Status)
	}
	if r := cb.Post(fmt.Sprintf("/library/%d/archive", shared.ID), nil, "/library"); r.Status != 403 {
		t.Errorf("colleague archive: %d", r.Status)
	}
	nb := app.Browser()
	nb.Login("nina@b.test")
	if r := nb.Get(fmt.Sprintf("/library/%d/print", shared.ID)); r.Status != 404 {
		t.Errorf("other clinic print page: %d", r.Status)
	}

	// Clients can't list or open the library.
	client := app.Login("client@a.test")
	if r := client.Do("GET", "/api/v1/exercise-templates", nil, nil); r.Status != 403 {
		t.Errorf("client API list: %d", r.Status)
	}
	if r := client.Do("GET", path(shared.ID), nil, nil); r.Status != 403 {
		t.Errorf("client API open: %d", r.Status)
	}
	clb := app.Browser()
	clb.Login("client@a.test")
	if r := clb.Get("/library"); r.Status != 403 {
		t.Errorf("client page list: %d", r.Status)
	}
	if r := clb.Get(fmt.Sprintf("/library/%d", shared.ID)); r.Status != 403 {
		t.Errorf("client page open: %d", r.Status)
	}
	if r := clb.Get("/"); strings.Contains(r.Body, `href="/library"`) {
		t.Error("client navigation shows the library")
	}
}

// builderForm is a complete builder form with two sections, as a new
// exercise posts it: no keys (they come from the questions on saving).
func libBuilderForm() url.Values {
	return url.Values{
		"title": {"Evening <walk>"}, "category": {"reconnect"}, "suggested_mode": {"each"}, "audience": {""},
		"description": {"For couples rebuilding routine."}, "instructions": {"Walk, then write.\n\nBe kind."},
		"visibility": {"clinic"},
		"s0.title":   {"Before"}, "s0.intro": {"Set the scene."},
		"s0.f0.type": {"short_text"}, "s0.f0.label": {"Where will you walk?"}, "s0.f0.help": {"Any place."},
		"s0.f0.required": {"1"}, "s0.f0.max_length": {"120"},
		"s0.f1.type": {"single_choice"}, "s0.f1.label": {"Mood"}, "s0.f1.options": {"Calm\nTense\nHopeful"},
		"s1.title":   {"After"},
		"s1.f0.type": {"scale"}, "s1.f0.label": {"How was it?"}, "s1.f0.min": {"1"}, "s1.f0.max": {"10"},
		"s1.f0.min_label": {"Hard"}, "s1.f0.max_label": {"Lovely"},
	}
}

func libClone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestLibraryBuilderWithoutJS(t *testing.T) {
	t.Parallel()
	app, _, _ := libSetup(t)
	b := app.Browser()
	b.Login("cora@a.test")
	if r := b.Get("/library/new"); r.Status != 200 || !strings.Contains(r.Body, `name="s0.f0.label"`) ||
		strings.Contains(r.Body, `.key"`) || strings.Contains(r.Body, "Key (") {
		t.Fatalf("new page: %d, or it asks for a key", r.Status)
	}
	keeps := func(r apptest.Response, what ...string) {
		t.Helper()
		if r.Status != 200 {
			t.Fatalf("status %d\n%s", r.Status, r.Body)
		}
		for _, w := range what {
			if !strings.Contains(r.Body, w) {
				t.Errorf("re-rendered builder lacks %s", w)
			}
		}
	}
	post := func(f url.Values, op string) apptest.Response {
		f = libClone(f)
		f.Set("op", op)
		return b.Post("/library/new", f, "/library/new")
	}
	base := libBuilderForm()
	all := []string{`value="Evening &lt;walk&gt;"`, "Walk, then write.\n\nBe kind.", `value="Where will you walk?"`, `value="Any place."`,
		"Calm\nTense\nHopeful", `value="Lovely"`, `value="clinic" checked`, `value="120"`}

	r := post(base, "add_field:0")
	keeps(r, append(all, `name="s0.f2.label" type="text" value=""`)...)
	r = post(base, "add_section")
	keeps(r, append(all, `name="s2.title"`)...)
	r = post(base, "move_field_down:0:0")
	keeps(r, append(all, `name="s0.f1.label" type="text" value="Where will you walk?"`, `name="s0.f0.label" type="text" value="Mood"`)...)
	r = post(base, "move_field_down:0:1") // last field moves to the next section
	keeps(r, `name="s1.f0.label" type="text" value="Mood"`, `name="s1.f1.label" type="text" value="How was it?"`)
	r = post(base, "move_section_up:1")
	keeps(r, append(all, `name="s0.title" type="text" value="After"`)...)
	r = post(base, "remove_field:0:1")
	keeps(r, `value="Where will you walk?"`, `value="Lovely"`)
	if strings.Contains(r.Body, "Hopeful") {
		t.Error("removed field still shown")
	}
	r = post(base, "remove_section:0")
	keeps(r, `name="s0.title" type="text" value="After"`)
	r = post(base, "preview")
	keeps(r, append(all, `class="ex-form ex-disabled"`, "Lovely")...)
	if r := post(base, "remove_field:7:7"); r.Status != 400 {
		t.Errorf("stale op: %d", r.Status)
	}

	// Invalid save: 422, errors beside the inputs, nothing lost.
	bad := libClone(base)
	bad.Set("s0.f1.options", "")
	bad.Set("s1.f0.min", "10")
	bad.Set("s1.f0.max", "ten")
	r = post(bad, "save")
	if r.Status != 422 {
		t.Fatalf("invalid save: %d", r.Status)
	}
	for _, id := range []string{`id="e-s1.f0.max"`} {
		if !strings.Contains(r.Body, id) {
			t.Errorf("422 page lacks %s", id)
		}
	}
	bad.Set("s1.f0.max", "1")
	r = post(bad, "save")
	if r.Status != 422 {
		t.Fatalf("invalid save: %d", r.Status)
	}
	for _, id := range []string{`id="e-s0.f1.options"`, `id="e-s1.f0.max"`, `value="Where will you walk?"`, `value="Lovely"`} {
		if !strings.Contains(r.Body, id) {
			t.Errorf("422 page lacks %s", id)
		}
	}

	// Valid save: 303 to the new template, which previews the form.
	r = post(base, "save")
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/library/") {
		t.Fatalf("save: %d %s", r.Status, r.Location)
	}
	p := b.Get(r.Location)
	if p.Status != 200 || !strings.Contains(p.Body, "Saved.") || !strings.Contains(p.Body, "Evening &lt;walk&gt;") ||
		!strings.Contains(p.Body, `class="ex-form ex-disabled"`) || !strings.Contains(p.Body, "Be kind.") {
		t.Fatalf("saved page: %d", p.Status)
	}
	if strings.Contains(p.Body, "<walk>") {
		t.Fatal("title not escaped")
	}

	// Edit through the builder: a new version, with what changed.
	edit := r.Location + "/edit"
	e := b.Get(edit)
	if e.Status != 200 || !strings.Contains(e.Body, `value="Where will you walk?"`) || !strings.Contains(e.Body, "Calm\nTense\nHopeful") {
		t.Fatalf("edit page: %d", e.Status)
	}
	if !strings.Contains(e.Body, `<input type="hidden" name="s0.f0.key" value="where_will_you_walk">`) {
		t.Fatal("the edit page does not carry the saved field's key")
	}
	ed := libClone(base)
	ed.Set("s0.f0.key", "where_will_you_walk") // as the edit page posts it
	ed.Set("s0.f1.key", "mood")
	ed.Set("s1.f0.key", "how_was_it")
	ed.Set("s0.f0.label", "Where shall we walk?")
	ed.Set("op", "save")
	r2 := b.Post(edit, ed, edit)
	if r2.Status != http.StatusSeeOther {
		t.Fatalf("edit save: %d %s", r2.Status, r2.Body)
	}
	p = b.Get(r.Location)
	if !strings.Contains(p.Body, "Saved as version 2.") || !strings.Contains(p.Body, "label changed") {
		t.Fatal("edited page lacks version 2 and its change note")
	}
	if v1 := b.Get(r.Location + "/versions/1"); v1.Status != 200 || !strings.Contains(v1.Body, "Where will you walk?") {
		t.Fatalf("v1 page: %d", v1.Status)
	}

	// Clone a built-in from its page and edit the copy.
	api := app.Login("cora@a.test")
	var list libList
	api.Do("GET", "/api/v1/exercise-templates?q=boundar", nil, &list)
	if len(list.Items) == 0 {
		t.Fatal("no boundary worksheet")
	}
	bid := list.Items[0].ID
	if r := b.Get(fmt.Sprintf("/library/%d/edit", bid)); r.Status != 409 {
		t.Fatalf("edit built-in page: %d", r.Status)
	}
	c := b.Post(fmt.Sprintf("/library/%d/clone", bid), nil, fmt.Sprintf("/library/%d", bid))
	if c.Status != http.StatusSeeOther || !strings.HasSuffix(c.Location, "/edit") {
		t.Fatalf("clone: %d %s", c.Status, c.Location)
	}
	cp := b.Get(c.Location)
	if cp.Status != 200 || !strings.Contains(cp.Body, "(copy)") {
		t.Fatalf("clone edit page: %d", cp.Status)
	}
	// Archive from the page.
	id := strings.TrimSuffix(strings.TrimPrefix(c.Location, "/library/"), "/edit")
	a := b.Post("/library/"+id+"/archive", nil, "/library/"+id)
	if a.Status != http.StatusSeeOther {
		t.Fatalf("archive: %d", a.Status)
	}
	if p := b.Get("/library/" + id); p.Status != 200 || !strings.Contains(p.Body, "Archived") {
		t.Fatalf("archived page: %d", p.Status)
	}
	if l := b.Get("/library?q=boundar"); strings.Contains(l.Body, "(copy)") {
		t.Fatal("archived copy still listed")
	}
	if l := b.Get("/library?archived=1"); !strings.Contains(l.Body, "(copy)") {
		t.Fatal("archived list lacks the copy")
	}
}
