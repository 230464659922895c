package exercise

import (
	"regexp"
	"strings"
	"testing"
)

var allViews = []View{ViewForm, ViewReadOnly, ViewPrint}

func TestRenderFormAccessibility(t *testing.T) {
	s := allTypesSchema()
	errs := FieldErrors{"st": "Too <long>", "sc": "Pick one", "li": "Item 1 bad", "ghost": "Unknown field."}
	h := mustRender(t, s, RenderOptions{View: ViewForm, Answers: map[string]any{"st": "x"}, Errors: errs})
	assertSafeHTML(t, h)

	// Every input and textarea has an id with a matching <label for>.
	ids := regexp.MustCompile(`<(?:input|textarea)\b[^>]*\sid="([^"]+)"`).FindAllStringSubmatch(h, -1)
	if n := len(regexp.MustCompile(`<(?:input|textarea)\b`).FindAllString(h, -1)); n != len(ids) || n == 0 {
		t.Fatalf("%d controls, %d with ids", n, len(ids))
	}
	for _, m := range ids {
		if !regexp.MustCompile(`<label[^>]*for="` + regexp.QuoteMeta(m[1]) + `"`).MatchString(h) {
			t.Errorf("no label for %s", m[1])
		}
	}
	for _, want := range []string{
		`id="ex-st-help"`, `aria-describedby="ex-st-help ex-st-error"`, // help and error linked
		`<p class="ex-error" id="ex-st-error">Too &lt;long&gt;</p>`,
		`aria-invalid="true"`, `maxlength="10"`, `maxlength="20"`, `maxlength="5"`,
		`class="ex-field ex-field-short-text ex-invalid"`,
		`<legend class="ex-label">Scale <span class="ex-required">(required)</span></legend>`,
		`id="ex-sc-min">Low</span>`, `id="ex-sc-max">High</span>`, `aria-describedby="ex-sc-min ex-sc-max ex-sc-error"`,
		`type="radio" id="ex-sc-1" name="a.sc" value="1"`, `id="ex-sc-10"`,
		`type="radio" id="ex-sg-2" name="a.sg" value="b"`,
		`type="checkbox" id="ex-mu-3" name="a.mu" value="z"`,
		`type="date" id="ex-dt"`, `type="checkbox" id="ex-ag" name="a.ag" value="on" required`,
		`<label class="ex-label" for="ex-ag">We agree`,
		`class="ex-error-summary"`, `<a href="#ex-st">Short</a>: Too &lt;long&gt;`, `<a href="#ex-sc-1">Scale</a>`, `ghost: Unknown field.`,
		`Save to get more empty rows`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("form lacks %s", want)
		}
	}
	// required: on short text, first list row, every scale and single radio, check, agreement; never on multi.
	if strings.Contains(h, `name="a.mu" value="x" required`) {
		t.Error("multi choice checkboxes must not be required")
	}
	if got := strings.Count(h, " required"); got != 1+1+10+2+1+1 {
		t.Errorf("%d required attributes", got)
	}
}

func TestRenderListRows(t *testing.T) {
	s := allTypesSchema() // list: max 3 items
	count := func(h string) int { return strings.Count(h, `name="a.li"`) }
	h := mustRender(t, s, RenderOptions{})
	if count(h) != 2 || !strings.Contains(h, "Save to get more") {
		t.Errorf("empty list: %d rows", count(h))
	}
	h = mustRender(t, s, RenderOptions{Answers: map[string]any{"li": []any{"a", "b"}}})
	if count(h) != 3 || strings.Contains(h, "Save to get more") {
		t.Errorf("near-full list: %d rows, hint shown", count(h))
	}
	h = mustRender(t, s, RenderOptions{Answers: map[string]any{"li": []string{"a", "b", "c", "d"}}})
	if count(h) != 4 { // over-limit raw answers are still all shown
		t.Errorf("over-full list: %d rows", count(h))
	}
	if !strings.Contains(h, `<label class="ex-list-label" for="ex-li-2">Item 2</label>`) {
		t.Error("list rows lack labels")
	}
}

func TestRenderDisabledAndPrefix(t *testing.T) {
	s := allTypesSchema()
	h := mustRender(t, s, RenderOptions{Disabled: true, IDPrefix: `p1 "x"<`})
	controls := regexp.MustCompile(`<(?:input|textarea)\b[^>]*>`).FindAllString(h, -1)
	for _, c := range controls {
		if !strings.Contains(c, " disabled") {
			t.Errorf("not disabled: %s", c)
		}
	}
	if strings.Contains(h, "Save to get more") || !strings.Contains(h, "ex-disabled") {
		t.Error("disabled form shows the rows hint or lacks its class")
	}
	if !strings.Contains(h, `id="p1x-st"`) {
		t.Error("prefix not sanitized/applied")
	}
	if h2 := mustRender(t, s, RenderOptions{IDPrefix: "9"}); !strings.Contains(h2, `id="ex9-st"`) {
		t.Error("prefix must start with a letter")
	}
}

