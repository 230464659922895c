package web

import (
	"strings"
	"unicode"
)

// diffPart is a run of words of a word-level diff: kept ("="), removed
// ("-") or added ("+"). The page escapes Text like any other value.
type diffPart struct {
	Op   string
	Text string
}

// maxDiffCells bounds the LCS table (2 bytes a cell): 4 MiB. Texts are at
// most a few thousand words, and the common beginning and end are taken
// off first, so only a rewrite of most of a very long answer goes over;
// then the changed middle is shown as removed and added whole, which is
// still a correct diff, only a coarser one.
const maxDiffCells = 1 << 21

// wordDiff compares two texts word by word, the way a reader compares two
// drafts of a letter. A word keeps the whitespace after it; words are
// compared without it, so a changed line break alone is not a change (the
// kept words show the new text's spacing, see kept).
//
// A small LCS rather than a diff library: the texts are bounded (a long
// answer is at most 20,000 characters), the table is bounded, and a word
// diff needs tokens a character-based library would have to be bent to.
func wordDiff(before, after string) []diffPart {
	a, b := words(before), words(after)
	// Common beginning and end.
	pre := 0
	for pre < len(a) && pre < len(b) && sameWord(a[pre], b[pre]) {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && sameWord(a[len(a)-1-suf], b[len(b)-1-suf]) {
		suf++
	}
	var out []diffPart
	add := func(op, text string) {
		if text == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Op == op {
			out[n-1].Text += text
			return
		}
		out = append(out, diffPart{Op: op, Text: text})
	}
	for k := range pre {
		add("=", kept(a[k], b[k]))
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(ma), len(mb)
	if n > 0 && m > 0 && (n+1)*(m+1) <= maxDiffCells {
		// lcs[i][j]: the longest common subsequence of ma[i:] and mb[j:].
		w := m + 1
		lcs := make([]uint16, (n+1)*w)
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if sameWord(ma[i], mb[j]) {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n && j < m {
			switch {
			case sameWord(ma[i], mb[j]):
				add("=", kept(ma[i], mb[j]))
				i, j = i+1, j+1
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				add("-", ma[i])
				i++
			default:
				add("+", mb[j])
				j++
			}
		}
		ma, mb = ma[i:], mb[j:]
	}
	for _, w := range ma {
		add("-", w)
	}
	for _, w := range mb {
		add("+", w)
	}
	for k := range suf {
		add("=", kept(a[len(a)-suf+k], b[len(b)-suf+k]))
	}
	return out
}

// words splits a text into words, each with the whitespace that follows
// it (whitespace before the first word is kept as a word of its own).
func words(s string) []string {
	var out []string
	start := 0
	inSpace := false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if !space && inSpace && i > start {
			out = append(out, s[start:i])
			start = i
		}
		inSpace = space
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// kept is a word both texts have, with the new text's spacing after it, or
// the old text's where the new one has none (its last word), so a removed
// word after it does not run into it.
func kept(a, b string) string {
	if w := strings.TrimRightFunc(b, unicode.IsSpace); w == b {
		return w + a[len(strings.TrimRightFunc(a, unicode.IsSpace)):]
	}
	return b
}

func sameWord(a, b string) bool {
	return strings.TrimRightFunc(a, unicode.IsSpace) == strings.TrimRightFunc(b, unicode.IsSpace)
}
