// Package exercise defines therapeutic exercise templates: a typed, validated
// form schema, validation of client answers against it, one HTML renderer
// (form, read-only and print views) and the built-in exercise library.
//
// Schemas are stored as JSON and may be written by counselors, so everything
// here treats them as untrusted input: Validate before saving, and the
// renderer refuses schemas that don't validate.
package exercise

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits on schemas and templates. Counts are in characters (runes).
const (
	MaxSections        = 30
	MaxFields          = 100 // across all sections
	MaxSectionTitleLen = 200
	MaxSectionIntroLen = 2000
	MaxKeyLen          = 40
	MaxLabelLen        = 300
	MaxHelpLen         = 1000
	MaxScaleLabelLen   = 100

	MaxShortTextLen = 500   // also the default for short_text
	MaxLongTextLen  = 20000 // also the default for long_text
	MaxListItemLen  = 500   // per item; also the default for list max_length
	DefaultMaxItems = 20    // list max_items when not set
	MaxListItems    = 100   // upper bound for list max_items

	ScaleBound   = 100 // scale min and max must lie within -ScaleBound..ScaleBound
	MaxOptions   = 50
	MaxOptionLen = 200

	MaxTitleLen        = 200
	MaxSlugLen         = 64
	MaxDescriptionLen  = 4000
	MaxInstructionsLen = 8000
)

// Category groups exercises by stage of trust repair.
type Category string

const (
	CategoryAcknowledge      Category = "acknowledge"
	CategoryApologize        Category = "apologize"
	CategoryTransparency     Category = "transparency"
	CategoryBoundaries       Category = "boundaries"
	CategoryDailyPractice    Category = "daily_practice"
	CategoryEmotionsTriggers Category = "emotions_triggers"
	CategoryForgiveness      Category = "forgiveness"
	CategoryReconnect        Category = "reconnect"
	CategorySafety           Category = "safety"
	// CategoryMeasures holds the validated outcome measures (CSI-4, PHQ-9,
	// …) and the ordinary copies counselors make of them.
	CategoryMeasures Category = "measures"
)

// CategoryInfo pairs a category with its human label.
type CategoryInfo struct {
	Category Category
	Label    string
}

// Categories lists every category in display order.
var Categories = []CategoryInfo{
	{CategoryAcknowledge, "Acknowledging the breach"},
	{CategoryApologize, "Apology and accountability"},
	{CategoryTransparency, "Transparency"},
	{CategoryBoundaries, "Boundaries"},
	{CategoryDailyPractice, "Daily practice"},
	{CategoryEmotionsTriggers, "Emotions and triggers"},
	{CategoryForgiveness, "Forgiveness"},
	{CategoryReconnect, "Reconnection"},
	{CategorySafety, "Safety"},
	{CategoryMeasures, "Outcome measures"},
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool { return c.Label() != "" }

// Label is the human label, or "" for an unknown category.
func (c Category) Label() string {
	for _, ci := range Categories {
		if ci.Category == c {
			return ci.Label
		}
	}
	return ""
}

// Mode says who fills an exercise in.
type Mode string

const (
	ModeIndividual Mode = "individual" // one partner
	ModeEach       Mode = "each"       // both partners, separately
	ModeJoint      Mode = "joint"      // both partners, one shared form
)

// Modes lists every mode in display order.
var Modes = []Mode{ModeIndividual, ModeEach, ModeJoint}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m.Label() != "" }

// Label is the human label, or "" for an unknown mode.
func (m Mode) Label() string {
	switch m {
	case ModeIndividual:
		return "One partner"
	case ModeEach:
		return "Each partner separately"
	case ModeJoint:
		return "Together, one shared form"
	}
	return ""
}

// Audience says which partner a one-partner exercise is usually for.
type Audience string

const (
	AudienceNone     Audience = ""
	AudienceBreacher Audience = "breacher" // the partner who broke trust
	AudienceHurt     Audience = "hurt"     // the partner who was hurt
	AudienceEither   Audience = "either"
)