func TestRenderReadOnly(t *testing.T) {
	s := allTypesSchema()
	ans := map[string]any{
		"lt": "First para\nsame para\n\n\nSecond <i>para</i>",
		"li": []any{"one", " "}, "sc": 7.0, "mu": []any{"x", "z"}, "cb": true, "dt": "2026-03-02", "sg": "a",
	}
	h := mustRender(t, s, RenderOptions{View: ViewReadOnly, Answers: ans, Errors: FieldErrors{"st": "ignored here"}})
	assertSafeHTML(t, h)
	for _, want := range []string{
		`class="ex-readonly"`,
		`<p>First para<br>same para</p><p>Second &lt;i&gt;para&lt;/i&gt;</p>`,
		`<span class="ex-empty">— no answer —</span>`,
		`7 of 10 (Low … High)`,
		`<ul class="ex-items"><li>one</li></ul>`,
		`<li>x</li><li>z</li>`,
		`2 March 2026`, `>Yes</dd>`, `>Not agreed</dd>`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("read-only lacks %s", want)
		}
	}
	if strings.Contains(h, "<input") || strings.Contains(h, "ignored here") {
		t.Error("read-only view shows inputs or errors")
	}
	if strings.Count(h, NoAnswer) != 1 { // only the short text is unanswered
		t.Errorf("%d unanswered", strings.Count(h, NoAnswer))
	}
}

func TestScaleText(t *testing.T) {
	cases := []struct {
		f    Field
		v    any
		want string
	}{
		{Field{Min: ip(1), Max: ip(10), MinLabel: "Not at all", MaxLabel: "Completely"}, 7, "7 of 10 (Not at all … Completely)"},
		{Field{Min: ip(0), Max: ip(5)}, "3", "3 of 5"},
		{Field{Min: ip(-5), Max: ip(5), MaxLabel: "Best"}, -2.0, "-2 on a scale from -5 to 5 (… Best)"},
		{Field{Min: ip(1), Max: ip(10)}, "seven", "seven"},
		{Field{Min: ip(1), Max: ip(10)}, nil, ""},
	}
	for _, c := range cases {
		if got := scaleText(c.f, c.v); got != c.want {
			t.Errorf("scaleText(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}

func TestRenderPrint(t *testing.T) {
	s := allTypesSchema()
	h := mustRender(t, s, RenderOptions{View: ViewPrint, Answers: map[string]any{"sg": "b", "st": "hello"}})
	assertSafeHTML(t, h)
	for _, want := range []string{
		`class="ex-print"`, `hello`, `<dd class="ex-help">Short help</dd>`,
		`<div class="ex-blank-line">`, `<ol class="ex-blank-items">`, // unanswered texts and lists
		`<span class="ex-box">☐</span> a</li><li class="ex-mark ex-marked"><span class="ex-box">☒</span> b`,
		`<span class="ex-print-scale"><span class="ex-scale-end">Low</span>`,
		`<span class="ex-box">☐</span> I agree`,
	} {
		if !strings.Contains(h, want) {
			t.Errorf("print lacks %s", want)
		}
	}
	if strings.Contains(h, NoAnswer) || strings.Contains(h, "<input") {
		t.Error("print shows placeholders or inputs")
	}
}

func TestRenderRefusesBadInput(t *testing.T) {
	if _, err := Render(Schema{}, RenderOptions{}); err == nil {
		t.Error("empty schema rendered")
	}
	if _, err := Render(allTypesSchema(), RenderOptions{View: View(9)}); err == nil {
		t.Error("unknown view rendered")
	}
	// Wrongly typed stored answers never break rendering.
	odd := map[string]any{"st": 5.0, "lt": []any{"a", 1.0}, "li": "single", "sc": "x", "sg": true,
		"mu": "x", "cb": "on", "dt": "someday", "ag": 1.0}
	for _, v := range allViews {
		mustRender(t, allTypesSchema(), RenderOptions{View: v, Answers: odd})
	}
}

func TestRenderEscapesSchemaText(t *testing.T) {
	s := Schema{Sections: []Section{{Title: evil, Intro: evil, Fields: []Field{
		{Key: "a", Type: TypeSingleChoice, Label: evil, Help: evil, Options: []string{evil, `" onclick="x`}},
		{Key: "b", Type: TypeScale, Label: "S", Min: ip(1), Max: ip(3), MinLabel: evil, MaxLabel: evil},
	}}}}
	for _, v := range allViews {
		h := mustRender(t, s, RenderOptions{View: v, Answers: map[string]any{"a": evil}, Errors: FieldErrors{"a": evil}})
		assertSafeHTML(t, h)
		if !strings.Contains(h, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%v: escaped text missing", v)
		}
	}
}
