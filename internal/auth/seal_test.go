package auth

import (
	"bytes"
	"strings"
	"testing"
)

func TestSealedLinksOpenOnlyWithTheirKeyAndContext(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)
	s, err := NewSealer(key, "mail link v1")
	if err != nil {
		t.Fatal(err)
	}
	link := "https://mend.example/invitations/secret-token"
	sealed := s.Seal(link, "invitation")
	if strings.Contains(sealed, "secret-token") {
		t.Fatal("sealed text shows the secret")
	}
	if got, err := s.Open(sealed, "invitation"); err != nil || got != link {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, "password_reset"); err == nil {
		t.Error("opened under another context")
	}
	other, _ := NewSealer(bytes.Repeat([]byte{4}, 32), "mail link v1")
	if _, err := other.Open(sealed, "invitation"); err == nil {
		t.Error("opened with another key")
	}
	if _, err := s.Open(sealed[:len(sealed)-2]+"AA", "invitation"); err == nil {
		t.Error("opened a tampered text")
	}
}

func TestSignedLinksCheckTheirMessage(t *testing.T) {
	s, _ := NewSigner(bytes.Repeat([]byte{3}, 32), "unsubscribe v1")
	mac := s.Sign("42:reminders")
	if !s.Verify("42:reminders", mac) || s.Verify("43:reminders", mac) || s.Verify("42:digest", mac) {
		t.Error("signature does not bind its message")
	}
}
