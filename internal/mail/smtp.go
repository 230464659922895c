package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is a parsed MEND_SMTP_URL:
//
//	smtp://user:pass@host:587      STARTTLS, required (never sends credentials in clear)
//	smtps://user:pass@host:465     implicit TLS
//	smtp://host:25?tls=none        plain, for a relay on localhost; no auth needed
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // "starttls", "implicit" or "none"
}

// ParseSMTPURL reads MEND_SMTP_URL.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	var c SMTPConfig
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return c, fmt.Errorf("MEND_SMTP_URL: want smtp://user:pass@host:587, smtps://…:465 or smtp://host:port?tls=none")
	}
	c.Host = u.Hostname()
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = "starttls", 587
		switch v := u.Query().Get("tls"); v {
		case "", "starttls":
		case "none":
			c.TLS, c.Port = "none", 25
		default:
			return c, fmt.Errorf("MEND_SMTP_URL: tls=%q: want tls=none or leave it out (STARTTLS)", v)
		}
	case "smtps":
		c.TLS, c.Port = "implicit", 465
	default:
		return c, fmt.Errorf("MEND_SMTP_URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return c, fmt.Errorf("MEND_SMTP_URL: bad port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if c.TLS == "none" && c.Username != "" && !isLoopback(c.Host) {
		return c, fmt.Errorf("MEND_SMTP_URL: tls=none with a password is only allowed for a relay on this machine")
	}
	return c, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SMTP delivers over SMTP with github.com/wneessen/go-mail, one connection
// per message (mail is rare; a dead connection is never reused).
type SMTP struct {
	cfg SMTPConfig
	// TLSConfig overrides the TLS settings (tests trust their own CA).
	TLSConfig *tls.Config
	Timeout   time.Duration
}

// NewSMTP returns an SMTP sender.
func NewSMTP(c SMTPConfig) *SMTP { return &SMTP{cfg: c, Timeout: 30 * time.Second} }

// Describe names the relay (never its password).
func (s *SMTP) Describe() string {
	return fmt.Sprintf("smtp %s:%d (%s)", s.cfg.Host, s.cfg.Port, s.cfg.TLS)
}

// Send delivers m. A 5xx answer or an unusable address is a
// PermanentError; anything else (4xx, the relay down, TLS) may pass later.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(s.Timeout)}
	tc := s.TLSConfig
	if tc == nil {
		tc = &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	}
	switch s.cfg.TLS {
	case "implicit":
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSConfig(tc))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory), gomail.WithTLSConfig(tc))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		return &PermanentError{Err: err}
	}
	return err
}

// build turns a Message into a MIME message: multipart/alternative with
// the text and the HTML part.
func build(m Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(m.FromName, m.FromAddr); err != nil {
		return nil, fmt.Errorf("mail from %q: %w", m.FromAddr, err)
	}
	if err := msg.AddToFormat(m.ToName, m.To); err != nil {
		return nil, &PermanentError{Err: fmt.Errorf("recipient address: %w", err)}
	}
	msg.Subject(m.Subject)
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	} else {
		msg.SetMessageID()
	}
	msg.SetDate()
	msg.SetUserAgent("Mend")
	for k, v := range m.Headers {
		msg.SetGenHeader(gomail.Header(k), v)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// WriteEML writes m as an RFC 5322 message (what SMTP would carry).
func WriteEML(w io.Writer, m Message) error {
	msg, err := build(m)
	if err != nil {
		return err
	}
	_, err = msg.WriteTo(w)
	return err
}

// hostOf is the host part of a base URL, for Message-IDs.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "mend.invalid"
	}
	return strings.ToLower(u.Hostname())
}
