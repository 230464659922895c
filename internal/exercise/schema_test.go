package exercise

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// minimal returns a valid field of the given type.
func minimal(key string, ft FieldType) Field {
	f := Field{Key: key, Type: ft, Label: "Label " + key}
	switch ft {
	case TypeScale:
		f.Min, f.Max = ip(1), ip(10)
	case TypeSingleChoice, TypeMultiChoice:
		f.Options = []string{"One", "Two"}
	}
	return f
}

func schemaOf(fields ...Field) Schema {
	return Schema{Sections: []Section{{Title: "Section", Fields: fields}}}
}

func manyFields(n int) []Field {
	out := make([]Field, n)
	for i := range out {
		out[i] = minimal(fmt.Sprintf("f%d", i), TypeShortText)
	}
	return out
}

func options(n, size int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%03d", i) + strings.Repeat("o", size-3)
	}
	return out
}

func with(ft FieldType, mut func(*Field)) Schema {
	f := minimal("k", ft)
	mut(&f)
	return schemaOf(f)
}

func TestSchemaValidateAccepts(t *testing.T) {
	sections30 := Schema{}
	for i := 0; i < MaxSections; i++ {
		sections30.Sections = append(sections30.Sections, Section{Title: "S", Fields: []Field{minimal(fmt.Sprintf("k%d", i), TypeCheckbox)}})
	}
	cases := map[string]Schema{
		"short max_length 1":     with(TypeShortText, func(f *Field) { f.MaxLength = 1 }),
		"short max_length 500":   with(TypeShortText, func(f *Field) { f.MaxLength = 500 }),
		"long max_length 20000":  with(TypeLongText, func(f *Field) { f.MaxLength = 20000 }),
		"list limits at maximum": with(TypeList, func(f *Field) { f.MaxLength = 500; f.MaxItems = 100 }),
		"list limits at minimum": with(TypeList, func(f *Field) { f.MaxLength = 1; f.MaxItems = 1 }),
		"scale -100..100":        with(TypeScale, func(f *Field) { f.Min, f.Max = ip(-100), ip(100) }),
		"scale 0..1":             with(TypeScale, func(f *Field) { f.Min, f.Max = ip(0), ip(1) }),
		"scale end labels 100":   with(TypeScale, func(f *Field) { f.MinLabel = strings.Repeat("m", 100); f.MaxLabel = "Max" }),
		"single one option":      with(TypeSingleChoice, func(f *Field) { f.Options = []string{"Only"} }),
		"multi 50 long options":  with(TypeMultiChoice, func(f *Field) { f.Options = options(50, 200) }),
		"key 40 chars":           with(TypeDate, func(f *Field) { f.Key = "a" + strings.Repeat("b_9", 13) }),
		"label 300 help 1000":    with(TypeCheckbox, func(f *Field) { f.Label = strings.Repeat("é", 300); f.Help = strings.Repeat("h", 1000) }),
		"required agreement":     with(TypeAgreement, func(f *Field) { f.Required = true }),
		"title 200 intro 2000":   {Sections: []Section{{Title: strings.Repeat("t", 200), Intro: strings.Repeat("i", 2000), Fields: []Field{minimal("k", TypeShortText)}}}},
		"100 fields":             schemaOf(manyFields(MaxFields)...),
		"30 sections":            sections30,
	}
	for _, ft := range FieldTypes {
		cases["minimal "+string(ft)] = schemaOf(minimal("k", ft))
	}
	for name, s := range cases {
		if errs := s.Validate(); errs != nil {
			t.Errorf("%s: unexpected errors %v", name, errs)
		}
	}
}

