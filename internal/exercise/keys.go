package exercise

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// KeyFromLabel derives a field key from its label: a lowercase ASCII slug
// with _ between words ("Déjà vu, again?" → "deja_vu_again"), starting
// with a letter ("q_" before a leading digit, "field" when nothing is
// left), at most MaxKeyLen characters cut at a word.
func KeyFromLabel(label string) string {
	return keyBase(label, MaxKeyLen)
}

func keyBase(label string, max int) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(label) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // the accent of a decomposed letter
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		default:
			gap = b.Len() > 0
			continue
		}
		if gap {
			b.WriteByte('_')
			gap = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" {
		return "field"
	}
	if s[0] >= '0' && s[0] <= '9' {
		s = "q_" + s
	}
	if len(s) > max {
		cut := s[max] == '_' // the cut falls between words
		s = s[:max]
		if i := strings.LastIndexByte(s, '_'); !cut && i > 0 {
			s = s[:i]
		}
	}
	return strings.TrimRight(s, "_")
}

// FillKeys gives every field without a key one derived from its label,
// unique within the schema (_2, _3, … after the first), leaving the keys
// already set alone: a field keeps its key when its label changes, so the
// answers given to it keep theirs. prev is the version the schema
// replaces (zero for a new template): a keyless field labelled exactly as
// one of prev's fields whose key is free again takes that key, so a
// client that never sends keys keeps them too while labels stay the same.
func (s *Schema) FillKeys(prev Schema) {
	used := map[string]bool{}
	for _, sec := range s.Sections {
		for _, f := range sec.Fields {
			if f.Key != "" {
				used[f.Key] = true
			}
		}
	}
	byLabel := map[string]string{}
	for _, sec := range prev.Sections {
		for _, f := range sec.Fields {
			l := strings.TrimSpace(f.Label)
			if _, seen := byLabel[l]; !seen && f.Key != "" {
				byLabel[l] = f.Key
			}
		}
	}
	for i := range s.Sections {
		for j := range s.Sections[i].Fields {
			f := &s.Sections[i].Fields[j]
			if f.Key != "" {
				continue
			}
			if k, ok := byLabel[strings.TrimSpace(f.Label)]; ok && !used[k] {
				f.Key, used[k] = k, true
				continue
			}
			f.Key = uniqueKey(f.Label, used)
			used[f.Key] = true
		}
	}
}

// uniqueKey is the label's key, or the first of key_2, key_3, … not used.
func uniqueKey(label string, used map[string]bool) string {
	k := KeyFromLabel(label)
	for n := 2; used[k]; n++ {
		suffix := "_" + strconv.Itoa(n)
		k = keyBase(label, MaxKeyLen-len(suffix)) + suffix
	}
	return k
}
