package exercise

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateAnswersPerType(t *testing.T) {
	s := allTypesSchema()
	type tc struct {
		ans      map[string]any
		complete bool
		errKey   string // "" = no error expected for this case
		errHas   string
		key      string // check clean[key] == want (when errKey == "")
		want     any
	}
	absent := struct{}{}
	cases := map[string]tc{
		// short_text (max 10)
		"short ok":              {ans: map[string]any{"st": "hi"}, key: "st", want: "hi"},
		"short right-trimmed":   {ans: map[string]any{"st": "  hi \r\n"}, key: "st", want: "  hi"},
		"short 10 runes":        {ans: map[string]any{"st": "éééééééééé"}, key: "st", want: "éééééééééé"},
		"short too long":        {ans: map[string]any{"st": "01234567890"}, errKey: "st", errHas: "10 characters"},
		"short wrong type":      {ans: map[string]any{"st": 5.0}, errKey: "st", errHas: "text"},
		"short NUL":             {ans: map[string]any{"st": "a\x00b"}, errKey: "st", errHas: "characters"},
		"short bad UTF-8":       {ans: map[string]any{"st": "a\xffb"}, errKey: "st", errHas: "characters"},
		"short blank is absent": {ans: map[string]any{"st": "   "}, key: "st", want: absent},
		"short required draft":  {ans: map[string]any{}, key: "st", want: absent},
		"short required submit": {ans: map[string]any{"st": " "}, complete: true, errKey: "st", errHas: "required"},
		// long_text (max 20)
		"long CRLF":        {ans: map[string]any{"lt": "  a\r\nb\r\n\r\n"}, key: "lt", want: "  a\nb"},
		"long too long":    {ans: map[string]any{"lt": strings.Repeat("x", 21)}, errKey: "lt", errHas: "20"},
		"long CR not cnt":  {ans: map[string]any{"lt": strings.Repeat("x\r\n", 10)}, key: "lt", want: strings.TrimSuffix(strings.Repeat("x\n", 10), "\n")},
		"long wrong type":  {ans: map[string]any{"lt": []any{"a"}}, errKey: "lt", errHas: "text"},
		"long NUL":         {ans: map[string]any{"lt": "\x00"}, errKey: "lt"},
		"long bad UTF-8":   {ans: map[string]any{"lt": "\xc3"}, errKey: "lt"},
		"long not require": {ans: map[string]any{}, complete: true, errKey: "st"}, // lt optional: only st etc. complain
		// list (max 3 items of 5)
		"list ok":             {ans: map[string]any{"li": []any{" a ", "", "b\r"}}, key: "li", want: []string{" a", "b"}},
		"list []string":       {ans: map[string]any{"li": []string{"a"}}, key: "li", want: []string{"a"}},
		"list too many":       {ans: map[string]any{"li": []any{"a", "b", "c", "d"}}, errKey: "li", errHas: "3 items"},
		"list blanks dropped": {ans: map[string]any{"li": []any{"a", "", " ", "b", "c"}}, key: "li", want: []string{"a", "b", "c"}},
		"list item long":      {ans: map[string]any{"li": []any{"a", "123456"}}, errKey: "li", errHas: "Item 2"},
		"list not array":      {ans: map[string]any{"li": "a"}, errKey: "li", errHas: "list"},
		"list number item":    {ans: map[string]any{"li": []any{"a", 1.0}}, errKey: "li"},
		"list NUL":            {ans: map[string]any{"li": []any{"\x00"}}, errKey: "li"},
		"list bad UTF-8":      {ans: map[string]any{"li": []any{"\xff"}}, errKey: "li"},
		"list empty submit":   {ans: map[string]any{"li": []any{"", " "}}, complete: true, errKey: "li", errHas: "required"},
		"list empty draft":    {ans: map[string]any{"li": []any{}}, key: "li", want: absent},
		// scale 1..10
		"scale float":          {ans: map[string]any{"sc": 7.0}, key: "sc", want: 7},
		"scale int":            {ans: map[string]any{"sc": 3}, key: "sc", want: 3},
		"scale string":         {ans: map[string]any{"sc": " 7 "}, key: "sc", want: 7},
		"scale json.Number":    {ans: map[string]any{"sc": json.Number("10")}, key: "sc", want: 10},
		"scale fraction":       {ans: map[string]any{"sc": 7.5}, errKey: "sc", errHas: "1 to 10"},
		"scale below":          {ans: map[string]any{"sc": 0.0}, errKey: "sc"},
		"scale above":          {ans: map[string]any{"sc": "11"}, errKey: "sc"},
		"scale word":           {ans: map[string]any{"sc": "seven"}, errKey: "sc"},
		"scale bool":           {ans: map[string]any{"sc": true}, errKey: "sc"},
		"scale huge":           {ans: map[string]any{"sc": 1e300}, errKey: "sc"},
		"scale missing submit": {ans: map[string]any{"sc": ""}, complete: true, errKey: "sc", errHas: "required"},
		// single choice
		"single ok":       {ans: map[string]any{"sg": "b"}, key: "sg", want: "b"},
		"single trimmed":  {ans: map[string]any{"sg": " a "}, key: "sg", want: "a"},
		"single bad":      {ans: map[string]any{"sg": "c"}, errKey: "sg", errHas: "options"},
		"single type":     {ans: map[string]any{"sg": 1.0}, errKey: "sg"},
		"single list":     {ans: map[string]any{"sg": []any{"a"}}, errKey: "sg"},
		"single required": {ans: map[string]any{"sg": nil}, complete: true, errKey: "sg", errHas: "required"},
		// multi choice
		"multi ordered":  {ans: map[string]any{"mu": []any{"z", "x"}}, key: "mu", want: []string{"x", "z"}},
		"multi dup":      {ans: map[string]any{"mu": []any{"x", "x"}}, errKey: "mu", errHas: "more than once"},
		"multi bad":      {ans: map[string]any{"mu": []any{"w"}}, errKey: "mu", errHas: "options"},
		"multi type":     {ans: map[string]any{"mu": "x"}, errKey: "mu"},
		"multi item num": {ans: map[string]any{"mu": []any{1.0}}, errKey: "mu"},
		"multi empty":    {ans: map[string]any{"mu": []any{}}, complete: false, key: "mu", want: absent},
		// checkbox
		"check true":          {ans: map[string]any{"cb": true}, key: "cb", want: true},
		"check false draft":   {ans: map[string]any{"cb": false}, key: "cb", want: absent},
		"check false submit":  {ans: map[string]any{"cb": false}, complete: true, errKey: "cb", errHas: "required"},
		"check string":        {ans: map[string]any{"cb": "on"}, errKey: "cb"},
		"agreement true":      {ans: map[string]any{"ag": true}, key: "ag", want: true},
		"agreement submit":    {ans: map[string]any{"ag": false}, complete: true, errKey: "ag", errHas: "required"},
		"agreement wrongtype": {ans: map[string]any{"ag": 1.0}, errKey: "ag"},
		// date
		"date ok":        {ans: map[string]any{"dt": "2024-02-29"}, key: "dt", want: "2024-02-29"},
		"date no Feb 29": {ans: map[string]any{"dt": "2023-02-29"}, errKey: "dt", errHas: "doesn't exist"},
		"date month 13":  {ans: map[string]any{"dt": "2024-13-01"}, errKey: "dt"},
		"date slashes":   {ans: map[string]any{"dt": "2024/01/01"}, errKey: "dt", errHas: "YYYY-MM-DD"},
		"date short":     {ans: map[string]any{"dt": "2024-1-1"}, errKey: "dt"},
		"date too old":   {ans: map[string]any{"dt": "1899-12-31"}, errKey: "dt", errHas: "1900"},
		"date number":    {ans: map[string]any{"dt": 20240101.0}, errKey: "dt"},
		"date NUL":       {ans: map[string]any{"dt": "2024-01-0\x00"}, errKey: "dt"},
		"date blank":     {ans: map[string]any{"dt": ""}, key: "dt", want: absent},
		// unknown keys
		"unknown key": {ans: map[string]any{"nope": "x"}, errKey: "nope", errHas: "Unknown field"},
	}
	for name, c := range cases {
		clean, errs := s.ValidateAnswers(c.ans, c.complete)
		if c.errKey != "" {
			msg, ok := errs[c.errKey]
			if !ok {
				t.Errorf("%s: want error at %q, got %v", name, c.errKey, errs)
			} else if !strings.Contains(msg, c.errHas) {
				t.Errorf("%s: message %q lacks %q", name, msg, c.errHas)
			}
			if _, leaked := clean[c.errKey]; leaked {
				t.Errorf("%s: invalid value kept in clean", name)
			}
			continue
		}
		if errs != nil {
			t.Errorf("%s: unexpected errors %v", name, errs)
			continue
		}
		got, present := clean[c.key]
		if c.want == absent {
			if present {
				t.Errorf("%s: clean[%q] = %#v, want absent", name, c.key, got)
			}
		} else if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: clean[%q] = %#v, want %#v", name, c.key, got, c.want)
		}
	}
}