func TestSchemaValidateRefuses(t *testing.T) {
	type tc struct {
		s       Schema
		key     string // expected error key
		mention string // the message must contain this (field key, label or phrase)
	}
	sections31 := Schema{}
	for i := 0; i <= MaxSections; i++ {
		sections31.Sections = append(sections31.Sections, Section{Title: "S", Fields: []Field{minimal(fmt.Sprintf("k%d", i), TypeCheckbox)}})
	}
	dupAcross := Schema{Sections: []Section{
		{Title: "One", Fields: []Field{minimal("same", TypeShortText)}},
		{Title: "Two", Fields: []Field{minimal("other", TypeShortText), minimal("same", TypeLongText)}},
	}}
	const p = "sections[0].fields[0]."
	cases := map[string]tc{
		"no sections":          {Schema{}, "sections", "at least one section"},
		"no fields at all":     {Schema{Sections: []Section{{Title: "S"}}}, "sections", "at least one field"},
		"empty second section": {Schema{Sections: []Section{{Title: "S", Fields: []Field{minimal("a", TypeDate)}}, {Title: "T"}}}, "sections[1].fields", "Section 2"},
		"31 sections":          {sections31, "sections", "30"},
		"101 fields":           {schemaOf(manyFields(MaxFields + 1)...), "sections", "100"},
		"section title empty":  {Schema{Sections: []Section{{Title: "  ", Fields: []Field{minimal("a", TypeDate)}}}}, "sections[0].title", "title"},
		"section title long":   {Schema{Sections: []Section{{Title: strings.Repeat("t", 201), Fields: []Field{minimal("a", TypeDate)}}}}, "sections[0].title", "200"},
		"section title NUL":    {Schema{Sections: []Section{{Title: "a\x00", Fields: []Field{minimal("a", TypeDate)}}}}, "sections[0].title", "NUL"},
		"section title UTF-8":  {Schema{Sections: []Section{{Title: "a\xff", Fields: []Field{minimal("a", TypeDate)}}}}, "sections[0].title", "UTF-8"},
		"section intro long":   {Schema{Sections: []Section{{Title: "S", Intro: strings.Repeat("i", 2001), Fields: []Field{minimal("a", TypeDate)}}}}, "sections[0].intro", "2000"},

		"key empty":          {with(TypeShortText, func(f *Field) { f.Key = "" }), p + "key", "Label k"},
		"key uppercase":      {with(TypeShortText, func(f *Field) { f.Key = "Trust" }), p + "key", `"Trust"`},
		"key leading digit":  {with(TypeShortText, func(f *Field) { f.Key = "1abc" }), p + "key", `"1abc"`},
		"key hyphen":         {with(TypeShortText, func(f *Field) { f.Key = "a-b" }), p + "key", `"a-b"`},
		"key space":          {with(TypeShortText, func(f *Field) { f.Key = "a b" }), p + "key", `"a b"`},
		"key accented":       {with(TypeShortText, func(f *Field) { f.Key = "café" }), p + "key", `"café"`},
		"key 41 chars":       {with(TypeShortText, func(f *Field) { f.Key = strings.Repeat("a", 41) }), p + "key", "40"},
		"key duplicate":      {schemaOf(minimal("same", TypeShortText), minimal("same", TypeDate)), "sections[0].fields[1].key", `"same"`},
		"key dup across":     {dupAcross, "sections[1].fields[1].key", `"same"`},
		"label empty":        {with(TypeShortText, func(f *Field) { f.Label = " " }), p + "label", `"k"`},
		"agreement no label": {with(TypeAgreement, func(f *Field) { f.Label = "" }), p + "label", "statement"},
		"label long":         {with(TypeShortText, func(f *Field) { f.Label = strings.Repeat("l", 301) }), p + "label", `"k"`},
		"label NUL":          {with(TypeShortText, func(f *Field) { f.Label = "x\x00" }), p + "label", "NUL"},
		"help long":          {with(TypeShortText, func(f *Field) { f.Help = strings.Repeat("h", 1001) }), p + "help", `"k"`},
		"type empty":         {with(TypeShortText, func(f *Field) { f.Type = "" }), p + "type", `"k"`},
		"type unknown":       {with(TypeShortText, func(f *Field) { f.Type = "rating" }), p + "type", `"rating"`},

		"short max_length 501":   {with(TypeShortText, func(f *Field) { f.MaxLength = 501 }), p + "max_length", `"k"`},
		"short max_length -1":    {with(TypeShortText, func(f *Field) { f.MaxLength = -1 }), p + "max_length", `"k"`},
		"long max_length 20001":  {with(TypeLongText, func(f *Field) { f.MaxLength = 20001 }), p + "max_length", "20000"},
		"list max_length 501":    {with(TypeList, func(f *Field) { f.MaxLength = 501 }), p + "max_length", "500"},
		"max_length on scale":    {with(TypeScale, func(f *Field) { f.MaxLength = 5 }), p + "max_length", `"k"`},
		"max_length on checkbox": {with(TypeCheckbox, func(f *Field) { f.MaxLength = 5 }), p + "max_length", "only applies"},
		"max_items 101":          {with(TypeList, func(f *Field) { f.MaxItems = 101 }), p + "max_items", `"k"`},
		"max_items -1":           {with(TypeList, func(f *Field) { f.MaxItems = -1 }), p + "max_items", `"k"`},
		"max_items on text":      {with(TypeLongText, func(f *Field) { f.MaxItems = 3 }), p + "max_items", "only applies"},

		"scale no min":          {with(TypeScale, func(f *Field) { f.Min = nil }), p + "min", "scale needs min and max"},
		"scale no max":          {with(TypeScale, func(f *Field) { f.Max = nil }), p + "min", "scale needs min and max"},
		"scale min below -100":  {with(TypeScale, func(f *Field) { f.Min = ip(-101) }), p + "min", `"k"`},
		"scale min above 100":   {with(TypeScale, func(f *Field) { f.Min, f.Max = ip(101), ip(102) }), p + "min", `"k"`},
		"scale max above 100":   {with(TypeScale, func(f *Field) { f.Max = ip(101) }), p + "max", `"k"`},
		"scale min equals max":  {with(TypeScale, func(f *Field) { f.Min, f.Max = ip(5), ip(5) }), p + "max", "less than"},
		"scale min above max":   {with(TypeScale, func(f *Field) { f.Min, f.Max = ip(7), ip(3) }), p + "max", `"k"`},
		"scale min_label long":  {with(TypeScale, func(f *Field) { f.MinLabel = strings.Repeat("m", 101) }), p + "min_label", `"k"`},
		"scale max_label NUL":   {with(TypeScale, func(f *Field) { f.MaxLabel = "\x00" }), p + "max_label", `"k"`},
		"min on text":           {with(TypeShortText, func(f *Field) { f.Min = ip(1) }), p + "min", "only apply to scale"},
		"max on date":           {with(TypeDate, func(f *Field) { f.Max = ip(1) }), p + "max", "only apply to scale"},
		"min_label on checkbox": {with(TypeCheckbox, func(f *Field) { f.MinLabel = "x" }), p + "min_label", `"k"`},
		"max_label on choice":   {with(TypeSingleChoice, func(f *Field) { f.MaxLabel = "x" }), p + "max_label", `"k"`},
		"choice no options":     {with(TypeSingleChoice, func(f *Field) { f.Options = nil }), p + "options", `"k"`},
		"choice 51 options":     {with(TypeMultiChoice, func(f *Field) { f.Options = options(51, 5) }), p + "options", "50"},
		"choice empty option":   {with(TypeSingleChoice, func(f *Field) { f.Options = []string{"a", ""} }), p + "options", "option 2"},
		"choice blank option":   {with(TypeMultiChoice, func(f *Field) { f.Options = []string{"  "} }), p + "options", "empty"},
		"choice dup option":     {with(TypeSingleChoice, func(f *Field) { f.Options = []string{"a", "a"} }), p + "options", `"a"`},
		"choice dup after trim": {with(TypeMultiChoice, func(f *Field) { f.Options = []string{"a", " a "} }), p + "options", "more than once"},
		"choice option 201":     {with(TypeSingleChoice, func(f *Field) { f.Options = options(1, 201) }), p + "options", "200"},
		"choice option NUL":     {with(TypeSingleChoice, func(f *Field) { f.Options = []string{"a\x00"} }), p + "options", "NUL"},
		"options on short text": {with(TypeShortText, func(f *Field) { f.Options = []string{"a"} }), p + "options", `"k"`},
		"options on scale":      {with(TypeScale, func(f *Field) { f.Options = []string{"a"} }), p + "options", "only apply"},
		"options on agreement":  {with(TypeAgreement, func(f *Field) { f.Options = []string{"a"} }), p + "options", "only apply"},
	}
	for name, c := range cases {
		errs := c.s.Validate()
		msg, ok := errs[c.key]
		if !ok {
			t.Errorf("%s: want error at %q, got %v", name, c.key, errs)
			continue
		}
		if !strings.Contains(msg, c.mention) {
			t.Errorf("%s: message %q should mention %q", name, msg, c.mention)
		}
	}
}

