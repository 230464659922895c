// Package measure holds Mend's validated outcome measures (the CSI-4 and
// CSI-16 for the couple's relationship, the PHQ-9 and GAD-7 for each
// partner's own wellbeing): their published items, answers and scoring,
// the scores Mend keeps with each submission, the alerts for the counselor
// and who may read which score.
//
// Each instrument lives in instruments/<code>.json, so clinicians can check
// the wording against the published form without reading Go. A measure is
// a built-in exercise template of its own kind (exercise.Template.Measure):
// library.SyncBuiltins stores it like the other built-ins, as immutable
// versions, and a copy of it is an ordinary, unscored exercise.
package measure

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"strings"

	"github.com/mend-clinic/mend/internal/exercise"
)

//go:embed instruments/*.json
var instrumentFS embed.FS

// Kinds of instrument.
const (
	KindCouple     = "couple"     // about the relationship: may go on the couple's shared chart
	KindIndividual = "individual" // about the partner's own wellbeing: never shared
)

// Option is one published answer and the points it scores.
type Option struct {
	Label string `json:"label"`
	Score int    `json:"score"`
}

// Item is one published question: a choice of answers (Options), or a
// pair of words with six points between them (Left, Right; the left word
// scores LeftScore, 5 or 0, and the points count down or up from it).
// An unscored item is part of the published form but not of the total.
type Item struct {
	Key       string   `json:"key"`
	Text      string   `json:"text,omitempty"`
	Options   []Option `json:"options,omitempty"`
	Left      string   `json:"left,omitempty"`
	Right     string   `json:"right,omitempty"`
	LeftScore int      `json:"left_score,omitempty"`
	Unscored  bool     `json:"unscored,omitempty"`
}

// Pair reports whether the item is a pair of words (a semantic differential).
func (it Item) Pair() bool { return it.Left != "" }

// Section groups items under a heading, with the published instruction
// that introduces them.
type Section struct {
	Title string `json:"title"`
	Intro string `json:"intro,omitempty"`
	Items []Item `json:"items"`
}

// Band is a published range of totals and what it means.
type Band struct {
	Min      int    `json:"min"`
	Max      int    `json:"max"`
	Label    string `json:"label"`
	Distress bool   `json:"distress,omitempty"`
}

// Cutoff is the published line between distress and not.
type Cutoff struct {
	Value float64 `json:"value"`
	// Distress is "below" (a satisfaction scale: fewer points is worse) or
	// "at_or_above" (a symptom scale).
	Distress string `json:"distress"`
	Label    string `json:"label"`
	Source   string `json:"source"`
}

// Change is the published reliable-change figure: the change in points that
// is more than measurement error. Points 0 means none could be verified.
type Change struct {
	Points   int    `json:"points"`
	Verified bool   `json:"verified"`
	Source   string `json:"source"`
	Note     string `json:"note"`
}

// Schedule is a typical way to assign the measure, in the recurrences Mend
// has ("week", "four_weeks").
type Schedule struct {
	Every string `json:"every"`
	Label string `json:"label"`
}

// Instrument is one validated measure.
type Instrument struct {
	Code           string     `json:"code"`
	Title          string     `json:"title"`
	Short          string     `json:"short"`
	Kind           string     `json:"kind"`
	Description    string     `json:"description"`
	Instructions   string     `json:"instructions"`
	Source         string     `json:"source"`
	Licence        string     `json:"licence"`
	Min            int        `json:"min"`
	Max            int        `json:"max"`
	HigherIsBetter bool       `json:"higher_is_better"`
	Cutoff         Cutoff     `json:"cutoff"`
	Bands          []Band     `json:"bands"`
	ReliableChange Change     `json:"reliable_change"`
	Schedules      []Schedule `json:"schedules"`
	ScheduleNote   string     `json:"schedule_note,omitempty"`
	Sections       []Section  `json:"sections"`
}

// Couple reports whether the instrument is about the relationship.
func (in Instrument) Couple() bool { return in.Kind == KindCouple }

