package web

import (
	"strings"
	"testing"
)

// render writes a diff the way a reader sees it: [-removed-]{+added+}.
func renderDiff(parts []diffPart) string {
	var b strings.Builder
	for _, p := range parts {
		switch p.Op {
		case "-":
			b.WriteString("[-" + p.Text + "-]")
		case "+":
			b.WriteString("{+" + p.Text + "+}")
		default:
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func TestWordDiff(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ before, after, want string }{
		{"", "", ""},
		{"", "I am sorry.", "{+I am sorry.+}"},
		{"I am sorry.", "", "[-I am sorry.-]"},
		{"I am sorry.", "I am sorry.", "I am sorry."},
		{"I lied about where I was.", "I lied about where I was, and why.",
			"I lied about where I [-was.-]{+was, and why.+}"},
		{"the cat sat on the mat", "a dog sat on the mat", "[-the cat -]{+a dog +}sat on the mat"},
		{"My phone stays open.", "Therapy on Thursdays.\nMy phone stays open.", "{+Therapy on Thursdays.\n+}My phone stays open."},
		// A changed line break alone is not a change; the new spacing shows.
		{"one two\nthree", "one two three", "one two three"},
		{"keep this, drop that, keep end", "keep this, keep end", "keep this, [-drop that, -]keep end"},
	} {
		got := renderDiff(wordDiff(c.before, c.after))
		if got != c.want {
			t.Errorf("wordDiff(%q, %q)\n got %q\nwant %q", c.before, c.after, got, c.want)
		}
	}
}

// The parts rebuild both texts, and a
// rewrite too large for the table still gives a correct, coarser diff.
func TestWordDiffRebuildsAndIsBounded(t *testing.T) {
	t.Parallel()
	words := func(prefix string, n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(prefix)
			b.WriteString(strings.Repeat("x", i%7))
			b.WriteString(" ")
		}
		return b.String()
	}
	before := "Start. " + words("a", 3000) + "End."
	after := "Start. " + words("b", 3000) + "End."
	parts := wordDiff(before, after)
	var old, cur strings.Builder
	for _, p := range parts {
		if p.Op != "+" {
			old.WriteString(p.Text)
		}
		if p.Op != "-" {
			cur.WriteString(p.Text)
		}
	}
	if old.String() != before || cur.String() != after {
		t.Fatal("the diff does not rebuild the texts")
	}
	if len(parts) != 4 || parts[0].Text != "Start. " || parts[3].Text != "End." {
		t.Fatalf("coarse diff of a rewrite: %d parts", len(parts))
	}
}

func FuzzWordDiff(f *testing.F) {
	f.Add("I lied about where I was.", "I lied, and I see how it shook you.")
	f.Add("a b c", "c b a")
	f.Fuzz(func(t *testing.T, before, after string) {
		var old, cur strings.Builder
		for _, p := range wordDiff(before, after) {
			if p.Op != "+" {
				old.WriteString(p.Text)
			}
			if p.Op != "-" {
				cur.WriteString(p.Text)
			}
		}
		// Both texts' words, in order (the spacing between kept words
		// is the new text's).
		if strings.Join(strings.Fields(cur.String()), " ") != strings.Join(strings.Fields(after), " ") {
			t.Fatalf("the new words are not rebuilt: %q from %q", cur.String(), after)
		}
		if strings.Join(strings.Fields(old.String()), " ") != strings.Join(strings.Fields(before), " ") {
			t.Fatalf("the old words are not rebuilt: %q from %q", old.String(), before)
		}
	})
}
