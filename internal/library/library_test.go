package library_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/pgtest"
)

type fixture struct {
	db    *sqlx.DB
	svc   *library.Service
	acc   *account.Service
	ctx   context.Context
	alice actor.Actor // counselor, clinic 1
	bob   actor.Actor // counselor, clinic 1
	carol actor.Actor // counselor, clinic 2
}

func setup(t *testing.T) fixture {
	t.Helper()
	d := pgtest.NewDB(t)
	ctx := context.Background()
	if err := library.SyncBuiltins(ctx, d); err != nil {
		t.Fatal(err)
	}
	al := audit.New(make([]byte, 32))
	acc := account.NewService(d, al, nil)
	f := fixture{db: d, svc: library.NewService(d, al), acc: acc, ctx: ctx}
	c1, err := acc.CreateClinic(ctx, actor.System, "One")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := acc.CreateClinic(ctx, actor.System, "Two")
	if err != nil {
		t.Fatal(err)
	}
	user := func(clinic int64, email string) actor.Actor {
		id, err := acc.CreateUser(ctx, actor.System, account.NewUser{ClinicID: clinic, Role: actor.RoleCounselor,
			Email: email, Name: email, Password: "correct-horse-battery-staple-42"})
		if err != nil {
			t.Fatal(err)
		}
		return actor.Actor{UserID: id, ClinicID: clinic, Roles: []string{actor.RoleCounselor}, RequestID: "test"}
	}
	f.alice, f.bob, f.carol = user(c1, "alice@example.org"), user(c1, "bob@example.org"), user(c2, "carol@example.org")
	return f
}

func draft(title, vis string) library.Draft {
	return library.Draft{Title: title, Category: exercise.CategoryReconnect, Description: "Purpose. More.",
		Instructions: "Fill it in.", SuggestedMode: exercise.ModeEach, Visibility: vis,
		Sections: []exercise.Section{{Title: "Start", Fields: []exercise.Field{
			{Key: "note", Type: exercise.TypeLongText, Label: "What do you notice?", Required: true},
		}}}}
}

func code(t *testing.T, err error, want apperr.Code) {
	t.Helper()
	if apperr.CodeOf(err) != want {
		t.Fatalf("got %v, want code %s", err, want)
	}
}

func allItems(t *testing.T, f fixture, a actor.Actor, fl library.Filter) []library.Summary {
	t.Helper()
	var out []library.Summary
	for {
		p, err := f.svc.List(f.ctx, a, fl)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Items...)
		if p.Next == "" {
			return out
		}
		fl.After = p.Next
	}
}

