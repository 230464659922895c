// Package mailtest is a real SMTP server for tests (emersion/go-smtp): Mend
// delivers to it over TCP exactly as to a production relay, and tests read
// what arrived, make it refuse (4xx, 5xx), take it down and bring it back.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one mail the server accepted.
type Message struct {
	From    string
	To      []string
	Raw     []byte
	Header  mail.Header
	Subject string
	Text    string
	HTML    string
}

// Server is a running SMTP server.
type Server struct {
	t    testing.TB
	addr string
	// User and Password, when set, are required (AUTH PLAIN, after STARTTLS).
	User, Password string
	tlsConf        *tls.Config
	// RootCAs trusts the server's certificate (for a STARTTLS server).
	RootCAs *x509.CertPool

	mu      sync.Mutex
	srv     *smtp.Server
	msgs    []Message
	refuse  func(rcpt string) *smtp.SMTPError
	arrived chan struct{}
}

// Start runs a plain SMTP server on a free loopback port (a local relay:
// MEND_SMTP_URL smtp://127.0.0.1:PORT?tls=none).
func Start(t testing.TB) *Server {
	s := &Server{t: t, arrived: make(chan struct{}, 1000)}
	s.listen("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

// StartTLS runs a server that offers STARTTLS with a certificate for
// 127.0.0.1 and requires the given credentials.
func StartTLS(t testing.TB, user, password string) *Server {
	s := &Server{t: t, arrived: make(chan struct{}, 1000), User: user, Password: password}
	cert, pool := selfSigned(t)
	s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.RootCAs = pool
	s.listen("127.0.0.1:0")
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) listen(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatalf("mailtest: listen: %v", err)
	}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "mailtest.local"
	srv.TLSConfig = s.tlsConf
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.AllowInsecureAuth = false
	s.mu.Lock()
	s.addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Addr is host:port.
func (s *Server) Addr() string { s.mu.Lock(); defer s.mu.Unlock(); return s.addr }

// URL is the MEND_SMTP_URL that reaches this server.
func (s *Server) URL() string {
	if s.tlsConf != nil {
		return fmt.Sprintf("smtp://%s:%s@%s", s.User, s.Password, s.Addr())
	}
	return "smtp://" + s.Addr() + "?tls=none"
}

// Stop takes the server down (connections are refused until Restart).
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Restart brings a stopped server back on the same port.
func (s *Server) Restart() {
	deadline := time.Now().Add(5 * time.Second)
	for {
		ln, err := net.Listen("tcp", s.Addr())
		if err == nil {
			ln.Close()
			break
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mailtest: port %s did not come free: %v", s.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.listen(s.Addr())
}

// Refuse makes the server answer RCPT with err for matching recipients
// (nil: accept again). Use a 4xx code for "try later", 5xx for "never".
func (s *Server) Refuse(f func(rcpt string) *smtp.SMTPError) {
	s.mu.Lock()
	s.refuse = f
	s.mu.Unlock()
}

// Messages returns what has arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait blocks until at least n messages have arrived (or fails the test
// after timeout) and returns them.
func (s *Server) Wait(n int, timeout time.Duration) []Message {
	s.t.Helper()
	return s.WaitUntil(func(m []Message) bool { return len(m) >= n }, timeout)
}

// WaitUntil blocks until done holds for the messages arrived so far (or
// fails the test after timeout) and returns them.
func (s *Server) WaitUntil(done func([]Message) bool, timeout time.Duration) []Message {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		if m := s.Messages(); done(m) {
			return m
		}
		select {
		case <-s.arrived:
		case <-deadline:
			s.t.Fatalf("mailtest: %d message(s) arrived within %v, not what the test waits for", len(s.Messages()), timeout)
		}
	}
}

// To returns the messages addressed to rcpt.
func (s *Server) To(rcpt string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, r := range m.To {
			if strings.EqualFold(r, rcpt) {
				out = append(out, m)
			}
		}
	}
	return out
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.User != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	f := x.s.refuse
	x.s.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parse(raw)
	m.From, m.To = x.from, x.to
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, m)
	x.s.mu.Unlock()
	select {
	case x.s.arrived <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

// parse reads the headers and the text and HTML parts.
func parse(raw []byte) Message {
	m := Message{Raw: raw}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	m.Subject, _ = dec.DecodeHeader(msg.Header.Get("Subject"))
	walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, &m)
	return m
}

func walk(ctype, enc string, body io.Reader, m *Message) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return
			}
			walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, m)
		}
	}
	var r io.Reader = body
	if strings.EqualFold(enc, "quoted-printable") {
		r = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(r)
	switch mt {
	case "text/plain":
		m.Text = string(b)
	case "text/html":
		m.HTML = string(b)
	}
}

func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailtest"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(c)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}