func TestValidateAnswersComplete(t *testing.T) {
	s := allTypesSchema()
	_, errs := s.ValidateAnswers(nil, true)
	for _, k := range []string{"st", "li", "sc", "sg", "cb", "ag"} {
		if errs[k] != msgRequired {
			t.Errorf("%s: want required, got %q", k, errs[k])
		}
	}
	for _, k := range []string{"lt", "mu", "dt"} {
		if _, ok := errs[k]; ok {
			t.Errorf("%s is optional but refused", k)
		}
	}
	if _, errs := s.ValidateAnswers(nil, false); errs != nil {
		t.Errorf("empty draft refused: %v", errs)
	}
	full := sampleAnswers(s, "ok")
	clean, errs := s.ValidateAnswers(full, true)
	if errs != nil || len(clean) != len(s.Fields()) {
		t.Fatalf("complete answers: %v %v", errs, clean)
	}
}

func TestAnswersFromForm(t *testing.T) {
	s := allTypesSchema()
	form := url.Values{
		"a.st":   {"  typed as is "},
		"a.lt":   {"line\r\nline"},
		"a.li":   {"one", "", "  ", "two"},
		"a.sc":   {"7"},
		"a.sg":   {"b"},
		"a.mu":   {"x", "z"},
		"a.cb":   {"on"},
		"a.dt":   {"2026-01-31"},
		"csrf":   {"token"},      // caller's own field: ignored
		"a.nope": {"tampered"},   // not in the schema: ignored
		"a.ag":   {"true", "on"}, // repeated is fine
	}
	got := s.AnswersFromForm(form)
	want := map[string]any{
		"st": "  typed as is ", "lt": "line\r\nline", "li": []string{"one", "two"}, "sc": 7, "sg": "b",
		"mu": []string{"x", "z"}, "cb": true, "dt": "2026-01-31", "ag": true,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}

	// Unticked boxes are false, empty inputs absent, bad scale kept as typed.
	got = s.AnswersFromForm(url.Values{"a.sc": {"seven"}, "a.li": {"", ""}, "a.sg": {""}})
	if got["sc"] != "seven" || got["cb"] != false || got["ag"] != false {
		t.Fatalf("unexpected %#v", got)
	}
	if _, ok := got["li"]; ok {
		t.Errorf("blank list kept")
	}
	_, errs := s.ValidateAnswers(got, false)
	if errs["sc"] == "" {
		t.Errorf("non-integer scale not refused")
	}
	// The re-shown form keeps the other answers intact.
	h := mustRender(t, s, RenderOptions{Answers: s.AnswersFromForm(form), Errors: errs})
	if !strings.Contains(h, `value="  typed as is "`) {
		t.Errorf("raw text lost on re-show")
	}
}