func TestLibrarySyncBuiltinsIdempotent(t *testing.T) {
	f := setup(t)
	count := func() (n, v int) {
		f.db.Get(&n, `SELECT count(*) FROM exercise_templates`)
		f.db.Get(&v, `SELECT count(*) FROM template_versions`)
		return
	}
	n1, v1 := count()
	if n1 != len(library.BuiltinTemplates()) || v1 != n1 {
		t.Fatalf("after sync: %d templates, %d versions; want %d each", n1, v1, len(library.BuiltinTemplates()))
	}
	if err := library.SyncBuiltins(f.ctx, f.db); err != nil {
		t.Fatal(err)
	}
	if n2, v2 := count(); n2 != n1 || v2 != v1 {
		t.Fatalf("second sync changed rows: %d/%d -> %d/%d", n1, v1, n2, v2)
	}
	// A built-in whose stored content differs gets a new version; v1 stays.
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM exercise_templates WHERE slug = $1`, exercise.DailyCheckInSlug); err != nil {
		t.Fatal(err)
	}
	old, _ := exercise.Builtin(exercise.DailyCheckInSlug)
	// Simulate an older release: store a v2 with different wording, then sync.
	f.db.MustExec(`INSERT INTO template_versions (template_id, version, title, category, description, instructions, suggested_mode, audience, schema, change_note)
		SELECT template_id, 2, 'Old title', category, description, instructions, suggested_mode, audience, schema, 'test' FROM template_versions WHERE template_id = $1 AND version = 1`, id)
	f.db.MustExec(`UPDATE exercise_templates SET current_version = 2, title = 'Old title' WHERE id = $1`, id)
	if err := library.SyncBuiltins(f.ctx, f.db); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Get(f.ctx, f.alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 3 || d.Title != old.Title || !strings.Contains(d.ChangeNote, "Title changed") {
		t.Fatalf("after resync: v%d %q note %q", d.Version, d.Title, d.ChangeNote)
	}
	if v2, _ := f.svc.Version(f.ctx, f.alice, id, 2); v2.Title != "Old title" {
		t.Fatalf("v2 changed: %q", v2.Title)
	}
}

func TestLibraryBuiltinsVisibleEverywhere(t *testing.T) {
	f := setup(t)
	for _, a := range []actor.Actor{f.alice, f.carol} {
		items := allItems(t, f, a, library.Filter{Limit: 5})
		if len(items) != len(library.BuiltinTemplates()) {
			t.Fatalf("clinic %d sees %d items", a.ClinicID, len(items))
		}
		for _, it := range items {
			d, err := f.svc.Get(f.ctx, a, it.ID)
			if err != nil {
				t.Fatal(err)
			}
			if errs := d.Exercise().Validate(); errs != nil {
				t.Errorf("%s: %v", d.Slug, errs)
			}
		}
	}
}

func TestLibraryVersionPinning(t *testing.T) {
	f := setup(t)
	d, err := f.svc.Create(f.ctx, f.alice, draft("Walk together", library.Private))
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || !d.Mine || d.Visibility != library.Private {
		t.Fatalf("created: %+v", d)
	}
	nd := draft("Walk together often", library.Private)
	nd.Sections[0].Fields = append(nd.Sections[0].Fields, exercise.Field{Key: "when", Type: exercise.TypeDate, Label: "When?"})
	nd.Sections[0].Fields[0].Label = "What did you notice?"
	d2, err := f.svc.Update(f.ctx, f.alice, d.ID, nd)
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version != 2 || len(d2.Versions) != 2 {
		t.Fatalf("update: v%d, %d versions", d2.Version, len(d2.Versions))
	}
	for _, want := range []string{"Title changed", "Field “When?” added", "label changed"} {
		if !strings.Contains(d2.ChangeNote, want) {
			t.Errorf("change note %q lacks %q", d2.ChangeNote, want)
		}
	}
	v1, err := f.svc.Version(f.ctx, f.alice, d.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Title != "Walk together" || len(v1.Sections[0].Fields) != 1 {
		t.Fatalf("v1 changed: %+v", v1)
	}
	// Unchanged save: no new version.
	if d3, err := f.svc.Update(f.ctx, f.alice, d.ID, nd); err != nil || d3.Version != 2 {
		t.Fatalf("no-op update: v%d %v", d3.Version, err)
	}
	_, err = f.db.Exec(`UPDATE template_versions SET title = 'x' WHERE template_id = $1 AND version = 1`, d.ID)
	if err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("update of a version: %v", err)
	}
	_, err = f.db.Exec(`DELETE FROM template_versions WHERE template_id = $1`, d.ID)
	if err == nil {
		t.Fatal("delete of versions allowed")
	}
	_, err = f.svc.Version(f.ctx, f.alice, d.ID, 3)
	code(t, err, apperr.NotFound)
}

func TestLibraryValidation(t *testing.T) {
	f := setup(t)
	bad := draft("", "public")
	bad.Sections[0].Fields = append(bad.Sections[0].Fields,
		exercise.Field{Key: "note", Type: exercise.TypeSingleChoice, Label: "Pick"})
	_, err := f.svc.Create(f.ctx, f.alice, bad)
	code(t, err, apperr.Invalid)
	ae, _ := apperr.As(err)
	for _, k := range []string{"title", "visibility", "sections[0].fields[1].key", "sections[0].fields[1].options"} {
		if ae.Fields[k] == "" {
			t.Errorf("no error for %s in %v", k, ae.Fields)
		}
	}
}

func TestLibraryVisibility(t *testing.T) {
	f := setup(t)
	priv, err := f.svc.Create(f.ctx, f.alice, draft("Alice private", library.Private))
	if err != nil {
		t.Fatal(err)
	}
	shared, err := f.svc.Create(f.ctx, f.alice, draft("Alice shared", library.Clinic))
	if err != nil {
		t.Fatal(err)
	}
	// Bob (same clinic): sees shared, not private.
	_, err = f.svc.Get(f.ctx, f.bob, priv.ID)
	code(t, err, apperr.NotFound)
	_, err = f.svc.Clone(f.ctx, f.bob, priv.ID)
	code(t, err, apperr.NotFound)
	if _, err := f.svc.Get(f.ctx, f.bob, shared.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Update(f.ctx, f.bob, shared.ID, draft("Hijack", library.Clinic))
	code(t, err, apperr.Forbidden)
	_, err = f.svc.Archive(f.ctx, f.bob, shared.ID)
	code(t, err, apperr.Forbidden)
	// Carol (other clinic): sees neither.
	for _, id := range []int64{priv.ID, shared.ID} {
		_, err = f.svc.Get(f.ctx, f.carol, id)
		code(t, err, apperr.NotFound)
		_, err = f.svc.Version(f.ctx, f.carol, id, 1)
		code(t, err, apperr.NotFound)
	}
	titles := func(a actor.Actor, fl library.Filter) map[string]bool {
		m := map[string]bool{}
		for _, it := range allItems(t, f, a, fl) {
			m[it.Title] = true
		}
		return m
	}
	if b := titles(f.bob, library.Filter{}); b["Alice private"] || !b["Alice shared"] {
		t.Fatalf("bob sees %v", b)
	}
	if c := titles(f.carol, library.Filter{}); c["Alice private"] || c["Alice shared"] {
		t.Fatalf("carol sees %v", c)
	}
	if a := titles(f.alice, library.Filter{Q: "alice"}); len(a) != 2 {
		t.Fatalf("alice search: %v", a)
	}
	if a := titles(f.alice, library.Filter{Category: "safety"}); len(a) != 1 {
		t.Fatalf("safety filter: %v", a)
	}
	if a := titles(f.alice, library.Filter{Q: "100%_"}); len(a) != 0 {
		t.Fatalf("like escape: %v", a)
	}
	_, err = f.svc.List(f.ctx, f.alice, library.Filter{After: "garbage!"})
	code(t, err, apperr.BadRequest)
	_, err = f.svc.List(f.ctx, f.alice, library.Filter{Category: "nope"})
	code(t, err, apperr.Invalid)
}

func TestLibraryCloneAndArchive(t *testing.T) {
	f := setup(t)
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM exercise_templates WHERE slug = $1`, exercise.SafetyCheckSlug); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Update(f.ctx, f.alice, id, draft("x", library.Private))
	code(t, err, apperr.Conflict)
	_, err = f.svc.Archive(f.ctx, f.alice, id)
	code(t, err, apperr.Conflict)
	c, err := f.svc.Clone(f.ctx, f.alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Mine || c.Visibility != library.Private || !strings.HasSuffix(c.Title, "(copy)") || !c.Private || c.Slug != "" {
		t.Fatalf("clone: %+v", c)
	}
	dr := c.Draft()
	dr.Title = "My safety check"
	u, err := f.svc.Update(f.ctx, f.alice, c.ID, dr)
	if err != nil {
		t.Fatal(err)
	}
	if u.Version != 2 || !u.Private {
		t.Fatalf("edited clone: v%d private=%v", u.Version, u.Private)
	}
	a, err := f.svc.Archive(f.ctx, f.alice, c.ID)
	if err != nil || !a.Archived() {
		t.Fatalf("archive: %v %v", a.ArchivedAt, err)
	}
	for _, it := range allItems(t, f, f.alice, library.Filter{}) {
		if it.ID == c.ID {
			t.Fatal("archived template listed")
		}
	}
	if arch := allItems(t, f, f.alice, library.Filter{Archived: true}); len(arch) != 1 || arch[0].ID != c.ID {
		t.Fatalf("archived list: %+v", arch)
	}
	if _, err := f.svc.Version(f.ctx, f.alice, c.ID, 1); err != nil {
		t.Fatal(err)
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM audit_log WHERE action LIKE 'template.%'`)
	if n != 3 {
		t.Fatalf("audit events: %d, want 3 (clone, update, archive)", n)
	}
}
