package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// NewToken returns a random URL-safe token of 256 bits.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Hasher turns tokens into the keyed hashes stored in the database, so a
// leaked table yields no usable token.
type Hasher struct{ key []byte }

// NewHasher returns a Hasher keyed with the server's secret key.
func NewHasher(key []byte) Hasher { return Hasher{key: key} }

// Hash returns HMAC-SHA256(key, token).
func (h Hasher) Hash(token string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(token))
	return m.Sum(nil)
}
