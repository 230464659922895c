// Package config reads Mend's configuration from the environment.
package config

import (
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/mend-clinic/mend/internal/mail"
)

// Config is everything Mend reads from its environment. No globals: the
// value is passed to whatever needs it.
type Config struct {
	DatabaseURL    string
	Addr           string
	BaseURL        string
	SecretKey      []byte // keys token hashes; ≥ 32 bytes
	AuditKey       []byte // keys the audit chain HMAC; ≥ 32 bytes
	BodyLimit      int64
	TLSCert        string
	TLSKey         string
	TrustedProxies []*net.IPNet
	DBMaxOpen      int
	// DBMaxIdle is as many as DBMaxOpen: a connection closed after a burst
	// takes its prepared statements with it (internal/db), and idle ones
	// still close after five minutes.
	DBMaxIdle     int
	ShutdownGrace time.Duration
	LogLevel      string
	// SMTPURL is MEND_SMTP_URL; empty: mail is written as files to MailDir.
	SMTPURL string
	// MailFrom is MEND_MAIL_FROM ("Harbor Counseling via Mend <noreply@…>").
	MailFrom string
	// MailDir is where mail goes without SMTP (MEND_MAIL_DIR, default var/mail).
	MailDir string
}

// Load reads the configuration through getenv. Secrets may also be given
// as NAME_FILE pointing at a file holding the value.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		DatabaseURL:   getenv("DATABASE_URL"),
		Addr:          or(getenv("MEND_ADDR"), "localhost:8080"),
		BaseURL:       getenv("MEND_BASE_URL"),
		TLSCert:       getenv("MEND_TLS_CERT"),
		TLSKey:        getenv("MEND_TLS_KEY"),
		BodyLimit:     1 << 20,
		DBMaxOpen:     20,
		DBMaxIdle:     20,
		ShutdownGrace: 15 * time.Second,
		LogLevel:      or(getenv("MEND_LOG_LEVEL"), "info"),
		SMTPURL:       getenv("MEND_SMTP_URL"),
		MailFrom:      getenv("MEND_MAIL_FROM"),
		MailDir:       or(getenv("MEND_MAIL_DIR"), "var/mail"),
	}
	var err error
	if c.SecretKey, err = hexKey(getenv, "MEND_SECRET_KEY"); err != nil {
		return c, err
	}
	if c.AuditKey, err = hexKey(getenv, "MEND_AUDIT_KEY"); err != nil {
		return c, err
	}
	if v := getenv("MEND_BODY_LIMIT"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return c, fmt.Errorf("MEND_BODY_LIMIT: want a byte count ≥ 1024, got %q", v)
		}
		c.BodyLimit = n
	}
	if v := getenv("MEND_DB_MAX_OPEN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("MEND_DB_MAX_OPEN: want a positive number, got %q", v)
		}
		c.DBMaxOpen, c.DBMaxIdle = n, n
	}
	if v := getenv("MEND_TRUSTED_PROXIES"); v != "" {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			if !strings.Contains(s, "/") {
				if strings.Contains(s, ":") {
					s += "/128"
				} else {
					s += "/32"
				}
			}
			_, n, err := net.ParseCIDR(s)
			if err != nil {
				return c, fmt.Errorf("MEND_TRUSTED_PROXIES: %q is not a CIDR", s)
			}
			c.TrustedProxies = append(c.TrustedProxies, n)
		}
	}
	if c.BaseURL == "" {
		scheme := "http"
		if c.TLS() {
			scheme = "https"
		}
		c.BaseURL = scheme + "://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	return c, nil
}

// MailDelivered reports whether mail really leaves the machine (SMTP is
// configured). Without it, links an admin issues are shown for copying.
func (c Config) MailDelivered() bool { return c.SMTPURL != "" }

// TLS reports whether Mend serves TLS itself.
func (c Config) TLS() bool { return c.TLSCert != "" && c.TLSKey != "" }

// HTTPS reports whether browsers reach Mend over HTTPS: it serves TLS
// itself, or MEND_BASE_URL says a proxy in front terminates it. Either way
// cookies must be Secure and HSTS sent.
func (c Config) HTTPS() bool {
	return c.TLS() || strings.HasPrefix(strings.ToLower(c.BaseURL), "https://")
}

// ValidateServe checks what serve needs beyond what Load checked.
func (c Config) ValidateServe() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set (make run sets it for a private cluster)")
	}
	if c.SecretKey == nil {
		return fmt.Errorf("MEND_SECRET_KEY is not set: give at least 32 random bytes as hex (openssl rand -hex 32)")
	}
	if c.AuditKey == nil {
		return fmt.Errorf("MEND_AUDIT_KEY is not set: give at least 32 random bytes as hex (openssl rand -hex 32)")
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(c.SMTPURL); err != nil {
			return err
		}
	}
	if _, err := mail.ParseFrom(c.MailFrom, c.BaseURL); err != nil {
		return err
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("MEND_TLS_CERT and MEND_TLS_KEY go together")
	}
	return nil
}

func hexKey(getenv func(string) string, name string) ([]byte, error) {
	v := getenv(name)
	if f := getenv(name + "_FILE"); v == "" && f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s_FILE: %w", name, err)
		}
		v = strings.TrimSpace(string(b))
	}
	if v == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("%s: not hex: %w", name, err)
	}
	if len(k) < 32 {
		return nil, fmt.Errorf("%s: want at least 32 bytes (64 hex digits), got %d bytes", name, len(k))
	}
	return k, nil
}

func or(v, d string) string {
	if v == "" {
		return d
	}
	return v
}