func TestEffectiveLimits(t *testing.T) {
	cases := []struct {
		f           Field
		length, max int
	}{
		{Field{Type: TypeShortText}, 500, 0},
		{Field{Type: TypeShortText, MaxLength: 80}, 80, 0},
		{Field{Type: TypeShortText, MaxLength: 9999}, 500, 0},
		{Field{Type: TypeLongText}, 20000, 0},
		{Field{Type: TypeLongText, MaxLength: -3}, 20000, 0},
		{Field{Type: TypeList}, 500, 20},
		{Field{Type: TypeList, MaxLength: 40, MaxItems: 5}, 40, 5},
		{Field{Type: TypeList, MaxItems: 1000}, 500, 100},
		{Field{Type: TypeScale, MaxLength: 5}, 0, 0},
	}
	for _, c := range cases {
		if got := EffectiveMaxLength(c.f); got != c.length {
			t.Errorf("EffectiveMaxLength(%+v) = %d, want %d", c.f, got, c.length)
		}
		if got := EffectiveMaxItems(c.f); got != c.max {
			t.Errorf("EffectiveMaxItems(%+v) = %d, want %d", c.f, got, c.max)
		}
	}
}

func TestTemplateValidate(t *testing.T) {
	base := func() Template {
		return Template{Slug: "my-exercise", Title: "Mine", Category: CategoryBoundaries, SuggestedMode: ModeJoint, Schema: schemaOf(minimal("k", TypeShortText))}
	}
	if errs := base().Validate(); errs != nil {
		t.Fatalf("valid template refused: %v", errs)
	}
	ok := base()
	ok.Slug = "" // custom templates may not have one yet
	ok.Audience, ok.SuggestedMode, ok.Private = AudienceEither, ModeIndividual, true
	if errs := ok.Validate(); errs != nil {
		t.Fatalf("valid private template refused: %v", errs)
	}
	cases := map[string]struct {
		mut func(*Template)
		key string
	}{
		"slug spaces":          {func(t *Template) { t.Slug = "my exercise" }, "slug"},
		"slug upper":           {func(t *Template) { t.Slug = "Mine" }, "slug"},
		"slug edge hyphen":     {func(t *Template) { t.Slug = "-mine" }, "slug"},
		"slug too long":        {func(t *Template) { t.Slug = strings.Repeat("a", 65) }, "slug"},
		"title empty":          {func(t *Template) { t.Title = " " }, "title"},
		"title long":           {func(t *Template) { t.Title = strings.Repeat("t", 201) }, "title"},
		"category unknown":     {func(t *Template) { t.Category = "misc" }, "category"},
		"category empty":       {func(t *Template) { t.Category = "" }, "category"},
		"mode empty":           {func(t *Template) { t.SuggestedMode = "" }, "suggested_mode"},
		"mode unknown":         {func(t *Template) { t.SuggestedMode = "both" }, "suggested_mode"},
		"private joint":        {func(t *Template) { t.Private = true }, "suggested_mode"},
		"audience unknown":     {func(t *Template) { t.Audience = "partner" }, "audience"},
		"description long":     {func(t *Template) { t.Description = strings.Repeat("d", MaxDescriptionLen+1) }, "description"},
		"instructions NUL":     {func(t *Template) { t.Instructions = "a\x00" }, "instructions"},
		"schema error kept":    {func(t *Template) { t.Schema.Sections[0].Fields[0].Key = "" }, "sections[0].fields[0].key"},
		"schema empty refused": {func(t *Template) { t.Schema = Schema{} }, "sections"},
	}
	for name, c := range cases {
		tpl := base()
		c.mut(&tpl)
		if _, ok := tpl.Validate()[c.key]; !ok {
			t.Errorf("%s: want error at %q, got %v", name, c.key, tpl.Validate())
		}
	}
}

