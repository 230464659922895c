package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/measure"
)

func init() {
	extraNav = append(extraNav, struct{ role, label, href string }{actor.RoleCounselor, "Library", "/library"})
	funcs["paras"] = paragraphs
	funcs["inc"] = func(i int) int { return i + 1 }
	funcs["deref"] = func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	}
}

// paragraphs splits text on blank lines, for showing long text with its
// paragraphs (each one escaped by the template).
func paragraphs(s string) []string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	var out []string
	for _, p := range strings.Split(s, "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type option struct{ Value, Label string }

var fieldTypeLabels = []option{
	{string(exercise.TypeShortText), "Short text"},
	{string(exercise.TypeLongText), "Long text"},
	{string(exercise.TypeList), "List of items"},
	{string(exercise.TypeScale), "Scale"},
	{string(exercise.TypeSingleChoice), "Single choice"},
	{string(exercise.TypeMultiChoice), "Multiple choice"},
	{string(exercise.TypeCheckbox), "Checkbox"},
	{string(exercise.TypeDate), "Date"},
	{string(exercise.TypeAgreement), "Agreement (both sign)"},
}

func categoryOptions() []option {
	out := make([]option, 0, len(exercise.Categories))
	for _, c := range exercise.Categories {
		out = append(out, option{string(c.Category), c.Label})
	}
	return out
}

func modeOptions() []option {
	out := make([]option, 0, len(exercise.Modes))
	for _, m := range exercise.Modes {
		out = append(out, option{string(m), m.Label()})
	}
	return out
}

func audienceOptions() []option {
	out := []option{{"", "Not set / both partners"}}
	for _, a := range []exercise.Audience{exercise.AudienceBreacher, exercise.AudienceHurt, exercise.AudienceEither} {
		out = append(out, option{string(a), a.Label()})
	}
	return out
}

// ---- Browse ----

func (s *Server) libraryPage(c echo.Context) error {
	f, err := libraryFilter(c)
	if err != nil {
		return err
	}
	p, err := s.Library.List(c.Request().Context(), mustActor(c), f)
	if err != nil {
		return err
	}
	next := ""
	if p.Next != "" {
		q := url.Values{}
		for k, v := range map[string]string{"category": f.Category, "mode": f.Mode, "q": f.Q} {
			if v != "" {
				q.Set(k, v)
			}
		}
		if f.Archived {
			q.Set("archived", "1")
		}
		q.Set("after", p.Next)
		next = "/library?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "library", page{Title: "Exercise library",
		Form: map[string]string{"category": f.Category, "mode": f.Mode, "q": f.Q},
		Data: libraryView{Items: p.Items, Next: next, First: f.After != "", Archived: f.Archived,
			Categories: categoryOptions(), Modes: modeOptions()}})
}

// libraryView is the library list's model.
type libraryView struct {
	Items             []library.Summary
	Next              string // the next page's URL, "" on the last
	First             bool   // this is not the first page
	Archived          bool   // archived exercises are listed
	Categories, Modes []option
}

// templateView is one exercise's page: a version's preview and, for a
// scored measure, its instrument.
type templateView struct {
	T       library.Detail
	Preview template.HTML
	Old     bool                   // not the current version
	Couples []clinic.CoupleSummary // the counselor's active couples, to assign to
	Measure *measure.Instrument    // its scoring, source and typical schedules
}

// printView is an exercise's print page.
type printView struct {
	T        library.Detail
	Body     template.HTML
	ReadOnly bool // as submitted answers appear to the counselor
}

// ---- One template ----

// preview renders the version's form exactly as the client sees it, disabled.
func preview(t exercise.Template, view exercise.View) (template.HTML, error) {
	return exercise.Render(t.Schema, exercise.RenderOptions{View: view, Disabled: view == exercise.ViewForm, IDPrefix: "pv"})
}

func (s *Server) loadVersion(c echo.Context) (library.Detail, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return library.Detail{}, err
	}
	if c.Param("n") == "" {
		return s.Library.Get(c.Request().Context(), mustActor(c), id)
	}
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n <= 0 {
		return library.Detail{}, apperr.New(apperr.NotFound, "That version of the exercise does not exist.")
	}
	return s.Library.Version(c.Request().Context(), mustActor(c), id, n)
}

