package mail_test

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/mail/mailtest"
)

func sample(to string) mail.Message {
	return mail.Message{Kind: mail.NewWork, FromName: "Harbor Counseling via Mend", FromAddr: "noreply@mend.test",
		To: to, ToName: "Lucia Rivera", Subject: "You have something new from Harbor Counseling",
		Text: "Hello Lucia,\n\nThere is something new for you.\n", HTML: "<p>Hello Lucia,</p><p>There is something new for you.</p>",
		MessageID: "mend.1.new_work@mend.test", Headers: map[string]string{"List-Unsubscribe": "<https://mend.test/u/1>"}}
}

func TestSMTPURLForms(t *testing.T) {
	cases := map[string]mail.SMTPConfig{
		"smtp://user:p%40ss@mail.example:587": {Host: "mail.example", Port: 587, Username: "user", Password: "p@ss", TLS: "starttls"},
		"smtp://mail.example":                 {Host: "mail.example", Port: 587, TLS: "starttls"},
		"smtps://u:p@mail.example:465":        {Host: "mail.example", Port: 465, Username: "u", Password: "p", TLS: "implicit"},
		"smtp://127.0.0.1:2525?tls=none":      {Host: "127.0.0.1", Port: 2525, TLS: "none"},
		"smtp://localhost?tls=none":           {Host: "localhost", Port: 25, TLS: "none"},
	}
	for raw, want := range cases {
		got, err := mail.ParseSMTPURL(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v, %v; want %+v", raw, got, err, want)
		}
	}
	for _, bad := range []string{"", "mail.example:587", "http://mail.example", "smtp://mail.example?tls=maybe",
		"smtp://u:p@mail.example?tls=none", "smtp://mail.example:99999"} {
		if _, err := mail.ParseSMTPURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A message reaches a relay as multipart text + HTML with its headers.
func TestSMTPDeliversBothParts(t *testing.T) {
	srv := mailtest.Start(t)
	cfg, err := mail.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	if err := mail.NewSMTP(cfg).Send(context.Background(), sample("lucia@example.com")); err != nil {
		t.Fatal(err)
	}
	m := srv.Wait(1, 5*time.Second)[0]
	if m.Subject != "You have something new from Harbor Counseling" || !strings.Contains(m.Text, "something new") ||
		!strings.Contains(m.HTML, "<p>Hello Lucia,</p>") {
		t.Errorf("message: subject %q text %q html %q", m.Subject, m.Text, m.HTML)
	}
	if m.To[0] != "lucia@example.com" || m.Header.Get("Message-Id") != "<mend.1.new_work@mend.test>" ||
		m.Header.Get("List-Unsubscribe") != "<https://mend.test/u/1>" {
		t.Errorf("headers: to %v, %v", m.To, m.Header)
	}
	if !strings.Contains(m.Header.Get("From"), "Harbor Counseling via Mend") {
		t.Errorf("From = %q", m.Header.Get("From"))
	}
}

// smtp:// means STARTTLS is required: credentials go only over TLS.
func TestSMTPStartTLSWithCredentials(t *testing.T) {
	srv := mailtest.StartTLS(t, "mend", "relay-secret")
	cfg, err := mail.ParseSMTPURL(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	s := mail.NewSMTP(cfg)
	s.TLSConfig = &tls.Config{RootCAs: srv.RootCAs, ServerName: "127.0.0.1"}
	if err := s.Send(context.Background(), sample("daniel@example.com")); err != nil {
		t.Fatal(err)
	}
	srv.Wait(1, 5*time.Second)

	// The same credentials to a relay that offers no STARTTLS are refused
	// before they are sent.
	plain := mailtest.Start(t)
	cfg.Port = portOf(t, plain.Addr())
	if err := mail.NewSMTP(cfg).Send(context.Background(), sample("daniel@example.com")); err == nil {
		t.Fatal("sent without TLS")
	}
	if len(plain.Messages()) != 0 {
		t.Fatal("plain relay received a message")
	}
}

// 4xx may pass later; 5xx never will.
func TestSMTPRefusalsAreTemporaryOrPermanent(t *testing.T) {
	srv := mailtest.Start(t)
	cfg, _ := mail.ParseSMTPURL(srv.URL())
	s := mail.NewSMTP(cfg)
	srv.Refuse(func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	})
	err := s.Send(context.Background(), sample("a@example.com"))
	if err == nil || mail.IsPermanent(err) {
		t.Errorf("451: %v (permanent %v)", err, mail.IsPermanent(err))
	}
	srv.Refuse(func(string) *smtp.SMTPError {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	})
	if err := s.Send(context.Background(), sample("a@example.com")); !mail.IsPermanent(err) {
		t.Errorf("550: %v, want permanent", err)
	}
	srv.Stop()
	if err := s.Send(context.Background(), sample("a@example.com")); err == nil || mail.IsPermanent(err) {
		t.Errorf("relay down: %v, want a temporary error", err)
	}
	if err := s.Send(context.Background(), sample("not an address")); !mail.IsPermanent(err) {
		t.Errorf("bad address: %v, want permanent", err)
	}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	i := strings.LastIndexByte(addr, ':')
	var p int
	for _, c := range addr[i+1:] {
		p = p*10 + int(c-'0')
	}
	return p
}