// Valid reports whether a is a known audience (including none).
func (a Audience) Valid() bool {
	switch a {
	case AudienceNone, AudienceBreacher, AudienceHurt, AudienceEither:
		return true
	}
	return false
}

// Label is the human label ("" for none or unknown).
func (a Audience) Label() string {
	switch a {
	case AudienceBreacher:
		return "Partner who broke trust"
	case AudienceHurt:
		return "Partner who was hurt"
	case AudienceEither:
		return "Either partner"
	}
	return ""
}

// FieldType is the kind of input a field collects.
type FieldType string

const (
	TypeShortText    FieldType = "short_text"
	TypeLongText     FieldType = "long_text"
	TypeList         FieldType = "list"
	TypeScale        FieldType = "scale"
	TypeSingleChoice FieldType = "single_choice"
	TypeMultiChoice  FieldType = "multi_choice"
	TypeCheckbox     FieldType = "checkbox"
	TypeDate         FieldType = "date"
	TypeAgreement    FieldType = "agreement"
)

// FieldTypes lists every field type.
var FieldTypes = []FieldType{
	TypeShortText, TypeLongText, TypeList, TypeScale, TypeSingleChoice,
	TypeMultiChoice, TypeCheckbox, TypeDate, TypeAgreement,
}

// Valid reports whether t is a known field type.
func (t FieldType) Valid() bool {
	for _, ft := range FieldTypes {
		if ft == t {
			return true
		}
	}
	return false
}

func (t FieldType) isChoice() bool { return t == TypeSingleChoice || t == TypeMultiChoice }

// Field is one question. For an agreement the Label is the statement agreed to.
type Field struct {
	Key       string    `json:"key"`
	Type      FieldType `json:"type"`
	Label     string    `json:"label"`
	Help      string    `json:"help,omitempty"`
	Required  bool      `json:"required,omitempty"`
	MaxLength int       `json:"max_length,omitempty"` // texts; per item for lists
	MaxItems  int       `json:"max_items,omitempty"`  // lists
	Options   []string  `json:"options,omitempty"`    // choices
	Min       *int      `json:"min,omitempty"`        // scales
	Max       *int      `json:"max,omitempty"`
	MinLabel  string    `json:"min_label,omitempty"`
	MaxLabel  string    `json:"max_label,omitempty"`
	// Reverse shows a scale's points from max down to min, left to right
	// (MaxLabel on the left): a published form that prints a pair of words
	// with the higher-scoring one first. The values mean the same either way.
	Reverse bool `json:"reverse,omitempty"`
}

// Section groups fields under a heading.
type Section struct {
	Title  string  `json:"title"`
	Intro  string  `json:"intro,omitempty"`
	Fields []Field `json:"fields"`
}

// Schema is the form of an exercise.
type Schema struct {
	Sections []Section `json:"sections"`
}

// Template is an exercise a counselor can assign.
type Template struct {
	Slug          string   `json:"slug"`
	Title         string   `json:"title"`
	Category      Category `json:"category"`
	Description   string   `json:"description"`  // counselor-facing: purpose, when to use
	Instructions  string   `json:"instructions"` // client-facing
	SuggestedMode Mode     `json:"suggested_mode"`
	Audience      Audience `json:"audience,omitempty"`
	// Private answers are for the counselor only and must never be shown to
	// the partner (the safety check).
	Private bool `json:"private,omitempty"`
	// Recurring exercises suggest a daily recurrence (the daily check-in).
	Recurring bool `json:"recurring,omitempty"`
	// Measure names the validated instrument a built-in measure is
	// ("csi-4"): Mend scores it at submission (internal/measure). Only
	// built-ins carry one; a copy of a measure is an ordinary exercise.
	Measure string `json:"measure,omitempty"`
	Schema  Schema `json:"schema"`
}

// FieldErrors maps a field key (or schema path) to a human message.
type FieldErrors map[string]string

// add keeps the first message per key: the first problem is the useful one.
func (e FieldErrors) add(key, msg string) {
	if _, ok := e[key]; !ok {
		e[key] = msg
	}
}

// Keys returns the keys in sorted order, for stable display and logs.
func (e FieldErrors) Keys() []string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (e FieldErrors) orNil() FieldErrors {
	if len(e) == 0 {
		return nil
	}
	return e
}

