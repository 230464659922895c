package measure

import (
	"reflect"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/exercise"
)

// answer picks, for every scored item, the answer at the given end (min or
// max score), as a partner would tick it on the form.
func answer(in Instrument, high bool) map[string]any {
	ans := map[string]any{}
	for _, it := range in.Items() {
		if it.Unscored {
			continue
		}
		if it.Pair() {
			ans[it.Key] = map[bool]int{false: 0, true: 5}[high]
			continue
		}
		best := it.Options[0]
		for _, o := range it.Options {
			if high && o.Score > best.Score || !high && o.Score < best.Score {
				best = o
			}
		}
		ans[it.Key] = best.Label
	}
	return ans
}

func mustGet(t *testing.T, code string) Instrument {
	t.Helper()
	in, ok := Get(code)
	if !ok {
		t.Fatalf("no %s", code)
	}
	return in
}

// Every item at its minimum gives the published minimum, every item at its
// maximum the published maximum, and the answers validate against the form.
func TestScoringEveryItemAtMinimumAndMaximum(t *testing.T) {
	want := map[string][2]int{"csi-4": {0, 21}, "csi-16": {0, 81}, "phq-9": {0, 27}, "gad-7": {0, 21}}
	for code, r := range want {
		in := mustGet(t, code)
		sc := in.Template().Schema
		for i, high := range []bool{false, true} {
			ans := answer(in, high)
			clean, errs := sc.ValidateAnswers(ans, true)
			if errs != nil {
				t.Fatalf("%s: answers refused: %v", code, errs)
			}
			got, err := in.Score(sc, clean)
			if err != nil || got != r[i] {
				t.Errorf("%s high=%v: %d %v, want %d", code, high, got, err, r[i])
			}
		}
	}
}

// Mixed answer sets, totalled by hand from the published scoring sheets.
func TestScoringMixedAnswersByHand(t *testing.T) {
	cases := []struct {
		code string
		ans  map[string]any
		want int
	}{
		// CSI-4: Happy (3) + Mostly TRUE (3) + A little (1) + Almost Completely (4) = 11.
		{"csi-4", map[string]any{"csi4_1": "Happy", "csi4_2": "Mostly TRUE", "csi4_3": "A little", "csi4_4": "Almost Completely"}, 11},
		// CSI-16: Very Happy 4; Occasionally 2; TRUE items 5, 0, 3, 2; extent items 1, 4, 0, 3;
		// INTERESTING–BORING 5, BAD–GOOD 2, FULL–EMPTY 0, STURDY–FRAGILE 4, DISCOURAGING–HOPEFUL 3, ENJOYABLE–MISERABLE 1.
		// 4+2 + 5+0+3+2 + 1+4+0+3 + 5+2+0+4+3+1 = 39.
		{"csi-16", map[string]any{"csi16_1": "Very Happy", "csi16_2": "Occasionally", "csi16_3": "Completely TRUE",
			"csi16_4": "Not at all TRUE", "csi16_5": "Mostly TRUE", "csi16_6": "Somewhat TRUE", "csi16_7": "A little",
			"csi16_8": "Almost Completely", "csi16_9": "Not at all", "csi16_10": "Mostly", "csi16_11": 5, "csi16_12": 2,
			"csi16_13": 0, "csi16_14": 4, "csi16_15": 3, "csi16_16": 1}, 39},
		// PHQ-9: 1+2+3+0+1+2+3+0+0 = 12; the difficulty question is not scored.
		{"phq-9", map[string]any{"phq9_1": "Several days", "phq9_2": "More than half the days", "phq9_3": "Nearly every day",
			"phq9_4": "Not at all", "phq9_5": "Several days", "phq9_6": "More than half the days", "phq9_7": "Nearly every day",
			"phq9_8": "Not at all", "phq9_9": "Not at all", "phq9_difficulty": "Extremely difficult"}, 12},
		// GAD-7: 3+3+2+1+0+1+2 = 12.
		{"gad-7", map[string]any{"gad7_1": "Nearly every day", "gad7_2": "Nearly every day", "gad7_3": "More than half the days",
			"gad7_4": "Several days", "gad7_5": "Not at all", "gad7_6": "Several days", "gad7_7": "More than half the days"}, 12},
	}
	for _, c := range cases {
		in := mustGet(t, c.code)
		sc := in.Template().Schema
		clean, errs := sc.ValidateAnswers(c.ans, true)
		if errs != nil {
			t.Fatalf("%s: %v", c.code, errs)
		}
		if got, err := in.Score(sc, clean); err != nil || got != c.want {
			t.Errorf("%s: %d %v, want %d", c.code, got, err, c.want)
		}
	}
}

