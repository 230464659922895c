package auth

import (
	"strings"
	"testing"
)

// Passwords are hashed at OWASP's minimum argon2id cost (m=19 MiB, t=2)
// unless a test binary asked for the cheap test cost, and both verify.
func TestPasswordCostIsOWASPMinimumOutsideTests(t *testing.T) {
	if testCost.Load() {
		t.Fatal("the test cost is on before any test asked for it")
	}
	real, err := HashPassword("a long passphrase of words")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(real, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("default hash %q is not at m=19456,t=2,p=1", real)
	}
	UseTestCost()
	defer testCost.Store(false)
	cheap, err := HashPassword("a long passphrase of words")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cheap, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("test-cost hash %q is not at m=64,t=1,p=1", cheap)
	}
	for _, h := range []string{real, cheap} {
		if !VerifyPassword(h, "a long passphrase of words") || VerifyPassword(h, "a long passphrase of word") {
			t.Errorf("hash %q does not verify exactly its password", h)
		}
	}
}
