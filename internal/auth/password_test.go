package auth

import (
	"strings"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h, err := HashPassword("a long passphrase of words")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id", h)
	}
	if !VerifyPassword(h, "a long passphrase of words") {
		t.Error("right password refused")
	}
	for _, bad := range []string{"", "a long passphrase of word", "A long passphrase of words"} {
		if VerifyPassword(h, bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	h2, _ := HashPassword("a long passphrase of words")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt missing")
	}
	for _, malformed := range []string{"", "$argon2id$", "plain", "$argon2id$v=19$m=0,t=0,p=0$x$y"} {
		if VerifyPassword(malformed, "x") {
			t.Errorf("malformed hash %q matched", malformed)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	cases := []struct {
		pw, email string
		ok        bool
	}{
		{"short", "", false},
		{"elevenchars", "", false},
		{"password1234", "", false},                             // common
		{"123456789012", "", false},                             // common / pattern
		{"qwertyuiopas", "", false},                             // keyboard walk
		{"aaaaaaaaaaaa", "", false},                             // repeats
		{"lucia.rivera2026", "lucia.rivera@example.com", false}, // from the email
		{"correct-horse-battery-staple-42", "", true},
		{"tide lantern orchard violet", "", true},
		{strings.Repeat("x", 257), "", false},
		{"bad\x00byte-in-here", "", false},
	}
	for _, c := range cases {
		err := CheckPassword(c.pw, c.email)
		if (err == nil) != c.ok {
			t.Errorf("CheckPassword(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || len(a) < 40 {
		t.Fatalf("tokens %q %q", a, b)
	}
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	again := h.Hash(a) // a second hash of the same token must be the same
	if string(h.Hash(a)) == string(h.Hash(b)) || string(h.Hash(a)) != string(again) {
		t.Fatal("hash not deterministic or collides")
	}
}
