package exercise

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

// View selects what Render produces.
type View int

const (
	ViewForm     View = iota // inputs, for filling in
	ViewReadOnly             // answers, on screen
	ViewPrint                // answers on paper, with blank lines to write on
)

func (v View) String() string {
	switch v {
	case ViewForm:
		return "form"
	case ViewReadOnly:
		return "readonly"
	case ViewPrint:
		return "print"
	}
	return "View(" + strconv.Itoa(int(v)) + ")"
}

// RenderOptions configure Render.
type RenderOptions struct {
	View    View
	Answers map[string]any // raw (re-shown form) or clean answers
	Errors  FieldErrors    // per field key; form view only
	// Disabled renders every input disabled (previews, closed exercises).
	Disabled bool
	// IDPrefix namespaces element ids so two exercises can share a page.
	// Defaults to "ex"; characters other than [A-Za-z0-9_-] are dropped.
	IDPrefix string
}

// NoAnswer is shown for unanswered fields in the read-only view.
const NoAnswer = "— no answer —"

//go:embed render.gohtml
var templateText string

// Parsed once: html/template escapes every value contextually.
var views = template.Must(template.New("exercise").
	Funcs(template.FuncMap{"noAnswer": func() string { return NoAnswer }}).
	Parse(templateText))

// Render produces the HTML for one view of a schema. The form view contains
// no <form> element and no buttons: the caller wraps it (and should give a
// "save draft" button formnovalidate, since required inputs carry the HTML
// required attribute). No inline scripts or styles are emitted; style the
// ex-* classes in the app stylesheet. Render refuses invalid schemas.
func Render(s Schema, o RenderOptions) (template.HTML, error) {
	if errs := s.Validate(); errs != nil {
		k := errs.Keys()[0]
		return "", fmt.Errorf("exercise: invalid schema: %s: %s", k, errs[k])
	}
	var name string
	switch o.View {
	case ViewForm:
		name = "form"
	case ViewReadOnly:
		name = "readonly"
	case ViewPrint:
		name = "print"
	default:
		return "", errors.New("exercise: unknown view " + o.View.String())
	}
	var buf bytes.Buffer
	if err := views.ExecuteTemplate(&buf, name, buildPage(s, o)); err != nil {
		return "", fmt.Errorf("exercise: render %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil
}

type page struct {
	Disabled bool
	Summary  []summaryItem
	Sections []sectionVM
}

type summaryItem struct {
	Href           string // "" when the error isn't about a rendered field
	Label, Message string
}

type sectionVM struct {
	ID, Title, Intro string
	Fields           []fieldVM
}

type fieldVM struct {
	Label, Help, Class string
	Type               FieldType
	Required, Disabled bool
	ID, Name           string
	HelpID, ErrorID    string
	DescribedBy        string // ids for aria-describedby
	Error              string
	MaxLength          int

	// Form view.
	Value        string     // text, date
	Rows         []rowVM    // list
	Options      []optionVM // scale, single and multi choice
	Checked      bool       // checkbox, agreement
	MinLabel     string     // scale ends
	MaxLabel     string
	MinID, MaxID string
	ShowRowsHint bool
	DateMin      string
	DateMax      string

	// Read-only and print views.
	Print      bool
	Empty      bool
	Text       string
	Paragraphs [][]string // long text: paragraphs of lines
	Items      []string
	Blanks     []int      // print: blank lines to write on
	Marks      []optionVM // print: choices with their boxes
}

type rowVM struct {
	ID, Label, Value string
	Required         bool
}

type optionVM struct {
	ID, Value, Label string
	Checked          bool
}

func sanitizePrefix(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	out := b.String()
	if out == "" || !(out[0] >= 'a' && out[0] <= 'z' || out[0] >= 'A' && out[0] <= 'Z') {
		return "ex" + out // ids should start with a letter
	}
	return out
}

func buildPage(s Schema, o RenderOptions) page {
	prefix := sanitizePrefix(o.IDPrefix)
	pg := page{Disabled: o.Disabled}
	errs := o.Errors
	if o.View != ViewForm {
		errs = nil
	}
	rendered := map[string]bool{}
	for i, sec := range s.Sections {
		sv := sectionVM{ID: fmt.Sprintf("%s-s%d", prefix, i+1), Title: sec.Title, Intro: sec.Intro}
		for _, f := range sec.Fields {
			fv := buildField(f, o.Answers[f.Key], errs[f.Key], prefix, o)
			sv.Fields = append(sv.Fields, fv)
			if fv.Error != "" {
				pg.Summary = append(pg.Summary, summaryItem{Href: "#" + firstInputID(fv), Label: f.Label, Message: fv.Error})
			}
			rendered[f.Key] = true
		}
		pg.Sections = append(pg.Sections, sv)
	}
	// Errors not about a rendered field (e.g. "unknown field") still deserve a mention.
	for _, k := range errs.Keys() {
		if !rendered[k] {
			pg.Summary = append(pg.Summary, summaryItem{Label: k, Message: errs[k]})
		}
	}
	return pg
}

func firstInputID(fv fieldVM) string {
	switch {
	case len(fv.Options) > 0:
		return fv.Options[0].ID
	case len(fv.Rows) > 0:
		return fv.Rows[0].ID
	}
	return fv.ID
}

func buildField(f Field, v any, errMsg, prefix string, o RenderOptions) fieldVM {
	fv := fieldVM{
		Type: f.Type, Label: f.Label, Help: f.Help,
		Class:    "ex-field ex-field-" + strings.ReplaceAll(string(f.Type), "_", "-"),
		Required: f.Required, Disabled: o.Disabled,
		ID: prefix + "-" + f.Key, Name: InputName(f.Key),
		Error: errMsg, MaxLength: EffectiveMaxLength(f),
		MinLabel: f.MinLabel, MaxLabel: f.MaxLabel,
	}
	if f.Type == TypeScale && f.Reverse {
		// Shown from max down to min: the max end's label comes first.
		fv.MinLabel, fv.MaxLabel = f.MaxLabel, f.MinLabel
	}
	if errMsg != "" {
		fv.Class += " ex-invalid"
	}
	var describedBy []string
	if f.Help != "" {
		fv.HelpID = fv.ID + "-help"
		describedBy = append(describedBy, fv.HelpID)
	}
	if f.Type == TypeScale {
		if f.MinLabel != "" {
			fv.MinID = fv.ID + "-min"
			describedBy = append(describedBy, fv.MinID)
		}
		if f.MaxLabel != "" {
			fv.MaxID = fv.ID + "-max"
			describedBy = append(describedBy, fv.MaxID)
		}
	}
	if errMsg != "" {
		fv.ErrorID = fv.ID + "-error"
		describedBy = append(describedBy, fv.ErrorID)
	}
	fv.DescribedBy = strings.Join(describedBy, " ")

	if o.View == ViewForm {
		fillForm(&fv, f, v)
	} else {
		fillDisplay(&fv, f, v, o.View == ViewPrint)
	}
	return fv
}

// fillForm sets input values from raw or clean answers, tolerating any type.
func fillForm(fv *fieldVM, f Field, v any) {
	switch f.Type {
	case TypeShortText, TypeLongText, TypeDate:
		fv.Value = asText(v)
		if f.Type == TypeDate {
			fv.DateMin = fmt.Sprintf("%04d-01-01", MinDateYear)
			fv.DateMax = fmt.Sprintf("%04d-12-31", MaxDateYear)
		}
	case TypeList:
		items := asItems(v)
		maxItems := EffectiveMaxItems(f)
		blank := 2
		if room := maxItems - len(items); room < blank {
			blank = max(room, 0)
		}
		for i := 0; i < len(items)+blank; i++ {
			r := rowVM{ID: fmt.Sprintf("%s-%d", fv.ID, i+1), Label: fmt.Sprintf("Item %d", i+1)}
			if i < len(items) {
				r.Value = items[i]
			}
			r.Required = f.Required && i == 0
			fv.Rows = append(fv.Rows, r)
		}
		fv.ShowRowsHint = !fv.Disabled && len(items)+blank < maxItems
	case TypeScale, TypeSingleChoice, TypeMultiChoice:
		fv.Options = optionList(fv.ID, f, v)
	case TypeCheckbox, TypeAgreement:
		fv.Checked = isTicked(v)
	}
}

func optionList(id string, f Field, v any) []optionVM {
	chosen := map[string]bool{}
	switch f.Type {
	case TypeScale:
		if n, ok := asInt(v); ok {
			chosen[strconv.Itoa(n)] = true
		}
	case TypeSingleChoice:
		if s, ok := v.(string); ok {
			chosen[strings.TrimSpace(s)] = true
		}
	case TypeMultiChoice:
		for _, s := range asItems(v) {
			chosen[strings.TrimSpace(s)] = true
		}
	}
	var opts []optionVM
	add := func(val string) {
		opts = append(opts, optionVM{
			ID: fmt.Sprintf("%s-%d", id, len(opts)+1), Value: val, Label: val,
			Checked: chosen[strings.TrimSpace(val)],
		})
	}
	if f.Type == TypeScale {
		switch {
		case f.Min == nil || f.Max == nil:
		case f.Reverse:
			for n := *f.Max; n >= *f.Min; n-- {
				add(strconv.Itoa(n))
			}
		default:
			for n := *f.Min; n <= *f.Max; n++ {
				add(strconv.Itoa(n))
			}
		}
	} else {
		for _, o := range f.Options {
			add(o)
		}
	}
	return opts
}

// fillDisplay prepares the read-only and print views.
func fillDisplay(fv *fieldVM, f Field, v any, print bool) {
	fv.Print = print
	switch f.Type {
	case TypeShortText:
		fv.Text = strings.TrimSpace(asText(v))
		fv.Empty = fv.Text == ""
		fv.Blanks = make([]int, 1)
	case TypeLongText:
		fv.Paragraphs = paragraphs(asText(v))
		fv.Empty = len(fv.Paragraphs) == 0
		fv.Blanks = make([]int, 6)
	case TypeList:
		for _, it := range asItems(v) {
			if t := strings.TrimSpace(it); t != "" {
				fv.Items = append(fv.Items, t)
			}
		}
		fv.Empty = len(fv.Items) == 0
		fv.Blanks = make([]int, min(4, EffectiveMaxItems(f)))
	case TypeScale:
		fv.Text = scaleText(f, v)
		fv.Empty = fv.Text == ""
		if print {
			fv.Marks = optionList(fv.ID, f, v)
		}
	case TypeSingleChoice, TypeMultiChoice:
		if f.Type == TypeSingleChoice {
			fv.Text = strings.TrimSpace(asText(v))
		} else {
			fv.Items = nonBlank(asItems(v))
		}
		fv.Empty = fv.Text == "" && len(fv.Items) == 0
		if print {
			fv.Marks = optionList(fv.ID, f, v)
		}
	case TypeCheckbox, TypeAgreement:
		fv.Checked = isTicked(v)
		switch {
		case print && f.Type == TypeAgreement:
			fv.Text = "I agree"
		case print:
			fv.Text = "Yes"
		case f.Type == TypeAgreement && fv.Checked:
			fv.Text = "Agreed"
		case f.Type == TypeAgreement:
			fv.Text = "Not agreed"
		case fv.Checked:
			fv.Text = "Yes"
		default:
			fv.Text = "No"
		}
	case TypeDate:
		fv.Text = dateText(asText(v))
		fv.Empty = fv.Text == ""
		fv.Blanks = make([]int, 1)
	}
}

// AnswerText is an answer as plain text, worded as the read-only view words
// it: long text with its line breaks, a list one item a line, a scale as
// "7 of 10 (…)", a checkbox as Yes or No; "" when unanswered. For comparing
// submissions.
func AnswerText(f Field, v any) string {
	var fv fieldVM
	fillDisplay(&fv, f, v, false)
	switch {
	case fv.Empty:
		return ""
	case fv.Paragraphs != nil:
		ps := make([]string, len(fv.Paragraphs))
		for i, p := range fv.Paragraphs {
			ps[i] = strings.Join(p, "\n")
		}
		return strings.Join(ps, "\n\n")
	case fv.Items != nil:
		return strings.Join(fv.Items, "\n")
	}
	return fv.Text
}

// paragraphs splits on blank lines; single newlines become line breaks.
func paragraphs(s string) [][]string {
	s = strings.ReplaceAll(s, "\r", "")
	var out [][]string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t")
		if strings.TrimSpace(line) == "" {
			if cur != nil {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, line)
	}
	if cur != nil {
		out = append(out, cur)
	}
	return out
}

// scaleText reads like "7 of 10 (Not at all … Completely)".
func scaleText(f Field, v any) string {
	n, ok := asInt(v)
	if !ok {
		return strings.TrimSpace(asText(v)) // show odd stored values rather than hide them
	}
	if f.Min == nil || f.Max == nil {
		return strconv.Itoa(n)
	}
	var s string
	if *f.Min == 0 || *f.Min == 1 {
		s = fmt.Sprintf("%d of %d", n, *f.Max)
	} else {
		s = fmt.Sprintf("%d on a scale from %d to %d", n, *f.Min, *f.Max)
	}
	if f.MinLabel != "" || f.MaxLabel != "" {
		s += " (" + strings.TrimSpace(f.MinLabel+" … "+f.MaxLabel) + ")"
	}
	return s
}

func dateText(s string) string {
	s = strings.TrimSpace(s)
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d.Format("2 January 2006")
	}
	return s
}

func asText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return ""
	case []any, []string:
		return strings.Join(asItems(v), ", ")
	}
	return fmt.Sprint(v)
}

func asItems(v any) []string {
	if l, ok := stringList(v); ok {
		return l
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	if s, ok := v.(string); ok && strings.TrimSpace(s) != "" {
		return []string{s}
	}
	return nil
}

func nonBlank(l []string) []string {
	var out []string
	for _, s := range l {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		if x >= -ScaleBound*1000 && x <= ScaleBound*1000 {
			return int(x), true
		}
	case float64:
		if x >= -1e9 && x <= 1e9 && x == float64(int(x)) {
			return int(x), true
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, true
		}
	}
	return 0, false
}

func isTicked(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "on", "true", "1", "yes":
			return true
		}
	}
	return false
}