// Items returns every item in order.
func (in Instrument) Items() []Item {
	var out []Item
	for _, s := range in.Sections {
		out = append(out, s.Items...)
	}
	return out
}

// Distress tells whether a total is on the distress side of the cut-off.
func (in Instrument) Distress(score int) bool {
	if in.Cutoff.Distress == "below" {
		return float64(score) < in.Cutoff.Value
	}
	return float64(score) >= in.Cutoff.Value
}

// Band returns the published band of a total.
func (in Instrument) Band(score int) Band {
	for _, b := range in.Bands {
		if score >= b.Min && score <= b.Max {
			return b
		}
	}
	return Band{Label: "out of range"}
}

// Worse is how many points worse "to" is than "from" (negative: better).
func (in Instrument) Worse(from, to int) int {
	if in.HigherIsBetter {
		return from - to
	}
	return to - from
}

// Template is the instrument as a built-in exercise template: one required
// single choice per scored question (its published answers as options),
// one 0–5 scale per pair of words (shown in the published direction), and
// the unscored questions optional.
func (in Instrument) Template() exercise.Template {
	t := exercise.Template{Slug: in.Code, Title: in.Title, Category: exercise.CategoryMeasures, Description: in.Description,
		Instructions: in.Instructions, SuggestedMode: exercise.ModeEach, Measure: in.Code}
	if in.Kind == KindIndividual {
		t.Audience = exercise.AudienceEither
	}
	for _, s := range in.Sections {
		sec := exercise.Section{Title: s.Title, Intro: s.Intro}
		for _, it := range s.Items {
			f := exercise.Field{Key: it.Key, Required: !it.Unscored}
			if it.Pair() {
				lo, hi := 0, 5
				f.Type, f.Label, f.Min, f.Max = exercise.TypeScale, it.Left+" — "+it.Right, &lo, &hi
				f.MinLabel, f.MaxLabel = it.Left, it.Right
				if it.LeftScore == 5 {
					f.MinLabel, f.MaxLabel, f.Reverse = it.Right, it.Left, true
				}
			} else {
				f.Type, f.Label = exercise.TypeSingleChoice, it.Text
				for _, o := range it.Options {
					f.Options = append(f.Options, o.Label)
				}
			}
			sec.Fields = append(sec.Fields, f)
		}
		t.Schema.Sections = append(t.Schema.Sections, sec)
	}
	return t
}

// Score totals the answers of a submission made on a version of the
// measure (sc is the pinned version's schema, so an answer is read by its
// position among that version's options). Every scored item must be
// answered; the answers are those ValidateAnswers keeps (clean or raw).
func (in Instrument) Score(sc exercise.Schema, ans map[string]any) (int, error) {
	total := 0
	for _, it := range in.Items() {
		if it.Unscored {
			continue
		}
		f, ok := sc.Field(it.Key)
		if !ok {
			return 0, fmt.Errorf("measure %s: the form has no item %s", in.Code, it.Key)
		}
		v, ok := ans[it.Key]
		if !ok || v == nil {
			return 0, fmt.Errorf("measure %s: item %s is not answered", in.Code, it.Key)
		}
		if it.Pair() {
			n, ok := number(v)
			if !ok || n < 0 || n > 5 {
				return 0, fmt.Errorf("measure %s: item %s: %v is not a point from 0 to 5", in.Code, it.Key, v)
			}
			total += n
			continue
		}
		s, _ := v.(string)
		idx := -1
		for i, o := range f.Options {
			if strings.TrimSpace(o) == strings.TrimSpace(s) {
				idx = i
			}
		}
		if idx < 0 || idx >= len(it.Options) || len(f.Options) != len(it.Options) {
			return 0, fmt.Errorf("measure %s: item %s: %q is not one of its answers", in.Code, it.Key, s)
		}
		total += it.Options[idx].Score
	}
	return total, nil
}