func (s *Server) libraryTemplatePage(c echo.Context) error { return s.showTemplate(c) }

func (s *Server) libraryVersionPage(c echo.Context) error { return s.showTemplate(c) }

func (s *Server) showTemplate(c echo.Context) error {
	d, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	html, err := preview(d.Exercise(), exercise.ViewForm)
	if err != nil {
		return err
	}
	// "Assign to a couple" straight from the template: the counselor's own
	// active couples.
	caseload, err := s.Clinic.MyCaseload(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	var active []clinic.CoupleSummary
	for _, cp := range caseload {
		if cp.Status == "active" {
			active = append(active, cp)
		}
	}
	data := templateView{T: d, Preview: html, Old: d.Version != d.CurrentVersion, Couples: active}
	if in, ok := measure.Get(d.Measure); ok {
		data.Measure = &in
	}
	return s.render(c, http.StatusOK, "library_template", page{Title: d.Title, Data: data})
}

func (s *Server) libraryPrintPage(c echo.Context) error {
	d, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	// ?view=readonly shows how submitted answers appear to the counselor.
	view := exercise.ViewPrint
	if c.QueryParam("view") == "readonly" {
		view = exercise.ViewReadOnly
	}
	html, err := preview(d.Exercise(), view)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "library_print", page{Title: d.Title + " (print)",
		Data: printView{T: d, Body: html, ReadOnly: view == exercise.ViewReadOnly}})
}