var (
	keyRe  = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	slugRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// textProblem describes why s is not acceptable stored text, or "".
// NUL is refused because PostgreSQL text and jsonb cannot hold it.
func textProblem(s string, max int) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8 text"
	case strings.ContainsRune(s, 0):
		return "must not contain NUL characters"
	case utf8.RuneCountInString(s) > max:
		return fmt.Sprintf("is too long (at most %d characters)", max)
	}
	return ""
}

// EffectiveMaxLength is the character limit that applies to a text field,
// or to each item of a list; 0 for other types. Out-of-range settings are
// clamped so callers get a usable number even for an unvalidated field.
func EffectiveMaxLength(f Field) int {
	var limit int
	switch f.Type {
	case TypeShortText:
		limit = MaxShortTextLen
	case TypeLongText:
		limit = MaxLongTextLen
	case TypeList:
		limit = MaxListItemLen
	default:
		return 0
	}
	if f.MaxLength > 0 && f.MaxLength < limit {
		return f.MaxLength
	}
	return limit
}

// EffectiveMaxItems is the item limit of a list field; 0 for other types.
func EffectiveMaxItems(f Field) int {
	if f.Type != TypeList {
		return 0
	}
	switch {
	case f.MaxItems <= 0:
		return DefaultMaxItems
	case f.MaxItems > MaxListItems:
		return MaxListItems
	}
	return f.MaxItems
}

// Fields returns all fields in order.
func (s Schema) Fields() []Field {
	var out []Field
	for _, sec := range s.Sections {
		out = append(out, sec.Fields...)
	}
	return out
}

// Field finds a field by key.
func (s Schema) Field(key string) (Field, bool) {
	for _, sec := range s.Sections {
		for _, f := range sec.Fields {
			if f.Key == key {
				return f, true
			}
		}
	}
	return Field{}, false
}

// Clone returns a deep copy, so callers may edit it without sharing state.
func (s Schema) Clone() Schema {
	out := Schema{Sections: make([]Section, len(s.Sections))}
	for i, sec := range s.Sections {
		sec.Fields = append([]Field(nil), sec.Fields...)
		for j := range sec.Fields {
			f := &sec.Fields[j]
			f.Options = append([]string(nil), f.Options...)
			if f.Min != nil {
				v := *f.Min
				f.Min = &v
			}
			if f.Max != nil {
				v := *f.Max
				f.Max = &v
			}
		}
		out.Sections[i] = sec
	}
	return out
}

// Validate checks the schema against every rule and returns one message per
// offending attribute, keyed by its JSON path (e.g. "sections[1].fields[2].options"),
// or nil when the schema is valid.
func (s Schema) Validate() FieldErrors {
	errs := FieldErrors{}
	total := 0
	for _, sec := range s.Sections {
		total += len(sec.Fields)
	}
	switch {
	case len(s.Sections) == 0:
		errs.add("sections", "An exercise needs at least one section.")
	case len(s.Sections) > MaxSections:
		errs.add("sections", fmt.Sprintf("An exercise can have at most %d sections (this one has %d).", MaxSections, len(s.Sections)))
	case total == 0:
		errs.add("sections", "An exercise needs at least one field.")
	case total > MaxFields:
		errs.add("sections", fmt.Sprintf("An exercise can have at most %d fields (this one has %d).", MaxFields, total))
	}
	seen := map[string]string{} // key -> where first used
	for i, sec := range s.Sections {
		p := fmt.Sprintf("sections[%d]", i)
		name := fmt.Sprintf("Section %d", i+1)
		if strings.TrimSpace(sec.Title) == "" {
			errs.add(p+".title", name+": a title is required.")
		} else if pr := textProblem(sec.Title, MaxSectionTitleLen); pr != "" {
			errs.add(p+".title", name+": the title "+pr+".")
		}
		if pr := textProblem(sec.Intro, MaxSectionIntroLen); pr != "" {
			errs.add(p+".intro", name+": the introduction "+pr+".")
		}
		if len(sec.Fields) == 0 {
			errs.add(p+".fields", name+": a section needs at least one field.")
		}
		for j, f := range sec.Fields {
			fp := fmt.Sprintf("%s.fields[%d]", p, j)
			validateField(errs, f, fp, fieldRef(f, i, j))
			if keyRe.MatchString(f.Key) {
				if where, dup := seen[f.Key]; dup {
					errs.add(fp+".key", fmt.Sprintf("Field %q: the key is used more than once (first in %s); keys must be unique.", f.Key, where))
				} else {
					seen[f.Key] = strings.ToLower(name[:1]) + name[1:]
				}
			}
		}
	}
	return errs.orNil()
}

