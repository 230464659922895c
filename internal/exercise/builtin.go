package exercise

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
)

// The built-in library lives in builtin/<slug>.json so clinicians can review
// the wording without reading Go.
//
//go:embed builtin/*.json
var builtinFS embed.FS

// builtinOrder is the library's display order, roughly the order the work
// unfolds: screen for safety first, then acknowledge, apologize, build
// structure, practise, heal and reconnect.
var builtinOrder = []string{
	SafetyCheckSlug,
	"acknowledging-the-breach",
	"how-it-happened",
	"apology-letter",
	"transparency-plan",
	"boundary-worksheet",
	DailyCheckInSlug,
	"old-patterns-new-responses",
	"trigger-journal",
	"forgiveness-reflection",
	"shared-goals",
	"reconnection-plan",
	"conversation-starters",
}

// Slugs other packages rely on.
const (
	SafetyCheckSlug  = "safety-check"
	DailyCheckInSlug = "daily-check-in"
	// TrustFieldKey is the daily check-in's 1–10 trust scale, charted over time.
	TrustFieldKey = "trust"
)

// Loaded once at start-up; a broken embedded file is a programming error
// (and is caught by the tests), so it panics.
var builtins = mustLoadBuiltins()

func mustLoadBuiltins() []Template {
	ts, err := loadBuiltins(builtinFS)
	if err != nil {
		panic(err)
	}
	return ts
}

func loadBuiltins(fsys fs.FS) ([]Template, error) {
	files, err := fs.Glob(fsys, "builtin/*.json")
	if err != nil {
		return nil, err
	}
	listed := map[string]bool{}
	for _, slug := range builtinOrder {
		listed[slug] = true
	}
	for _, name := range files {
		slug := strings.TrimSuffix(strings.TrimPrefix(name, "builtin/"), ".json")
		if !listed[slug] {
			return nil, fmt.Errorf("exercise: %s is not in builtinOrder", name)
		}
	}
	out := make([]Template, 0, len(builtinOrder))
	for _, slug := range builtinOrder {
		data, err := fs.ReadFile(fsys, "builtin/"+slug+".json")
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields() // catch typos in hand-edited files
		var t Template
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("exercise: builtin %s: %w", slug, err)
		}
		if t.Slug != slug {
			return nil, fmt.Errorf("exercise: builtin %s.json has slug %q", slug, t.Slug)
		}
		if errs := t.Validate(); errs != nil {
			k := errs.Keys()[0]
			return nil, fmt.Errorf("exercise: builtin %s: %s: %s", slug, k, errs[k])
		}
		out = append(out, t)
	}
	return out, nil
}

// Builtins returns the built-in library in a stable order. Each call returns
// fresh copies, so callers may modify them freely.
func Builtins() []Template {
	out := make([]Template, len(builtins))
	for i, t := range builtins {
		out[i] = t.Clone()
	}
	return out
}

// Builtin returns a copy of the built-in template with the given slug.
func Builtin(slug string) (Template, bool) {
	for _, t := range builtins {
		if t.Slug == slug {
			return t.Clone(), true
		}
	}
	return Template{}, false
}

// Clone returns a deep copy of the template.
func (t Template) Clone() Template {
	t.Schema = t.Schema.Clone()
	return t
}

// concerningAnswers lists, per field key of the safety check, the answers
// that should prompt the counselor to follow up one-to-one before any more
// joint work. Deliberately broad: a false alarm costs a conversation, a miss
// can cost far more.
//
//	feel_safe              anything but "Yes, I feel safe"
//	afraid_of_partner      any fear at all
//	experiences            anything except "None of these"
//	accountability         minimizing/blaming, or anger/punishment
//	repeated_breach        repeated after promises (once or more)
//	doing_exercises_safe   "No" or "I'm not sure"
//	wants_private_session  ticked
var concerningAnswers = map[string][]string{
	"feel_safe": {
		"Mostly, though some moments worry me",
		"Often I don't feel safe",
		"No, I don't feel safe",
		"I'd rather talk about this with my counselor in person",
	},
	"afraid_of_partner": {"Once or twice", "Sometimes", "Often"},
	"experiences": {
		"Being insulted, mocked or put down again and again",
		"Being threatened or intimidated",
		"Being pushed, grabbed, hit or physically hurt",
		"Being pressured into sexual contact",
		"Having my phone, money or movements controlled",
		"Being kept from friends or family",
		"Things being broken or thrown during arguments",
	},
	"accountability": {
		"They minimize it, change the subject or blame me",
		"They get angry or make me pay for raising it",
	},
	"repeated_breach":      {"Yes, once", "Yes, more than once"},
	"doing_exercises_safe": {"No", "I'm not sure"},
}

// concerningMeasureAnswers are the concerning answers of the outcome
// measures category: the PHQ-9's item 9 (thoughts of being better off dead
// or of hurting oneself), any answer but "Not at all" (a score above 0). So
// the PHQ-9, and a counselor's copy of it that keeps the key and options,
// alert exactly like the safety check.
var concerningMeasureAnswers = map[string][]string{
	PHQ9SelfHarmKey: {"Several days", "More than half the days", "Nearly every day"},
}

// PHQ9SelfHarmKey is the field key of the PHQ-9's item 9.
const PHQ9SelfHarmKey = "phq9_9"

// concerningTicked are checkboxes whose ticking is itself a request to act on.
var concerningTicked = map[string]bool{"wants_private_session": true}

// ConcerningFields returns, in schema order, the keys of answers that need
// the counselor's one-to-one follow-up (see concerningAnswers and
// concerningMeasureAnswers). It applies to
// safety-category templates (and to the outcome measures, for the PHQ-9's
// item on self-harm) only, so a counselor's copy of the safety check or the
// PHQ-9 keeps the detection as long as the keys and options are kept. Works
// on raw or clean answers.
func (t Template) ConcerningFields(ans map[string]any) []string {
	rules, ticked := concerningAnswers, concerningTicked
	switch t.Category {
	case CategorySafety:
	case CategoryMeasures:
		rules, ticked = concerningMeasureAnswers, nil
	default:
		return nil
	}
	var keys []string
	for _, f := range t.Schema.Fields() {
		v, ok := ans[f.Key]
		if !ok {
			continue
		}
		if ticked[f.Key] && isTicked(v) {
			keys = append(keys, f.Key)
			continue
		}
		bad := rules[f.Key]
		if bad == nil {
			continue
		}
		var given []string
		if s, ok := v.(string); ok {
			given = []string{s}
		} else {
			given, _ = stringList(v)
		}
	match:
		for _, g := range given {
			for _, b := range bad {
				if strings.TrimSpace(g) == b {
					keys = append(keys, f.Key)
					break match
				}
			}
		}
	}
	return keys
}

// Concerning reports whether any answer needs the counselor's follow-up.
// Only the safety check (category safety) and the PHQ-9's item 9 (category
// measures) can be concerning.
func (t Template) Concerning(ans map[string]any) bool {
	return len(t.ConcerningFields(ans)) > 0
}
