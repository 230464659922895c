package exercise

import "testing"

// AnswerText words answers as the read-only view does, as plain text (the
// caller escapes it), for comparing submissions.
func TestAnswerText(t *testing.T) {
	s := allTypesSchema()
	f := func(key string) Field {
		t.Helper()
		fd, ok := s.Field(key)
		if !ok {
			t.Fatalf("no field %s", key)
		}
		return fd
	}
	for _, c := range []struct {
		key  string
		v    any
		want string
	}{
		{"st", "  Hello  ", "Hello"},
		{"st", nil, ""},
		{"lt", "Line one\nline two\n\n\nNext paragraph  ", "Line one\nline two\n\nNext paragraph"},
		{"lt", "   ", ""},
		{"li", []any{"one", " ", "two"}, "one\ntwo"},
		{"li", []any{}, ""},
		{"sc", float64(7), "7 of 10 (Low … High)"},
		{"sg", "b", "b"},
		{"mu", []any{"x", "z"}, "x\nz"},
		{"cb", true, "Yes"},
		{"cb", false, "No"},
		{"ag", true, "Agreed"},
		{"dt", "2026-12-01", "1 December 2026"},
		{"st", evil, evil}, // plain text: escaping is the page's
	} {
		if got := AnswerText(f(c.key), c.v); got != c.want {
			t.Errorf("AnswerText(%s, %#v) = %q, want %q", c.key, c.v, got, c.want)
		}
	}
}