// fieldRef names a field in messages: by key, else label, else position.
func fieldRef(f Field, i, j int) string {
	switch {
	case f.Key != "" && utf8.ValidString(f.Key) && len(f.Key) <= 60:
		return fmt.Sprintf("Field %q", f.Key)
	case strings.TrimSpace(f.Label) != "" && utf8.ValidString(f.Label):
		l := []rune(strings.TrimSpace(f.Label))
		if len(l) > 40 {
			l = append(l[:40], '…')
		}
		return fmt.Sprintf("Field %q", string(l))
	}
	return fmt.Sprintf("Field %d of section %d", j+1, i+1)
}

func validateField(errs FieldErrors, f Field, p, ref string) {
	bad := func(attr, msg string) { errs.add(p+"."+attr, ref+": "+msg) }

	switch {
	case f.Key == "":
		bad("key", "a key is required.")
	case !keyRe.MatchString(f.Key):
		bad("key", fmt.Sprintf("the key must start with a lowercase letter and use only a-z, 0-9 and _ (at most %d characters).", MaxKeyLen))
	}
	switch {
	case f.Type == "":
		bad("type", "a type is required.")
	case !f.Type.Valid():
		bad("type", fmt.Sprintf("unknown type %q.", f.Type))
	}
	switch {
	case strings.TrimSpace(f.Label) == "" && f.Type == TypeAgreement:
		bad("label", "an agreement needs its statement as the label.")
	case strings.TrimSpace(f.Label) == "":
		bad("label", "a label is required.")
	default:
		if pr := textProblem(f.Label, MaxLabelLen); pr != "" {
			bad("label", "the label "+pr+".")
		}
	}
	if pr := textProblem(f.Help, MaxHelpLen); pr != "" {
		bad("help", "the help text "+pr+".")
	}

	// max_length: texts and list items only; 0 means the default.
	if f.MaxLength != 0 {
		switch f.Type {
		case TypeShortText, TypeLongText, TypeList:
			limit := EffectiveMaxLength(Field{Type: f.Type})
			if f.MaxLength < 1 || f.MaxLength > limit {
				bad("max_length", fmt.Sprintf("max_length must be between 1 and %d for %s.", limit, f.Type))
			}
		default:
			bad("max_length", "max_length only applies to text and list fields.")
		}
	}
	if f.MaxItems != 0 {
		if f.Type != TypeList {
			bad("max_items", "max_items only applies to list fields.")
		} else if f.MaxItems < 1 || f.MaxItems > MaxListItems {
			bad("max_items", fmt.Sprintf("max_items must be between 1 and %d.", MaxListItems))
		}
	}

	if f.Type.isChoice() {
		validateOptions(f, bad)
	} else if len(f.Options) > 0 {
		bad("options", "options only apply to single_choice and multi_choice fields.")
	}

	if f.Type == TypeScale {
		switch {
		case f.Min == nil || f.Max == nil:
			bad("min", "a scale needs min and max.")
		case *f.Min < -ScaleBound || *f.Min > ScaleBound:
			bad("min", fmt.Sprintf("min must be between %d and %d.", -ScaleBound, ScaleBound))
		case *f.Max < -ScaleBound || *f.Max > ScaleBound:
			bad("max", fmt.Sprintf("max must be between %d and %d.", -ScaleBound, ScaleBound))
		case *f.Min >= *f.Max:
			bad("max", fmt.Sprintf("min (%d) must be less than max (%d).", *f.Min, *f.Max))
		}
		if pr := textProblem(f.MinLabel, MaxScaleLabelLen); pr != "" {
			bad("min_label", "min_label "+pr+".")
		}
		if pr := textProblem(f.MaxLabel, MaxScaleLabelLen); pr != "" {
			bad("max_label", "max_label "+pr+".")
		}
	} else {
		if f.Reverse {
			bad("reverse", "reverse only applies to scale fields.")
		}
		if f.Min != nil || f.Max != nil {
			attr := "min"
			if f.Min == nil {
				attr = "max"
			}
			bad(attr, "min and max only apply to scale fields.")
		}
		if f.MinLabel != "" || f.MaxLabel != "" {
			attr := "min_label"
			if f.MinLabel == "" {
				attr = "max_label"
			}
			bad(attr, "min_label and max_label only apply to scale fields.")
		}
	}
}