func number(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == math.Trunc(n) {
			return int(n), true
		}
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

var instruments = mustLoad()

// order is the library's order of the measures.
var order = []string{"csi-4", "csi-16", "phq-9", "gad-7"}

func mustLoad() map[string]Instrument {
	m, err := load(instrumentFS)
	if err != nil {
		panic(err)
	}
	return m
}

func load(fsys fs.FS) (map[string]Instrument, error) {
	files, err := fs.Glob(fsys, "instruments/*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]Instrument{}
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var in Instrument
		if err := dec.Decode(&in); err != nil {
			return nil, fmt.Errorf("measure: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(strings.TrimPrefix(name, "instruments/"), ".json"); in.Code != want {
			return nil, fmt.Errorf("measure: %s has code %q", name, in.Code)
		}
		if err := in.check(); err != nil {
			return nil, fmt.Errorf("measure: %s: %w", name, err)
		}
		out[in.Code] = in
	}
	for _, c := range order {
		if _, ok := out[c]; !ok {
			return nil, fmt.Errorf("measure: instruments/%s.json is missing", c)
		}
	}
	if len(out) != len(order) {
		return nil, fmt.Errorf("measure: every instrument must be listed in order")
	}
	return out, nil
}

// check refuses an instrument file whose scoring does not add up: the
// item ranges must sum to Min..Max, the bands must cover it without a gap,
// and the template must be a valid built-in.
func (in Instrument) check() error {
	if in.Kind != KindCouple && in.Kind != KindIndividual {
		return fmt.Errorf("kind %q", in.Kind)
	}
	lo, hi := 0, 0
	for _, it := range in.Items() {
		if it.Unscored {
			continue
		}
		if it.Pair() {
			if it.LeftScore != 0 && it.LeftScore != 5 {
				return fmt.Errorf("%s: left_score must be 0 or 5", it.Key)
			}
			hi += 5
			continue
		}
		if len(it.Options) == 0 {
			return fmt.Errorf("%s: no options", it.Key)
		}
		mn, mx := it.Options[0].Score, it.Options[0].Score
		for _, o := range it.Options {
			mn, mx = min(mn, o.Score), max(mx, o.Score)
		}
		lo, hi = lo+mn, hi+mx
	}
	if lo != in.Min || hi != in.Max {
		return fmt.Errorf("items add up to %d..%d, the file says %d..%d", lo, hi, in.Min, in.Max)
	}
	next := in.Min
	for _, b := range in.Bands {
		if b.Min != next || b.Max < b.Min {
			return fmt.Errorf("bands must run from %d to %d without a gap (at %d)", in.Min, in.Max, next)
		}
		next = b.Max + 1
	}
	if next != in.Max+1 {
		return fmt.Errorf("bands end at %d, not %d", next-1, in.Max)
	}
	for _, b := range in.Bands {
		for s := b.Min; s <= b.Max; s++ {
			if b.Distress != in.Distress(s) {
				return fmt.Errorf("band %q and the cut-off disagree at %d", b.Label, s)
			}
		}
	}
	if in.Cutoff.Distress != "below" && in.Cutoff.Distress != "at_or_above" {
		return fmt.Errorf("cutoff.distress %q", in.Cutoff.Distress)
	}
	for _, s := range in.Schedules {
		if s.Every != "week" && s.Every != "four_weeks" && s.Every != "next_session" {
			return fmt.Errorf("schedule %q", s.Every)
		}
	}
	if errs := in.Template().Validate(); errs != nil {
		k := errs.Keys()[0]
		return fmt.Errorf("template: %s: %s", k, errs[k])
	}
	return nil
}

// All returns every instrument in the library's order.
func All() []Instrument {
	out := make([]Instrument, 0, len(order))
	for _, c := range order {
		out = append(out, instruments[c])
	}
	return out
}

// Get returns the instrument with the code.
func Get(code string) (Instrument, bool) {
	in, ok := instruments[code]
	return in, ok
}

// Templates returns the measures as built-in templates, for
// library.SyncBuiltins.
func Templates() []exercise.Template {
	out := make([]exercise.Template, 0, len(order))
	for _, in := range All() {
		out = append(out, in.Template())
	}
	return out
}
