package exercise

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// FuzzAnswersFromForm fuzzes the form reader with arbitrary posted values:
// no panic; only schema keys come back; checkboxes are always booleans;
// lists keep no blank rows; text is kept as posted (first value); the result
// goes through ValidateAnswers without panicking, and clean answers are
// stable.
func FuzzAnswersFromForm(f *testing.F) {
	f.Add("hello", "line\r\nline", "a\x00b", "7", "on", "2026-03-02", "b", "x")
	f.Add("\xff\xfe", "<script>alert(1)</script>", "   ", "7.5", "yes", "2023-02-29", "'; --", "q")
	f.Add("", "", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, st, lt, li, sc, cb, dt, sg, mu string) {
		s := allTypesSchema()
		form := url.Values{}
		set := func(k string, vs ...string) { form[InputName(k)] = vs }
		set("st", st)
		set("lt", lt)
		set("li", li, "", li+"2")
		set("sc", sc)
		set("cb", cb)
		set("dt", dt)
		set("sg", sg)
		set("mu", mu, "x")
		set("ag", cb)
		form.Set("nope", st)
		form.Set("csrf_token", lt)
		ans := s.AnswersFromForm(form)
		keys := map[string]bool{}
		for _, fl := range s.Fields() {
			keys[fl.Key] = true
		}
		for k, v := range ans {
			if !keys[k] {
				t.Fatalf("unknown key %q kept", k)
			}
			if items, ok := v.([]string); ok {
				for _, it := range items {
					if strings.TrimSpace(it) == "" {
						t.Fatalf("blank row kept in %s", k)
					}
				}
			}
		}
		for _, k := range []string{"cb", "ag"} {
			if _, ok := ans[k].(bool); !ok {
				t.Fatalf("%s is %T", k, ans[k])
			}
		}
		if ans["st"] != st || ans["lt"] != lt || ans["dt"] != dt || ans["sg"] != sg {
			t.Fatalf("text not kept as posted: %#v", ans)
		}
		clean, errs := s.ValidateAnswers(ans, false)
		if errs != nil {
			return
		}
		again, errs := s.ValidateAnswers(clean, false)
		if errs != nil || !reflect.DeepEqual(again, clean) {
			t.Fatalf("clean answers not stable: %v", errs)
		}
		checkCleanLimits(t, s, clean)
	})
}
