package exercise

import "testing"

// Keys are derived from labels: lowercase ASCII, _ between words, unique
// within the template, and a key once set stays whatever the label says.
func TestFieldKeysComeFromLabels(t *testing.T) {
	t.Parallel()
	for label, want := range map[string]string{
		"What did you do?":         "what_did_you_do",
		"  Déjà vu, AGAIN!  ":      "deja_vu_again",
		"1. How close do you feel": "q_1_how_close_do_you_feel",
		"???":                      "field",
		"Ünïcödé ß and 日本":         "unicode_and",
		"A very long question that goes on and on and on forever": "a_very_long_question_that_goes_on_and_on",
	} {
		got := KeyFromLabel(label)
		if got != want {
			t.Errorf("KeyFromLabel(%q) = %q, want %q", label, got, want)
		}
		if !keyRe.MatchString(got) {
			t.Errorf("KeyFromLabel(%q) = %q is not a valid key", label, got)
		}
	}
	long := "A very long question that goes on and on and on forever"
	s := Schema{Sections: []Section{{Fields: []Field{{Label: "Mood"}, {Label: "mood"}, {Key: "kept", Label: "Mood!"}}},
		{Fields: []Field{{Label: "Mood"}, {Label: long}, {Label: long}}}}}
	s.FillKeys(Schema{})
	var got []string
	for _, sec := range s.Sections {
		for _, f := range sec.Fields {
			got = append(got, f.Key)
			if !keyRe.MatchString(f.Key) {
				t.Errorf("%q is not a valid key", f.Key)
			}
		}
	}
	want := []string{"mood", "mood_2", "kept", "mood_3", "a_very_long_question_that_goes_on_and_on", "a_very_long_question_that_goes_on_and_2"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("keys %q, want %q", got, want)
		}
	}
	// A client sending no keys keeps those of the version it replaces
	// while the labels stay; a relabelled field gets a new one.
	next := Schema{Sections: []Section{{Fields: []Field{{Label: "Mood"}, {Label: "Mood!"}, {Label: "Energy"}}}}}
	next.FillKeys(s)
	if k := []string{next.Sections[0].Fields[0].Key, next.Sections[0].Fields[1].Key, next.Sections[0].Fields[2].Key}; k[0] != "mood" || k[1] != "kept" || k[2] != "energy" {
		t.Errorf("keys against the previous version: %q", k)
	}
}
