package library

import (
	"strings"
	"testing"
)

// FuzzLibraryCursor fuzzes the library list cursor (?after=): no panic,
// anything accepted names a positive id, and decoding then encoding is a
// fixed point (what the server hands out, it reads back unchanged).
func FuzzLibraryCursor(f *testing.F) {
	f.Add(encodeCursor(Summary{Title: "Gottman Love Maps", ID: 7}))
	f.Add(encodeCursor(Summary{Title: "'; DROP TABLE exercise_templates; --", ID: 1}))
	for _, s := range []string{"", "garbage", "e30", "eyJ0IjoiYSIsImkiOjB9", "eyJ0IjoiYSIsImkiOi0xfQ", "eyJ0IjoiXHUwMDAwIiwiaSI6MX0", "eyJ0IjoiYVx1MDAwMGIiLCJpIjo1fQ", "%00", "=="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s)
		if err != nil {
			return
		}
		if c.ID <= 0 {
			t.Fatalf("cursor %q accepted with id %d", s, c.ID)
		}
		if strings.ContainsRune(c.T, 0) {
			t.Fatalf("cursor %q accepted with a NUL (PostgreSQL refuses it: a 500)", s)
		}
		s2 := encodeCursor(Summary{Title: c.T, ID: c.ID})
		c2, err := decodeCursor(s2)
		if err != nil || c2.ID != c.ID {
			t.Fatalf("re-encoded cursor %q: %v %+v", s2, err, c2)
		}
		if s3 := encodeCursor(Summary{Title: c2.T, ID: c2.ID}); s3 != s2 {
			t.Fatalf("cursor not stable: %q then %q", s2, s3)
		}
	})
}