func validateOptions(f Field, bad func(attr, msg string)) {
	if len(f.Options) == 0 || len(f.Options) > MaxOptions {
		bad("options", fmt.Sprintf("a choice needs between 1 and %d options.", MaxOptions))
		return
	}
	seen := map[string]bool{}
	for k, o := range f.Options {
		t := strings.TrimSpace(o)
		if t == "" {
			bad("options", fmt.Sprintf("option %d is empty.", k+1))
			return
		}
		if pr := textProblem(o, MaxOptionLen); pr != "" {
			bad("options", fmt.Sprintf("option %d %s.", k+1, pr))
			return
		}
		if seen[t] {
			bad("options", fmt.Sprintf("option %q appears more than once.", t))
			return
		}
		seen[t] = true
	}
}

// Validate checks the template's own attributes and its schema. Schema
// problems keep their "sections[...]" keys. Slug is optional (counselors'
// own templates may get one later) but must be well formed when set.
func (t Template) Validate() FieldErrors {
	errs := FieldErrors{}
	if t.Slug != "" && (len(t.Slug) > MaxSlugLen || !slugRe.MatchString(t.Slug)) {
		errs.add("slug", fmt.Sprintf("The slug must be lowercase words joined by hyphens, at most %d characters.", MaxSlugLen))
	}
	if strings.TrimSpace(t.Title) == "" {
		errs.add("title", "A title is required.")
	} else if pr := textProblem(t.Title, MaxTitleLen); pr != "" {
		errs.add("title", "The title "+pr+".")
	}
	if t.Category == "" {
		errs.add("category", "Choose a category.")
	} else if !t.Category.Valid() {
		errs.add("category", fmt.Sprintf("Unknown category %q.", t.Category))
	}
	if pr := textProblem(t.Description, MaxDescriptionLen); pr != "" {
		errs.add("description", "The description "+pr+".")
	}
	if pr := textProblem(t.Instructions, MaxInstructionsLen); pr != "" {
		errs.add("instructions", "The instructions "+pr+".")
	}
	switch {
	case !t.SuggestedMode.Valid():
		errs.add("suggested_mode", fmt.Sprintf("Unknown mode %q: use individual, each or joint.", t.SuggestedMode))
	case t.Private && t.SuggestedMode == ModeJoint:
		// A shared form would show one partner's private answers to the other.
		errs.add("suggested_mode", "A private exercise can't be joint: its answers are never shared with the partner.")
	}
	if !t.Audience.Valid() {
		errs.add("audience", fmt.Sprintf("Unknown audience %q: use breacher, hurt, either or leave it empty.", t.Audience))
	}
	switch {
	case t.Measure == "":
	case !slugRe.MatchString(t.Measure) || len(t.Measure) > MaxSlugLen:
		errs.add("measure", "The measure's code must be lowercase words joined by hyphens.")
	case t.Category != CategoryMeasures:
		errs.add("measure", "A measure belongs to the outcome measures category.")
	case t.SuggestedMode == ModeJoint:
		errs.add("measure", "A measure is answered by each partner on their own, never jointly.")
	}
	for k, v := range t.Schema.Validate() {
		errs.add(k, v)
	}
	return errs.orNil()
}