// The CSI-16 prints some answers from the highest score down: item 2's
// first answer ("All the time") scores 5, and four of the six pairs of words
// put the 5-point word on the left. The form shows them in that order.
func TestReverseOrderedItemsScoreAsPublished(t *testing.T) {
	in := mustGet(t, "csi-16")
	sc := in.Template().Schema
	base := answer(in, false)
	score := func(key string, v any) int {
		ans := map[string]any{}
		for k, x := range base {
			ans[k] = x
		}
		ans[key] = v
		n, err := in.Score(sc, ans)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if score("csi16_2", "All the time") != 5 || score("csi16_2", "Never") != 0 {
		t.Error("item 2 is not scored All the time 5 … Never 0")
	}
	html, err := exercise.Render(sc, exercise.RenderOptions{View: exercise.ViewForm})
	if err != nil {
		t.Fatal(err)
	}
	// Left word, then the points in the order printed, then the right word.
	for key, want := range map[string][]string{
		"csi16_11": {"INTERESTING", "5", "4", "3", "2", "1", "0", "BORING"},
		"csi16_12": {"BAD", "0", "1", "2", "3", "4", "5", "GOOD"},
		"csi16_13": {"FULL", "5", "0", "EMPTY"},
		"csi16_14": {"STURDY", "5", "0", "FRAGILE"},
		"csi16_15": {"DISCOURAGING", "0", "5", "HOPEFUL"},
		"csi16_16": {"ENJOYABLE", "5", "0", "MISERABLE"},
	} {
		h := string(html)
		start := strings.Index(h, `name="a.`+key+`"`)
		from := strings.LastIndex(h[:start], "<legend")
		block := h[from : strings.Index(h[from:], "</fieldset>")+from]
		pos := 0
		for _, w := range want {
			var needle string
			switch {
			case len(w) == 1:
				needle = `value="` + w + `"`
			default:
				needle = ">" + w + "</span>"
			}
			i := strings.Index(block[pos:], needle)
			if i < 0 {
				t.Errorf("%s: %q not in the published order", key, w)
				break
			}
			pos += i + len(needle)
		}
		f, _ := sc.Field(key)
		if got := f.Reverse; got != (want[1] == "5") {
			t.Errorf("%s reverse=%v", key, got)
		}
	}
	// The points mean their value, whichever way round they are printed.
	if score("csi16_11", 5) != 5 || score("csi16_12", 5) != 5 || score("csi16_15", 0) != 0 {
		t.Error("pair points do not score their value")
	}
}

// The published cut-offs and bands, at their edges.
func TestCutoffAndBandEdges(t *testing.T) {
	type edge struct {
		score    int
		distress bool
		band     string
	}
	cases := map[string][]edge{
		"csi-4":  {{0, true, "Notable relationship dissatisfaction"}, {13, true, "Notable relationship dissatisfaction"}, {14, false, "Above the distress cut-off"}, {21, false, "Above the distress cut-off"}},
		"csi-16": {{51, true, "Notable relationship dissatisfaction"}, {52, false, "Above the distress cut-off"}, {81, false, "Above the distress cut-off"}},
		"phq-9": {{0, false, "None to minimal"}, {4, false, "None to minimal"}, {5, false, "Mild"}, {9, false, "Mild"}, {10, true, "Moderate"},
			{14, true, "Moderate"}, {15, true, "Moderately severe"}, {19, true, "Moderately severe"}, {20, true, "Severe"}, {27, true, "Severe"}},
		"gad-7": {{4, false, "Minimal"}, {5, false, "Mild"}, {9, false, "Mild"}, {10, true, "Moderate"}, {14, true, "Moderate"},
			{15, true, "Severe"}, {21, true, "Severe"}},
	}
	for code, edges := range cases {
		in := mustGet(t, code)
		for _, e := range edges {
			if got := in.Distress(e.score); got != e.distress {
				t.Errorf("%s %d: distress %v", code, e.score, got)
			}
			if got := in.Band(e.score).Label; got != e.band {
				t.Errorf("%s %d: band %q, want %q", code, e.score, got, e.band)
			}
		}
	}
	if mustGet(t, "csi-4").Cutoff.Value != 13.5 || mustGet(t, "csi-16").Cutoff.Value != 51.5 {
		t.Error("CSI cut-offs are not the published 13.5 and 51.5")
	}
}

// The reliable-change figures used, and that none is claimed for the CSI.
func TestReliableChangeFigures(t *testing.T) {
	for code, want := range map[string]int{"csi-4": 0, "csi-16": 0, "phq-9": 6, "gad-7": 4} {
		rc := mustGet(t, code).ReliableChange
		if rc.Points != want || (want == 0) == rc.Verified || rc.Note == "" {
			t.Errorf("%s: %+v", code, rc)
		}
	}
}

// The forms carry the published items in order, word for word.
func TestTemplatesCarryThePublishedItems(t *testing.T) {
	items := map[string][]string{
		"csi-4": {"Please indicate the degree of happiness, all things considered, of your relationship.",
			"I have a warm and comfortable relationship with my partner", "How rewarding is your relationship with your partner?",
			"In general, how satisfied are you with your relationship?"},
		"phq-9": {"Little interest or pleasure in doing things", "Feeling down, depressed, or hopeless",
			"Trouble falling or staying asleep, or sleeping too much", "Feeling tired or having little energy", "Poor appetite or overeating",
			"Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
			"Trouble concentrating on things, such as reading the newspaper or watching television",
			"Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless that you have been moving around a lot more than usual",
			"Thoughts that you would be better off dead or of hurting yourself in some way",
			"If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"},
		"gad-7": {"Feeling nervous, anxious or on edge", "Not being able to stop or control worrying", "Worrying too much about different things",
			"Trouble relaxing", "Being so restless that it is hard to sit still", "Becoming easily annoyed or irritable",
			"Feeling afraid as if something awful might happen",
			"If you checked off any problems, how difficult have these problems made it for you to do your work, take care of things at home, or get along with other people?"},
	}
	for code, want := range items {
		var got []string
		for _, f := range mustGet(t, code).Template().Schema.Fields() {
			got = append(got, f.Label)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s items:\n got %q\nwant %q", code, got, want)
		}
	}
	csi16 := mustGet(t, "csi-16").Template().Schema.Fields()
	if len(csi16) != 16 || csi16[1].Label != "In general, how often do you think that things between you and your partner are going well?" ||
		!reflect.DeepEqual(csi16[1].Options, []string{"All the time", "Most of the time", "More often than not", "Occasionally", "Rarely", "Never"}) ||
		!reflect.DeepEqual(csi16[0].Options, []string{"Extremely Unhappy", "Fairly Unhappy", "A Little Unhappy", "Happy", "Very Happy", "Extremely Happy", "Perfect"}) {
		t.Errorf("CSI-16 form: %+v", csi16[:2])
	}
	phq := mustGet(t, "phq-9")
	if f, _ := phq.Template().Schema.Field("phq9_1"); !reflect.DeepEqual(f.Options, []string{"Not at all", "Several days", "More than half the days", "Nearly every day"}) {
		t.Errorf("PHQ-9 answers: %v", f.Options)
	}
	if phq.Sections[0].Intro != "Over the last 2 weeks, how often have you been bothered by any of the following problems?" {
		t.Errorf("PHQ-9 instruction: %q", phq.Sections[0].Intro)
	}
	for _, in := range All() {
		if !strings.Contains(in.Description, "Source:") || !strings.Contains(in.Description, "Licence:") || in.Licence == "" {
			t.Errorf("%s does not cite its source and licence", in.Code)
		}
	}
}

// A score needs every scored item, answered with one of its answers; the
// unscored question may be left out.
func TestScoreRefusesIncompleteAnswers(t *testing.T) {
	in := mustGet(t, "phq-9")
	sc := in.Template().Schema
	ans := answer(in, true)
	if _, err := in.Score(sc, ans); err != nil {
		t.Fatalf("without the difficulty question: %v", err)
	}
	delete(ans, "phq9_4")
	if _, err := in.Score(sc, ans); err == nil {
		t.Error("scored with an item missing")
	}
	ans["phq9_4"] = "Sometimes"
	if _, err := in.Score(sc, ans); err == nil {
		t.Error("scored an answer that is not on the form")
	}
}

// PHQ-9 item 9 is concerning at any answer but "Not at all", through the
// safety check's own rule (so Submit alerts the same way); no other item is.
func TestPHQ9SelfHarmItemIsConcerning(t *testing.T) {
	tpl := mustGet(t, "phq-9").Template()
	for _, v := range []string{"Several days", "More than half the days", "Nearly every day"} {
		if got := tpl.ConcerningFields(map[string]any{"phq9_9": v}); !reflect.DeepEqual(got, []string{"phq9_9"}) {
			t.Errorf("%q: %v", v, got)
		}
	}
	all := answer(mustGet(t, "phq-9"), true)
	all["phq9_9"] = "Not at all"
	if got := tpl.ConcerningFields(all); got != nil {
		t.Errorf("every other item at its maximum flagged %v", got)
	}
	for _, code := range []string{"csi-4", "csi-16", "gad-7"} {
		in := mustGet(t, code)
		if got := in.Template().ConcerningFields(answer(in, false)); got != nil {
			t.Errorf("%s flagged %v", code, got)
		}
	}
}
