// Package mail sends Mend's outgoing messages. For now a LogMailer records
// that a message would be sent; a later issue wires SMTP behind Mailer.
package mail

import (
	"context"
	"log/slog"
	"strings"
)

// Message is one outgoing email.
type Message struct {
	To      string
	Subject string
	Body    string // may contain secrets (invitation links): never logged
	// Ref names what the message is about for logs (e.g. "invitation:42").
	Ref string
}

// Mailer delivers messages.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// LogMailer logs that a message was sent: the recipient's domain, the
// subject and the reference only, never the body or the full address.
type LogMailer struct{ Log *slog.Logger }

// Send logs the message.
func (l LogMailer) Send(ctx context.Context, m Message) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	domain := ""
	if i := strings.LastIndexByte(m.To, '@'); i >= 0 {
		domain = m.To[i+1:]
	}
	log.InfoContext(ctx, "mail (not delivered: no SMTP configured)", "to_domain", domain, "subject", m.Subject, "ref", m.Ref)
	return nil
}
