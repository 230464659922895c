package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Sealer encrypts short secrets that must wait somewhere Mend does not
// otherwise trust with them: the one-time link inside a queued mail job
// lives in the job table until the mail is sent, and must not be readable
// there. AES-256-GCM with a key derived from MEND_SECRET_KEY for one purpose.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the key for purpose ("mail link v1") from the secret key.
func NewSealer(secretKey []byte, purpose string) (*Sealer, error) {
	k, err := hkdf.Key(sha256.New, secretKey, nil, "mend seal: "+purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plain, bound to context (e.g. the mail kind), as URL-safe text.
func (s *Sealer) Seal(plain, context string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plain), []byte(context)))
}

// ErrUnseal is returned for text that was not sealed with this key and context.
var ErrUnseal = errors.New("auth: sealed text cannot be opened")

// Open decrypts what Seal returned for the same context.
func (s *Sealer) Open(sealed, context string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", ErrUnseal
	}
	plain, err := s.aead.Open(nil, b[:s.aead.NonceSize()], b[s.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", ErrUnseal
	}
	return string(plain), nil
}

// Signer makes and checks short MACs for links that act without a sign-in
// (one-click unsubscribe): whoever holds the link may do that one thing.
type Signer struct{ key []byte }

// NewSigner derives the key for purpose from the secret key.
func NewSigner(secretKey []byte, purpose string) (Signer, error) {
	k, err := hkdf.Key(sha256.New, secretKey, nil, "mend sign: "+purpose, 32)
	return Signer{key: k}, err
}

// Sign returns a URL-safe MAC of msg.
func (s Signer) Sign(msg string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Verify checks a MAC made by Sign in constant time.
func (s Signer) Verify(msg, mac string) bool {
	return hmac.Equal([]byte(s.Sign(msg)), []byte(mac))
}
