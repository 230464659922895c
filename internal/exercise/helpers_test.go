package exercise

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func ip(n int) *int { return &n }

const evil = `<script>alert(1)</script>`

// allTypesSchema has one field of every type, with small limits so tests
// and fuzzing reach the over-limit paths quickly.
func allTypesSchema() Schema {
	return Schema{Sections: []Section{
		{Title: "Texts", Fields: []Field{
			{Key: "st", Type: TypeShortText, Label: "Short", Help: "Short help", Required: true, MaxLength: 10},
			{Key: "lt", Type: TypeLongText, Label: "Long", MaxLength: 20},
			{Key: "li", Type: TypeList, Label: "List", Required: true, MaxItems: 3, MaxLength: 5},
		}},
		{Title: "Choices", Fields: []Field{
			{Key: "sc", Type: TypeScale, Label: "Scale", Required: true, Min: ip(1), Max: ip(10), MinLabel: "Low", MaxLabel: "High"},
			{Key: "sg", Type: TypeSingleChoice, Label: "Single", Required: true, Options: []string{"a", "b"}},
			{Key: "mu", Type: TypeMultiChoice, Label: "Multi", Options: []string{"x", "y", "z"}},
			{Key: "cb", Type: TypeCheckbox, Label: "Check", Required: true},
			{Key: "dt", Type: TypeDate, Label: "Date"},
			{Key: "ag", Type: TypeAgreement, Label: "We agree", Required: true},
		}},
	}}
}

// sampleAnswers fills every field of s with a valid answer built around text
// (which must fit every text limit in s).
func sampleAnswers(s Schema, text string) map[string]any {
	ans := map[string]any{}
	for _, f := range s.Fields() {
		switch f.Type {
		case TypeShortText:
			ans[f.Key] = text
		case TypeLongText:
			ans[f.Key] = text + "\nsecond line\n\n" + text
		case TypeList:
			ans[f.Key] = []string{text, text + " 2"}
		case TypeScale:
			ans[f.Key] = *f.Max
		case TypeSingleChoice:
			ans[f.Key] = f.Options[len(f.Options)-1]
		case TypeMultiChoice:
			ans[f.Key] = []string{f.Options[0], f.Options[len(f.Options)-1]}
		case TypeCheckbox, TypeAgreement:
			ans[f.Key] = true
		case TypeDate:
			ans[f.Key] = "2026-03-02"
		}
	}
	return ans
}

var (
	inputRe    = regexp.MustCompile(`<input\b[^>]*>`)
	textareaRe = regexp.MustCompile(`(?s)<textarea\b([^>]*)>(.*?)</textarea>`)
	attrRe     = regexp.MustCompile(`\s([a-z-]+)(?:="([^"]*)")?`)
)

func attrs(tag string) map[string]string {
	m := map[string]string{}
	for _, a := range attrRe.FindAllStringSubmatch(tag, -1) {
		m[a[1]] = html.UnescapeString(a[2])
	}
	return m
}

// scrapeForm submits a rendered form the way a browser would: enabled
// inputs, ticked boxes only, textareas with CRLF line endings.
func scrapeForm(h string) url.Values {
	v := url.Values{}
	for _, tag := range inputRe.FindAllString(h, -1) {
		a := attrs(tag)
		if _, dis := a["disabled"]; dis || a["name"] == "" {
			continue
		}
		if a["type"] == "radio" || a["type"] == "checkbox" {
			if _, ok := a["checked"]; ok {
				v.Add(a["name"], a["value"])
			}
			continue
		}
		v.Add(a["name"], a["value"])
	}
	for _, m := range textareaRe.FindAllStringSubmatch(h, -1) {
		a := attrs(m[1])
		body := strings.TrimPrefix(html.UnescapeString(m[2]), "\n") // the parser drops one leading newline
		v.Add(a["name"], strings.ReplaceAll(body, "\n", "\r\n"))
	}
	return v
}

func mustRender(t testing.TB, s Schema, o RenderOptions) string {
	t.Helper()
	h, err := Render(s, o)
	if err != nil {
		t.Fatalf("Render(%v): %v", o.View, err)
	}
	return string(h)
}

// assertSafeHTML checks for things a strict CSP or the caller must own.
func assertSafeHTML(t testing.TB, h string) {
	t.Helper()
	for _, bad := range []string{"<script", "<form", "<button", "style=", "javascript:", "type=\"submit\""} {
		if strings.Contains(strings.ToLower(h), bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	// Attribute values are escaped text; look only at attribute names.
	unquoted := regexp.MustCompile(`="[^"]*"`).ReplaceAllString(h, `=""`)
	if regexp.MustCompile(`<[^>]*\son[a-z]+=`).MatchString(unquoted) {
		t.Errorf("output contains an inline event handler")
	}
}