func (s *Server) libraryClonePost(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Library.Clone(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	s.flash(c, "Copied. This is your own private version: change it as you like.")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/library/%d/edit", d.ID))
}

func (s *Server) libraryArchivePost(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Library.Archive(c.Request().Context(), mustActor(c), id); err != nil {
		return err
	}
	s.flash(c, "Archived. It no longer appears in the library; anything already assigned from it is unaffected.")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/library/%d", id))
}

func (s *Server) libraryRestorePost(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Library.Restore(c.Request().Context(), mustActor(c), id); err != nil {
		return err
	}
	s.flash(c, "Restored to the library.")
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/library/%d", id))
}

// ---- Builder (works without JavaScript) ----

type builderField struct {
	Key, Type, Label, Help, MaxLength, MaxItems, Options, Min, Max, MinLabel, MaxLabel string
	Required, Reverse                                                                  bool
}

type builderSection struct {
	Title, Intro string
	Fields       []builderField
}

type builder struct {
	ID                                                                     int64
	Title, Category, Description, Instructions, Mode, Audience, Visibility string
	NeedsReview                                                            bool // submitted work waits in the review queue
	Sections                                                               []builderSection
}

// Caps on what a posted builder form is scanned for.
const (
	builderMaxSections = exercise.MaxSections + 5
	builderMaxFields   = exercise.MaxFields + 5
)

func parseBuilder(form url.Values) builder {
	b := builder{Title: form.Get("title"), Category: form.Get("category"), Description: form.Get("description"),
		Instructions: form.Get("instructions"), Mode: form.Get("suggested_mode"), Audience: form.Get("audience"),
		Visibility: form.Get("visibility"), NeedsReview: form.Get("needs_review") != ""} // the form always has the box: unticked sends nothing
	for i := 0; i < builderMaxSections; i++ {
		p := fmt.Sprintf("s%d", i)
		if _, ok := form[p+".title"]; !ok {
			break
		}
		sec := builderSection{Title: form.Get(p + ".title"), Intro: form.Get(p + ".intro")}
		for j := 0; j < builderMaxFields; j++ {
			fp := fmt.Sprintf("%s.f%d.", p, j)
			if _, ok := form[fp+"type"]; !ok {
				break
			}
			sec.Fields = append(sec.Fields, builderField{Key: form.Get(fp + "key"), Type: form.Get(fp + "type"),
				Label: form.Get(fp + "label"), Help: form.Get(fp + "help"), Required: form.Get(fp+"required") != "",
				MaxLength: form.Get(fp + "max_length"), MaxItems: form.Get(fp + "max_items"), Options: form.Get(fp + "options"),
				Min: form.Get(fp + "min"), Max: form.Get(fp + "max"), MinLabel: form.Get(fp + "min_label"), MaxLabel: form.Get(fp + "max_label"),
				Reverse: form.Get(fp+"reverse") != ""})
		}
		b.Sections = append(b.Sections, sec)
	}
	return b
}

func itoaInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func ptrStr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func builderFromDraft(id int64, d library.Draft) builder {
	b := builder{ID: id, Title: d.Title, Category: string(d.Category), Description: d.Description, Instructions: d.Instructions,
		Mode: string(d.SuggestedMode), Audience: string(d.Audience), Visibility: d.Visibility, NeedsReview: d.NeedsReview == nil || *d.NeedsReview}
	if b.Visibility == library.Builtin {
		b.Visibility = library.Private
	}
	for _, sec := range d.Sections {
		bs := builderSection{Title: sec.Title, Intro: sec.Intro}
		for _, f := range sec.Fields {
			bs.Fields = append(bs.Fields, builderField{Key: f.Key, Type: string(f.Type), Label: f.Label, Help: f.Help,
				Required: f.Required, MaxLength: itoaInt(f.MaxLength), MaxItems: itoaInt(f.MaxItems),
				Options: strings.Join(f.Options, "\n"), Min: ptrStr(f.Min), Max: ptrStr(f.Max), MinLabel: f.MinLabel, MaxLabel: f.MaxLabel,
				Reverse: f.Reverse})
		}
		b.Sections = append(b.Sections, bs)
	}
	return b
}

func newBuilder() builder {
	b := builder{Mode: string(exercise.ModeIndividual), Visibility: library.Private, NeedsReview: library.DefaultNeedsReview(false)}
	b.Sections = []builderSection{{Title: "", Fields: []builderField{b.newField()}}}
	return b
}

// newField is an empty short-text field. It has no key: the key comes
// from its question when the exercise is saved (exercise.Schema.FillKeys).
func (b *builder) newField() builderField {
	return builderField{Type: string(exercise.TypeShortText)}
}

// draft converts the builder to a library draft. Attributes that don't
// apply to a field's type are left out (and kept in the builder, so
// switching the type back loses nothing). Numbers that don't parse are
// reported against their inputs.
func (b builder) draft() (library.Draft, map[string]string) {
	errs := map[string]string{}
	d := library.Draft{Title: b.Title, Category: exercise.Category(b.Category), Description: b.Description,
		Instructions: b.Instructions, SuggestedMode: exercise.Mode(b.Mode), Audience: exercise.Audience(b.Audience),
		Visibility: b.Visibility, NeedsReview: &b.NeedsReview, Sections: []exercise.Section{}}
	num := func(name, v string) *int {
		v = strings.TrimSpace(v)
		if v == "" {
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[name] = "Enter a whole number."
			return nil
		}
		return &n
	}
	for i, bs := range b.Sections {
		sec := exercise.Section{Title: strings.TrimSpace(bs.Title), Intro: strings.TrimSpace(bs.Intro), Fields: []exercise.Field{}}
		for j, bf := range bs.Fields {
			p := fmt.Sprintf("s%d.f%d.", i, j)
			f := exercise.Field{Key: strings.TrimSpace(bf.Key), Type: exercise.FieldType(bf.Type), Label: strings.TrimSpace(bf.Label),
				Help: strings.TrimSpace(bf.Help), Required: bf.Required}
			switch f.Type {
			case exercise.TypeShortText, exercise.TypeLongText:
				if n := num(p+"max_length", bf.MaxLength); n != nil {
					f.MaxLength = *n
				}
			case exercise.TypeList:
				if n := num(p+"max_length", bf.MaxLength); n != nil {
					f.MaxLength = *n
				}
				if n := num(p+"max_items", bf.MaxItems); n != nil {
					f.MaxItems = *n
				}
			case exercise.TypeScale:
				f.Min, f.Max = num(p+"min", bf.Min), num(p+"max", bf.Max)
				f.MinLabel, f.MaxLabel = strings.TrimSpace(bf.MinLabel), strings.TrimSpace(bf.MaxLabel)
				f.Reverse = bf.Reverse
			case exercise.TypeSingleChoice, exercise.TypeMultiChoice:
				for _, o := range strings.Split(bf.Options, "\n") {
					if o = strings.TrimSpace(o); o != "" {
						f.Options = append(f.Options, o)
					}
				}
			}
			sec.Fields = append(sec.Fields, f)
		}
		d.Sections = append(d.Sections, sec)
	}
	return d, errs
}

var (
	fieldPathRe   = regexp.MustCompile(`^sections\[(\d+)\]\.fields\[(\d+)\]`)
	sectionPathRe = regexp.MustCompile(`^sections\[(\d+)\]`)
)

// builderErrorName maps a validation key ("sections[1].fields[2].options")
// to the builder input it belongs to ("s1.f2.options").
func builderErrorName(k string) string {
	k = fieldPathRe.ReplaceAllString(k, "s$1.f$2")
	return sectionPathRe.ReplaceAllString(k, "s$1")
}

// apply performs one builder operation ("add_field:0", "move_field_up:1:2", ...).
func (b *builder) apply(op string) error {
	parts := strings.Split(op, ":")
	idx := make([]int, 0, 2)
	for _, p := range parts[1:] {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return apperr.New(apperr.BadRequest, "Unknown builder action.")
		}
		idx = append(idx, n)
	}
	sec := func() (int, bool) { return idx[0], len(idx) >= 1 && idx[0] < len(b.Sections) }
	fld := func() (int, int, bool) {
		if len(idx) != 2 || idx[0] >= len(b.Sections) || idx[1] >= len(b.Sections[idx[0]].Fields) {
			return 0, 0, false
		}
		return idx[0], idx[1], true
	}
	bad := apperr.New(apperr.BadRequest, "That part of the form no longer exists. Check the form and try again.")
	switch parts[0] {
	case "add_section":
		if len(b.Sections) >= exercise.MaxSections {
			return nil
		}
		f := b.newField()
		b.Sections = append(b.Sections, builderSection{Fields: []builderField{f}})
	case "remove_section", "move_section_up", "move_section_down", "add_field":
		if len(idx) != 1 {
			return bad
		}
		i, ok := sec()
		if !ok {
			return bad
		}
		switch parts[0] {
		case "remove_section":
			b.Sections = append(b.Sections[:i], b.Sections[i+1:]...)
		case "move_section_up":
			if i > 0 {
				b.Sections[i-1], b.Sections[i] = b.Sections[i], b.Sections[i-1]
			}
		case "move_section_down":
			if i+1 < len(b.Sections) {
				b.Sections[i+1], b.Sections[i] = b.Sections[i], b.Sections[i+1]
			}
		case "add_field":
			f := b.newField()
			b.Sections[i].Fields = append(b.Sections[i].Fields, f)
		}
	case "retype": // "Change type": the same form, with that type's settings
		if _, _, ok := fld(); !ok {
			return bad
		}
	case "remove_field", "move_field_up", "move_field_down":
		i, j, ok := fld()
		if !ok {
			return bad
		}
		fs := b.Sections[i].Fields
		switch parts[0] {
		case "remove_field":
			b.Sections[i].Fields = append(fs[:j], fs[j+1:]...)
		case "move_field_up":
			switch {
			case j > 0:
				fs[j-1], fs[j] = fs[j], fs[j-1]
			case i > 0: // to the end of the previous section
				f := fs[0]
				b.Sections[i].Fields = fs[1:]
				b.Sections[i-1].Fields = append(b.Sections[i-1].Fields, f)
			}
		case "move_field_down":
			switch {
			case j+1 < len(fs):
				fs[j+1], fs[j] = fs[j], fs[j+1]
			case i+1 < len(b.Sections): // to the start of the next section
				f := fs[j]
				b.Sections[i].Fields = fs[:j]
				b.Sections[i+1].Fields = append([]builderField{f}, b.Sections[i+1].Fields...)
			}
		}
	case "preview", "save", "":
	default:
		return apperr.New(apperr.BadRequest, "Unknown builder action.")
	}
	return nil
}