func TestLabelsAndLists(t *testing.T) {
	for _, c := range Categories {
		if !c.Category.Valid() || c.Label == "" {
			t.Errorf("category %q has no label", c.Category)
		}
	}
	if len(Categories) != 10 || Category("nope").Valid() {
		t.Errorf("unexpected categories")
	}
	for _, m := range Modes {
		if !m.Valid() {
			t.Errorf("mode %q invalid", m)
		}
	}
	if Mode("both").Valid() || Audience("x").Valid() || !AudienceNone.Valid() || FieldType("x").Valid() {
		t.Errorf("unknown values accepted")
	}
}

func TestSchemaJSONTags(t *testing.T) {
	f := Field{Key: "k", Type: TypeScale, Label: "L", Help: "H", Required: true, MaxLength: 1, MaxItems: 2,
		Options: []string{"o"}, Min: ip(0), Max: ip(3), MinLabel: "a", MaxLabel: "b"}
	b, _ := json.Marshal(f)
	for _, tag := range []string{"key", "type", "label", "help", "required", "max_length", "max_items", "options", "min", "max", "min_label", "max_label"} {
		if !strings.Contains(string(b), `"`+tag+`":`) {
			t.Errorf("missing json tag %q in %s", tag, b)
		}
	}
	// min: 0 must survive a round trip (pointer, not omitempty int).
	var back Field
	if err := json.Unmarshal(b, &back); err != nil || back.Min == nil || *back.Min != 0 {
		t.Errorf("min 0 lost: %s", b)
	}
}