// TestFormRoundTrip renders answers, submits the form like a browser and
// checks the same clean answers come back, for every built-in.
func TestFormRoundTrip(t *testing.T) {
	schemas := map[string]Schema{"all-types": allTypesSchema()}
	for _, tpl := range Builtins() {
		schemas[tpl.Slug] = tpl.Schema
	}
	for name, s := range schemas {
		text := `Tom & "Jerry" <b>'s</b> +1`
		if name == "all-types" {
			text = "a&<"
		}
		want, errs := s.ValidateAnswers(sampleAnswers(s, text), true)
		if errs != nil {
			t.Fatalf("%s: sample answers invalid: %v", name, errs)
		}
		if name == "all-types" {
			want["lt"] = "\n\nlead" // leading newlines must survive the textarea
		}
		form := scrapeForm(mustRender(t, s, RenderOptions{View: ViewForm, Answers: want, IDPrefix: "rt"}))
		got, errs := s.ValidateAnswers(s.AnswersFromForm(form), true)
		if errs != nil {
			t.Fatalf("%s: submitted form invalid: %v", name, errs)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip\n got  %#v\n want %#v", name, got, want)
		}
	}
}

func FuzzValidateAnswers(f *testing.F) {
	schemas := []Schema{allTypesSchema()}
	for _, tpl := range Builtins() {
		schemas = append(schemas, tpl.Schema)
	}
	for i, s := range schemas {
		b, _ := json.Marshal(sampleAnswers(s, "ok"))
		f.Add(uint8(i), b, true)
	}
	f.Add(uint8(0), []byte(`{"st":"01234567890","li":["a","","b","c","d"],"sc":"7","mu":["x","x"],"dt":"2023-02-29"}`), false)
	f.Add(uint8(0), []byte(`{"st":"\u0000","lt":"a\r\nb","sc":7.5,"cb":"on","nope":1}`), false)
	f.Add(uint8(6), []byte(`{"trust":7,"mood":"Calm","appreciation":"  thanks  "}`), true)
	f.Fuzz(func(t *testing.T, idx uint8, data []byte, complete bool) {
		s := schemas[int(idx)%len(schemas)]
		var ans map[string]any
		if json.Unmarshal(data, &ans) != nil {
			return
		}
		clean, errs := s.ValidateAnswers(ans, complete)
		// Whatever came in, the form can be re-shown with its errors.
		if _, err := Render(s, RenderOptions{Answers: ans, Errors: errs}); err != nil {
			t.Fatal(err)
		}
		if errs != nil {
			return
		}
		again, errs2 := s.ValidateAnswers(clean, complete)
		if errs2 != nil || !reflect.DeepEqual(again, clean) {
			t.Fatalf("clean answers not stable: %v\n%#v\n%#v", errs2, clean, again)
		}
		b, _ := json.Marshal(clean)
		var decoded map[string]any
		if err := json.Unmarshal(b, &decoded); err != nil {
			t.Fatal(err)
		}
		if viaJSON, errs3 := s.ValidateAnswers(decoded, complete); errs3 != nil || !reflect.DeepEqual(viaJSON, clean) {
			t.Fatalf("clean answers not stable through JSON: %v", errs3)
		}
		checkCleanLimits(t, s, clean)
		for _, v := range []View{ViewReadOnly, ViewPrint} {
			if _, err := Render(s, RenderOptions{View: v, Answers: clean}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func checkCleanLimits(t *testing.T, s Schema, clean map[string]any) {
	t.Helper()
	for k, v := range clean {
		f, ok := s.Field(k)
		if !ok {
			t.Fatalf("clean has unknown key %q", k)
		}
		okText := func(x string, max int) {
			if !utf8.ValidString(x) || strings.ContainsRune(x, 0) || strings.ContainsRune(x, '\r') || utf8.RuneCountInString(x) > max || strings.TrimSpace(x) == "" {
				t.Fatalf("%s: bad text %q", k, x)
			}
		}
		switch f.Type {
		case TypeShortText, TypeLongText:
			okText(v.(string), EffectiveMaxLength(f))
		case TypeList:
			items := v.([]string)
			if len(items) == 0 || len(items) > EffectiveMaxItems(f) {
				t.Fatalf("%s: %d items", k, len(items))
			}
			for _, it := range items {
				okText(it, EffectiveMaxLength(f))
			}
		case TypeScale:
			if n := v.(int); n < *f.Min || n > *f.Max {
				t.Fatalf("%s: %d out of range", k, n)
			}
		case TypeSingleChoice:
			if _, _, ok := matchOption(f, v.(string)); !ok {
				t.Fatalf("%s: %q not an option", k, v)
			}
		case TypeMultiChoice:
			for _, o := range v.([]string) {
				if _, _, ok := matchOption(f, o); !ok {
					t.Fatalf("%s: %q not an option", k, o)
				}
			}
		case TypeCheckbox, TypeAgreement:
			if v != true {
				t.Fatalf("%s: %v", k, v)
			}
		case TypeDate:
			if _, msg := normDate(v); msg != "" {
				t.Fatalf("%s: %v", k, v)
			}
		}
	}
}
