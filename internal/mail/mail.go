// Package mail renders and delivers Mend's mail. Every message is queued as
// a job in the transaction of the change that causes it (Outbox), and a
// worker renders it from templates/mail and hands it to a Sender: SMTP when
// MEND_SMTP_URL is set, otherwise .eml files in a folder, so nothing leaves
// the machine and every mail can still be read.
//
// Mail is read on lock screens and shared computers: it never carries
// clinical content — no answers, comments, instructions, exercise titles or
// the other partner's name next to their work — only the clinic's name, a
// neutral sentence and one link.
package mail

import (
	"context"
	"errors"
	"strings"
)

// Kind names one kind of mail; each has its templates under templates/mail.
type Kind string

// The kinds of mail Mend sends.
const (
	Invitation       Kind = "invitation"         // the invitee: accept link
	PasswordReset    Kind = "password_reset"     // the account holder: reset link
	PasswordChanged  Kind = "password_changed"   // security notice
	TwoFactorOff     Kind = "two_factor_off"     // security notice
	SignInAfterReset Kind = "signin_after_reset" // security notice
	NewWork          Kind = "new_work"           // partners who must do it
	Feedback         Kind = "feedback"           // the author: revision requested or accepted
	PartnerShared    Kind = "partner_shared"     // the other partner
	BothSubmitted    Kind = "both_submitted"     // both partners (reveal together)
	Reminder         Kind = "reminder"           // due soon, today's check-in
	Digest           Kind = "digest"             // the counselor's morning summary
	SafetyAlert      Kind = "safety_alert"       // the counselor, at once
	Undeliverable    Kind = "undeliverable"      // the clinic's admins
	CounselorJoined  Kind = "counselor_joined"   // the clinic's admins
	CaseloadChanged  Kind = "caseload_changed"   // a counselor whose couple was taken over
	SessionMoved     Kind = "session_moved"      // the partners: an appointment has a new time
	SessionCancelled Kind = "session_cancelled"  // the partners: an appointment was cancelled
)

// Category says whether the recipient may turn a kind off. Mail that
// carries a link the person needs, or tells them about their account's
// security or a safety concern, cannot be turned off.
type Category string

// Categories of mail.
const (
	Always    Category = "always"
	Updates   Category = "updates"
	Reminders Category = "reminders"
	Digests   Category = "digest"
)

// Kinds lists every kind with its category (a test renders each).
var Kinds = map[Kind]Category{
	Invitation: Always, PasswordReset: Always, PasswordChanged: Always, TwoFactorOff: Always,
	SignInAfterReset: Always, SafetyAlert: Always, Undeliverable: Always, CaseloadChanged: Always,
	NewWork: Updates, Feedback: Updates, PartnerShared: Updates, BothSubmitted: Updates, CounselorJoined: Updates,
	Reminder: Reminders, Digest: Digests,
	SessionMoved: Updates, SessionCancelled: Updates,
}

// Message is one rendered mail, ready for a Sender.
type Message struct {
	Kind      Kind
	FromName  string
	FromAddr  string
	To        string
	ToName    string
	Subject   string
	Text      string
	HTML      string
	MessageID string            // without <>; the same on every attempt, so a receiver can drop a repeat
	Headers   map[string]string // e.g. List-Unsubscribe
}

// Sender delivers a rendered message.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Describe says where mail goes, for the start-up log ("smtp mail.example:587").
	Describe() string
}

// PermanentError is a refusal that trying again will not change: a 5xx
// answer, or an address that cannot be mailed.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// Domain returns the part of an address after "@", for logs that must not
// name the person.
func Domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}