func TestCloneIsDeep(t *testing.T) {
	s := allTypesSchema()
	c := s.Clone()
	if !reflect.DeepEqual(s, c) {
		t.Fatal("clone differs")
	}
	c.Sections[1].Fields[0].Options = append(c.Sections[1].Fields[0].Options, "x")
	*c.Sections[1].Fields[0].Min = 5
	c.Sections[0].Fields[0].Label = "changed"
	if *s.Sections[1].Fields[0].Min != 1 || s.Sections[0].Fields[0].Label != "Short" {
		t.Fatal("clone shares state")
	}
}

// checkSchemaInvariants asserts what Validate promises for a valid schema.
func checkSchemaInvariants(t *testing.T, s Schema) {
	t.Helper()
	if len(s.Sections) < 1 || len(s.Sections) > MaxSections {
		t.Fatalf("sections: %d", len(s.Sections))
	}
	fields := s.Fields()
	if len(fields) < 1 || len(fields) > MaxFields {
		t.Fatalf("fields: %d", len(fields))
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if !keyRe.MatchString(f.Key) || seen[f.Key] {
			t.Fatalf("bad or duplicate key %q", f.Key)
		}
		seen[f.Key] = true
		if !f.Type.Valid() || strings.TrimSpace(f.Label) == "" {
			t.Fatalf("field %q: type %q label %q", f.Key, f.Type, f.Label)
		}
		if f.Type == TypeScale && (f.Min == nil || f.Max == nil || *f.Min >= *f.Max || *f.Min < -ScaleBound || *f.Max > ScaleBound) {
			t.Fatalf("field %q: bad scale", f.Key)
		}
		if f.Type.isChoice() {
			if len(f.Options) == 0 || len(f.Options) > MaxOptions {
				t.Fatalf("field %q: %d options", f.Key, len(f.Options))
			}
			opts := map[string]bool{}
			for _, o := range f.Options {
				if strings.TrimSpace(o) == "" || opts[strings.TrimSpace(o)] {
					t.Fatalf("field %q: empty or duplicate option %q", f.Key, o)
				}
				opts[strings.TrimSpace(o)] = true
			}
		} else if len(f.Options) > 0 {
			t.Fatalf("field %q: options on %s", f.Key, f.Type)
		}
		if f.MaxLength != 0 && f.MaxLength != EffectiveMaxLength(f) {
			t.Fatalf("field %q: max_length %d not effective", f.Key, f.MaxLength)
		}
	}
}

func FuzzSchemaValidate(f *testing.F) {
	for _, tpl := range Builtins() {
		b, _ := json.Marshal(tpl.Schema)
		f.Add(b)
	}
	b, _ := json.Marshal(allTypesSchema())
	f.Add(b)
	f.Add([]byte(`{"sections":[{"title":"S","fields":[{"key":"a","type":"scale","label":"L","min":3,"max":2}]}]}`))
	f.Add([]byte(`{"sections":[{"title":"S","fields":[{"key":"a","type":"multi_choice","label":"L","options":["x"," x"]},{"key":"a","type":"list","label":"L","max_items":101}]}]}`))
	f.Add([]byte(`{"sections":[{"title":"S","fields":[{"key":"a","type":"short_text","label":"\u0000","max_length":-1}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var s Schema
		if json.Unmarshal(data, &s) != nil {
			return
		}
		errs := s.Validate()
		for k, v := range errs {
			if k == "" || v == "" {
				t.Fatalf("empty error key or message: %q: %q", k, v)
			}
		}
		if errs != nil {
			if _, err := Render(s, RenderOptions{}); err == nil {
				t.Fatal("Render accepted an invalid schema")
			}
			return
		}
		checkSchemaInvariants(t, s)
		// A valid schema survives JSON and cloning, and renders in every view.
		b, _ := json.Marshal(s)
		var back Schema
		if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil {
			t.Fatalf("round trip broke a valid schema: %v", err)
		}
		for _, v := range []View{ViewForm, ViewReadOnly, ViewPrint} {
			if _, err := Render(s.Clone(), RenderOptions{View: v}); err != nil {
				t.Fatalf("render %v: %v", v, err)
			}
		}
	})
}