// builderView is the form builder's model.
type builderView struct {
	B                        builder
	Types, Categories, Modes []option
	Audiences                []option
	Preview                  template.HTML // after "Preview" with no errors
	PreviewInstructions      string
	ErrorList                []string // every field message, for the summary at the top
}

func (s *Server) renderBuilder(c echo.Context, status int, b builder, errs map[string]string, msg string, showPreview bool) error {
	data := builderView{B: b, Types: fieldTypeLabels, Categories: categoryOptions(), Modes: modeOptions(),
		Audiences: audienceOptions()}
	if showPreview && len(errs) == 0 {
		d, _ := b.draft()
		sch := exercise.Schema{Sections: d.Sections}
		sch.FillKeys(exercise.Schema{}) // as saving will
		d.Sections = sch.Sections
		t := exercise.Template{Title: d.Title, Category: d.Category, Description: d.Description, Instructions: d.Instructions,
			SuggestedMode: d.SuggestedMode, Audience: d.Audience, Schema: exercise.Schema{Sections: d.Sections}}
		if fe := t.Validate(); fe != nil {
			errs = map[string]string{}
			for k, v := range fe {
				errs[builderErrorName(k)] = v
			}
			msg = "The preview needs a complete exercise: see the marked fields."
		} else if html, err := preview(t, exercise.ViewForm); err == nil {
			data.Preview = html
			data.PreviewInstructions = d.Instructions
		}
	}
	var list []string
	for _, k := range sortedKeys(errs) {
		list = append(list, errs[k])
	}
	data.ErrorList = list
	title := "New exercise"
	if b.ID != 0 {
		title = "Edit " + b.Title
	}
	return s.render(c, status, "library_builder", page{Title: title, Errors: errs, Error: msg, Data: data})
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func (s *Server) libraryNewPage(c echo.Context) error {
	return s.renderBuilder(c, http.StatusOK, newBuilder(), nil, "", false)
}

func (s *Server) libraryEditPage(c echo.Context) error {
	d, err := s.loadVersion(c)
	if err != nil {
		return err
	}
	if d.Measure != "" {
		return apperr.New(apperr.Conflict, library.MeasureLocked)
	}
	if d.Visibility == library.Builtin {
		return apperr.New(apperr.Conflict, "Built-in exercises can't be changed. Clone it to make your own version.")
	}
	if !d.Mine {
		return apperr.New(apperr.Forbidden, "Only the counselor who made this exercise can change it. Clone it to make your own version.")
	}
	return s.renderBuilder(c, http.StatusOK, builderFromDraft(d.ID, d.Draft()), nil, "", false)
}

func (s *Server) libraryNewPost(c echo.Context) error { return s.builderPost(c, 0) }

func (s *Server) libraryEditPost(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	// Check the caller may edit this template before handling the form, so
	// a template they cannot see answers 404 (or 403) for every builder
	// action, not only for "save".
	d, err := s.Library.Get(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	if d.Measure != "" {
		return apperr.New(apperr.Conflict, library.MeasureLocked)
	}
	if d.Visibility == library.Builtin {
		return apperr.New(apperr.Conflict, "Built-in exercises can't be changed. Clone it to make your own version.")
	}
	if !d.Mine {
		return apperr.New(apperr.Forbidden, "Only the counselor who made this exercise can change it. Clone it to make your own version.")
	}
	return s.builderPost(c, id)
}

func (s *Server) builderPost(c echo.Context, id int64) error {
	form, err := c.FormParams()
	if err != nil {
		return apperr.New(apperr.BadRequest, "The form could not be read.")
	}
	b := parseBuilder(form)
	b.ID = id
	op := form.Get("op")
	if err := b.apply(op); err != nil {
		return err
	}
	if op != "save" {
		return s.renderBuilder(c, http.StatusOK, b, nil, "", op == "preview")
	}
	d, errs := b.draft()
	if len(errs) > 0 {
		return s.renderBuilder(c, http.StatusUnprocessableEntity, b, errs, "Please check the marked fields.", false)
	}
	ctx, a := c.Request().Context(), mustActor(c)
	var saved library.Detail
	if id == 0 {
		saved, err = s.Library.Create(ctx, a, d)
	} else {
		saved, err = s.Library.Update(ctx, a, id, d)
	}
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		m := map[string]string{}
		for k, v := range ae.Fields {
			m[builderErrorName(k)] = v
		}
		return s.renderBuilder(c, http.StatusUnprocessableEntity, b, m, ae.Message, false)
	}
	if err != nil {
		return err
	}
	if id == 0 {
		s.flash(c, "Saved. Your exercise is in the library.")
	} else {
		s.flash(c, fmt.Sprintf("Saved as version %d.", saved.CurrentVersion))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/library/%d", saved.ID))
}
