package exercise

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FormPrefix prefixes every input name the renderer emits, so exercise
// answers never collide with the caller's own form fields (CSRF token etc.).
const FormPrefix = "a."

// InputName is the form input name for a field key.
func InputName(key string) string { return FormPrefix + key }

// Dates outside this range are almost certainly typos.
const (
	MinDateYear = 1900
	MaxDateYear = 2100
)

const (
	msgRequired = "This field is required."
	msgBadChars = "This contains characters that can't be saved; please retype it."
)

// ValidateAnswers checks answers (as decoded from JSON or built by
// AnswersFromForm) against the schema. Drafts (requireComplete=false) are
// only checked for types, limits and options; submission also enforces
// Required. Errors are keyed by field key; unknown keys are refused.
//
// clean holds the normalized answers of valid, non-empty fields only (an
// absent key means "no answer"): strings without "\r" and trailing space,
// scales as int, lists and multi choices as []string (multi choices in
// option order), single choices as the option's exact text, checkboxes and
// agreements as true. When errs is non-nil, re-show the form from the raw
// answers, not from clean.
func (s Schema) ValidateAnswers(ans map[string]any, requireComplete bool) (clean map[string]any, errs FieldErrors) {
	clean = map[string]any{}
	errs = FieldErrors{}
	known := map[string]bool{}
	for _, f := range s.Fields() {
		known[f.Key] = true
		v, msg := normalize(f, ans[f.Key])
		switch {
		case msg != "":
			errs.add(f.Key, msg)
		case v == nil:
			if requireComplete && f.Required {
				errs.add(f.Key, msgRequired)
			}
		default:
			clean[f.Key] = v
		}
	}
	for k := range ans {
		if !known[k] {
			errs.add(k, "Unknown field.")
		}
	}
	return clean, errs.orNil()
}

// normalize returns the clean value (nil when empty) or a message.
func normalize(f Field, v any) (any, string) {
	switch f.Type {
	case TypeShortText, TypeLongText:
		return normText(f, v)
	case TypeList:
		return normList(f, v)
	case TypeScale:
		return normScale(f, v)
	case TypeSingleChoice:
		return normSingle(f, v)
	case TypeMultiChoice:
		return normMulti(f, v)
	case TypeCheckbox, TypeAgreement:
		switch b := v.(type) {
		case nil:
			return nil, ""
		case bool:
			if b {
				return true, ""
			}
			return nil, "" // unchecked is "no answer" so Required can refuse it
		}
		return nil, "Please tick the box or leave it empty."
	case TypeDate:
		return normDate(v)
	}
	return nil, "This field can't be answered."
}

// cleanText strips "\r" (browsers send CRLF) and trailing whitespace.
func cleanText(s string) (string, string) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", msgBadChars
	}
	return strings.TrimRight(strings.ReplaceAll(s, "\r", ""), " \t\n\v\f\u00a0"), ""
}

func normText(f Field, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	raw, ok := v.(string)
	if !ok {
		return nil, "Please enter text."
	}
	s, msg := cleanText(raw)
	if msg != "" {
		return nil, msg
	}
	if n, max := utf8.RuneCountInString(s), EffectiveMaxLength(f); n > max {
		return nil, fmt.Sprintf("Please keep this to %d characters or fewer (it has %d).", max, n)
	}
	if strings.TrimSpace(s) == "" {
		return nil, ""
	}
	return s, ""
}

