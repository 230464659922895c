// Package auth holds Mend's credentials: argon2id password hashes, the
// password policy, random tokens and their keyed hashes, and API tokens.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/nbutton23/zxcvbn-go"
	"github.com/nbutton23/zxcvbn-go/frequency"
	"golang.org/x/crypto/argon2"
)

// argon2id parameters (OWASP's recommended minimum is m=19 MiB, t=2, p=1).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// testCost is set by UseTestCost: hashes made from then on use argon2id's
// cheapest parameters.
var testCost atomic.Bool

// Cheapest argon2id parameters, for test binaries only (UseTestCost).
const (
	testArgonTime   = 1
	testArgonMemory = 64 // KiB
)

// UseTestCost makes HashPassword use argon2id's cheapest parameters (t=1,
// m=64 KiB instead of t=2, m=19 MiB), so tests that create many accounts do
// not spend their time hashing. Verifying reads the parameters from the
// hash, so cheap and real hashes both verify. It panics outside a test
// binary (testing.Testing), so a production build can never hash weaker.
func UseTestCost() {
	if !testing.Testing() {
		panic("auth.UseTestCost called outside a test binary")
	}
	testCost.Store(true)
}

// Password length limits.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// hashSlots bounds the argon2id computations running at once, to half the
// cores: each holds argonMemory (19 MiB) while it runs, and the garbage
// collector lets the heap grow to about twice what is live, so a burst of
// sign-ins grew the process by some 40 MiB per attempt in flight (mend
// serve peaked at 146–186 MB under make bench-http's 4 parallel sign-ins,
// 91 MB with one at a time on 2 cores). They are CPU-bound, so the queue
// costs a burst little time, and the other half of the cores keeps serving
// pages meanwhile.
var hashSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

func argonKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	hashSlots <- struct{}{}
	defer func() { <-hashSlots }()
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// HashPassword returns a PHC-format argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	t, m := uint32(argonTime), uint32(argonMemory)
	if testCost.Load() {
		t, m = testArgonTime, testArgonMemory
	}
	key := argonKey([]byte(pw), salt, t, m, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t,
		argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// dummyHash is verified against when an email is unknown, so a failed login
// costs the same time whether or not the account exists.
var dummyHash, _ = HashPassword("mend-dummy-password-never-matches")

// VerifyPassword reports whether pw matches hash. An empty or malformed hash
// never matches, but still costs one argon2id computation.
func VerifyPassword(hash, pw string) bool {
	if hash == "" {
		hash = dummyHash
		pw += "\x00" // never matches the dummy
	}
	var v, m, t, p int
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m <= 0 || t <= 0 || p <= 0 || m > 1<<20 || t > 20 || p > 16 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argonKey([]byte(pw), salt, uint32(t), uint32(m), uint8(p), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// common holds the frequency list of leaked passwords shipped with zxcvbn.
var common = func() map[string]bool {
	l := frequency.Lists["Passwords"].List
	m := make(map[string]bool, len(l))
	for _, p := range l {
		m[strings.ToLower(p)] = true
	}
	return m
}()

// ErrPassword is wrapped by every policy refusal; its message is for the user.
var ErrPassword = errors.New("password refused")

// PasswordError is a policy refusal with a message for the user.
type PasswordError struct{ Msg string }

func (e *PasswordError) Error() string { return e.Msg }
func (e *PasswordError) Unwrap() error { return ErrPassword }

// CheckPassword applies the one password policy used everywhere (the
// invitation page, the command line, password changes): 12 to 256
// characters, not a known common password, not guessable from the
// user's own name or email.
func CheckPassword(pw string, userInputs ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw) || strings.ContainsRune(pw, 0):
		return &PasswordError{"The password contains characters that are not allowed."}
	case n < MinPasswordLen:
		return &PasswordError{fmt.Sprintf("Use at least %d characters.", MinPasswordLen)}
	case n > MaxPasswordLen:
		return &PasswordError{fmt.Sprintf("Use at most %d characters.", MaxPasswordLen)}
	case common[strings.ToLower(pw)]:
		return &PasswordError{"This password is among the most common ones. Choose another."}
	}
	if zxcvbn.PasswordStrength(pw, expandInputs(userInputs)).Score < 2 {
		return &PasswordError{"This password is too easy to guess (a common word, pattern or part of your name or email). Try a few unrelated words."}
	}
	return nil
}

// expandInputs adds the parts of names and emails (the local part, each
// word) so a password built from them is recognised as guessable.
func expandInputs(in []string) []string {
	var out []string
	for _, v := range in {
		v = strings.ToLower(v)
		out = append(out, v)
		local, _, _ := strings.Cut(v, "@")
		out = append(out, local)
		out = append(out, strings.FieldsFunc(local, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
	}
	return out
}