// stringList accepts []any of strings (JSON) or []string (Go callers).
func stringList(v any) ([]string, bool) {
	switch l := v.(type) {
	case []string:
		return l, true
	case []any:
		out := make([]string, len(l))
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

func normList(f Field, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	raw, ok := stringList(v)
	if !ok {
		return nil, "Please enter a list of text items."
	}
	var items []string
	for _, r := range raw {
		s, msg := cleanText(r)
		if msg != "" {
			return nil, msg
		}
		if strings.TrimSpace(s) == "" {
			continue // blank rows are just unused rows
		}
		if n, max := utf8.RuneCountInString(s), EffectiveMaxLength(f); n > max {
			return nil, fmt.Sprintf("Item %d is too long: please keep each item to %d characters or fewer.", len(items)+1, max)
		}
		items = append(items, s)
	}
	if max := EffectiveMaxItems(f); len(items) > max {
		return nil, fmt.Sprintf("Please keep this to %d items or fewer (it has %d).", max, len(items))
	}
	if len(items) == 0 {
		return nil, ""
	}
	return items, ""
}

func normScale(f Field, v any) (any, string) {
	lo, hi := 0, 0
	if f.Min != nil && f.Max != nil {
		lo, hi = *f.Min, *f.Max
	}
	bad := fmt.Sprintf("Please choose a whole number from %d to %d.", lo, hi)
	var x float64
	switch n := v.(type) {
	case nil:
		return nil, ""
	case float64:
		x = n
	case int:
		x = float64(n)
	case int64:
		x = float64(n)
	case json.Number:
		i, err := n.Int64()
		if err != nil {
			return nil, bad
		}
		x = float64(i)
	case string:
		t := strings.TrimSpace(n)
		if t == "" {
			return nil, ""
		}
		i, err := strconv.Atoi(t)
		if err != nil {
			return nil, bad
		}
		x = float64(i)
	default:
		return nil, bad
	}
	if math.IsNaN(x) || x != math.Trunc(x) || x < float64(lo) || x > float64(hi) {
		return nil, bad
	}
	return int(x), ""
}

// matchOption returns the schema's option equal to s (ignoring surrounding
// space, as options are compared trimmed when validated).
func matchOption(f Field, s string) (string, int, bool) {
	t := strings.TrimSpace(s)
	for i, o := range f.Options {
		if o == s || strings.TrimSpace(o) == t {
			return o, i, true
		}
	}
	return "", 0, false
}

func normSingle(f Field, v any) (any, string) {
	switch s := v.(type) {
	case nil:
		return nil, ""
	case string:
		if strings.TrimSpace(s) == "" {
			return nil, ""
		}
		if o, _, ok := matchOption(f, s); ok {
			return o, ""
		}
	}
	return nil, "Please choose one of the options given."
}

func normMulti(f Field, v any) (any, string) {
	if v == nil {
		return nil, ""
	}
	raw, ok := stringList(v)
	if !ok {
		return nil, "Please choose from the options given."
	}
	picked := make([]bool, len(f.Options))
	n := 0
	for _, s := range raw {
		if strings.TrimSpace(s) == "" {
			continue
		}
		_, i, ok := matchOption(f, s)
		if !ok {
			return nil, "Please choose from the options given."
		}
		if picked[i] {
			return nil, "An option was chosen more than once."
		}
		picked[i] = true
		n++
	}
	if n == 0 {
		return nil, ""
	}
	out := make([]string, 0, n)
	for i, p := range picked {
		if p {
			out = append(out, f.Options[i])
		}
	}
	return out, ""
}

func normDate(v any) (any, string) {
	switch s := v.(type) {
	case nil:
		return nil, ""
	case string:
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, ""
		}
		if len(s) != 10 {
			break
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			if s[4] == '-' && s[7] == '-' && strings.Contains(err.Error(), "out of range") {
				return nil, "That date doesn't exist; please check the day and month."
			}
			break
		}
		if d.Year() < MinDateYear || d.Year() > MaxDateYear {
			return nil, fmt.Sprintf("Please enter a date between %d and %d.", MinDateYear, MaxDateYear)
		}
		return s, ""
	}
	return nil, "Please enter a date as YYYY-MM-DD."
}

// AnswersFromForm reads a form posted from the renderer's form view. It keeps
// raw text (so a re-shown form loses nothing) and leaves checking to
// ValidateAnswers: a non-integer scale value stays a string so it can be
// refused. Blank list rows are dropped. Checkboxes and agreements are always
// set, since browsers omit unticked boxes. Inputs that aren't fields of the
// schema are ignored.
func (s Schema) AnswersFromForm(form url.Values) map[string]any {
	ans := map[string]any{}
	for _, f := range s.Fields() {
		vals, present := form[InputName(f.Key)]
		switch f.Type {
		case TypeCheckbox, TypeAgreement:
			on := false
			for _, v := range vals {
				switch strings.ToLower(strings.TrimSpace(v)) {
				case "on", "true", "1", "yes":
					on = true
				}
			}
			ans[f.Key] = on
		case TypeList, TypeMultiChoice:
			var items []string
			for _, v := range vals {
				if strings.TrimSpace(v) != "" {
					items = append(items, v)
				}
			}
			if items != nil {
				ans[f.Key] = items
			}
		case TypeScale:
			if !present || strings.TrimSpace(vals[0]) == "" {
				continue
			}
			if n, err := strconv.Atoi(strings.TrimSpace(vals[0])); err == nil {
				ans[f.Key] = n
			} else {
				ans[f.Key] = vals[0]
			}
		default:
			if present && len(vals) > 0 {
				ans[f.Key] = vals[0]
			}
		}
	}
	return ans
}
