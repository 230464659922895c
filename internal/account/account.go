// Package account owns users, clinics and memberships: who exists, in which
// clinic, with which role, and how they sign in.
package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/security"
	"github.com/mend-clinic/mend/internal/tz"
)

// User is a person who can sign in.
type User struct {
	ID                 int64     `db:"id" json:"id"`
	Email              string    `db:"email" json:"email"`
	Name               string    `db:"name" json:"name"`
	PasswordHash       string    `db:"password_hash" json:"-"`
	Active             bool      `db:"active" json:"-"`
	SessionsValidAfter time.Time `db:"sessions_valid_after" json:"-"`
	CreatedAt          time.Time `db:"created_at" json:"-"`
	// TimeZone is the person's own IANA zone; nil: their clinic's.
	TimeZone *string `db:"time_zone" json:"time_zone"`
}

// UserColumns are the users columns a User is read from.
const UserColumns = `id, email, name, password_hash, active, sessions_valid_after, created_at, time_zone`

// Membership is a user's role in one clinic.
type Membership struct {
	ClinicID   int64  `db:"clinic_id" json:"clinic_id"`
	ClinicName string `db:"clinic_name" json:"clinic_name"`
	Role       string `db:"role" json:"role"`
	// ClinicZone is the clinic's IANA zone; nil: not chosen yet (UTC).
	ClinicZone *string `db:"clinic_time_zone" json:"-"`
}

// Service holds the account rules.
type Service struct {
	db     *sqlx.DB
	audit  *audit.Logger
	notify *notify.Service
	guard  *security.Guard
	// MFA checks the second factor of SignIn (nil: none, for commands that
	// sign no one in).
	MFA *security.MFA
}

// NewService returns the account service; account notices (password
// changed, a sign-in after a reset) are mailed through n (nil: none).
func NewService(d *sqlx.DB, a *audit.Logger, n *notify.Service) *Service {
	return &Service{db: d, audit: a, notify: n, guard: security.NewGuard(d)}
}

// ErrBadLogin is the one answer to any failed sign-in, so it never reveals
// whether an email is registered.
var ErrBadLogin = apperr.New(apperr.Unauthorized, "Email or password is incorrect.")

// NormalizeEmail checks an address and returns its canonical (lower-case) form.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", apperr.New(apperr.Invalid, "Enter an email address.")
	}
	if len(e) > 254 {
		return "", apperr.New(apperr.Invalid, "The email address is too long.")
	}
	a, err := netmail.ParseAddress(e)
	if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return "", apperr.New(apperr.Invalid, "Enter a valid email address, like name@example.com.")
	}
	return e, nil
}

// CheckName validates a person's or clinic's display name.
func CheckName(name string) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", apperr.New(apperr.Invalid, "Enter a name.")
	case !utf8.ValidString(n) || strings.ContainsRune(n, 0):
		return "", apperr.New(apperr.Invalid, "The name contains characters that are not allowed.")
	case utf8.RuneCountInString(n) > 200:
		return "", apperr.New(apperr.Invalid, "Use at most 200 characters.")
	}
	return n, nil
}

// CreateClinic creates a clinic without a time zone (it runs on UTC, and
// its admins are told so until they choose one) and returns its id.
func (s *Service) CreateClinic(ctx context.Context, a actor.Actor, name string) (int64, error) {
	return s.AddClinic(ctx, a, NewClinic{Name: name})
}

// NewClinic is what AddClinic needs.
type NewClinic struct {
	Name string
	// TimeZone is an IANA name ("America/New_York"); "" leaves it unset (UTC).
	TimeZone string
}

// AddClinic creates a clinic and returns its id (audited clinic.create).
func (s *Service) AddClinic(ctx context.Context, a actor.Actor, c NewClinic) (int64, error) {
	fields := map[string]string{}
	n, err := CheckName(c.Name)
	if err != nil {
		fields["name"] = apperr.Message(err)
	}
	var zone *string
	if c.TimeZone != "" {
		if !tz.Valid(c.TimeZone) {
			fields["time_zone"] = fmt.Sprintf("%q is not a time zone Mend knows: use an IANA name such as America/New_York or Europe/Berlin.", c.TimeZone)
		}
		zone = &c.TimeZone
	}
	if len(fields) > 0 {
		msg := fields["name"]
		if msg == "" {
			msg = fields["time_zone"]
		}
		return 0, apperr.Fields(msg, fields)
	}
	var id int64
	err = db.InTx(ctx, s.db, func(tx *db.Tx) error {
		if err := tx.GetContext(ctx, &id, `INSERT INTO clinics (name, time_zone) VALUES ($1, $2) RETURNING id`, n, zone); err != nil {
			return err
		}
		ev := audit.Event{Action: "clinic.create", ObjectType: "clinic", ObjectID: id, ClinicID: id}
		if zone != nil {
			ev.Detail = map[string]any{"time_zone": *zone}
		}
		return s.audit.Log(ctx, tx, a, ev)
	})
	return id, err
}

// NewUser is what CreateUser needs.
type NewUser struct {
	ClinicID int64
	Role     string
	Email    string
	Name     string
	Password string
}

// CreateUser creates an account with one membership. A registered email is
// a conflict; the password follows the one policy.
func (s *Service) CreateUser(ctx context.Context, a actor.Actor, in NewUser) (int64, error) {
	fields := map[string]string{}
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		fields["email"] = apperr.Message(err)
	}
	if in.Name == "" {
		in.Name = strings.Split(email, "@")[0]
	}
	name, err := CheckName(in.Name)
	if err != nil {
		fields["name"] = apperr.Message(err)
	}
	if !validRole(in.Role) {
		fields["role"] = "Choose one of clinic_admin, counselor, client."
	}
	if err := auth.CheckPassword(in.Password, email, name); err != nil {
		fields["password"] = err.Error()
	}
	if len(fields) > 0 {
		return 0, apperr.Fields("Please correct the highlighted fields.", fields)
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM clinics WHERE id = $1)`, in.ClinicID); err != nil {
			return err
		}
		if !exists {
			return apperr.New(apperr.NotFound, "Clinic %d does not exist.", in.ClinicID)
		}
		err := tx.GetContext(ctx, &id, `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING id`, email, name, hash)
		if db.IsUniqueViolation(err, "users_email_key") {
			return &apperr.Error{Code: apperr.Conflict, Message: "A user with this email already exists.",
				Fields: map[string]string{"email": "A user with this email already exists."}}
		}
		if err != nil {
			return err
		}
		if err := AddMembership(ctx, tx, id, in.ClinicID, in.Role); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: id,
			ClinicID: in.ClinicID, Detail: map[string]any{"role": in.Role}})
	})
	return id, err
}

// AddMembership gives a user a role in a clinic (reactivating it if it was
// switched off).
func AddMembership(ctx context.Context, q sqlx.ExecerContext, userID, clinicID int64, role string) error {
	if !validRole(role) {
		return apperr.New(apperr.Invalid, "Unknown role %q.", role)
	}
	_, err := q.ExecContext(ctx, `INSERT INTO memberships (user_id, clinic_id, role) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, clinic_id, role) DO UPDATE SET active = true`, userID, clinicID, role)
	return err
}

func validRole(r string) bool {
	for _, x := range actor.AllRoles {
		if r == x {
			return true
		}
	}
	return false
}

// Authenticate checks an email and password. Every failure is ErrBadLogin and
// costs one password hash, known account or not. Failures are audited.
func (s *Service) Authenticate(ctx context.Context, a actor.Actor, email, password string) (User, error) {
	var u User
	e, _ := NormalizeEmail(email)
	err := s.db.GetContext(ctx, &u, `SELECT `+UserColumns+` FROM users WHERE lower(email) = $1`, e)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	ok := auth.VerifyPassword(u.PasswordHash, password) && u.ID != 0 && u.Active
	if !ok {
		// A known account's failure is shown to the admins of each clinic
		// it belongs to; an unknown email's stays installation-level.
		a.UserID = u.ID // zero when unknown: the event then names no one
		if err := security.LogAccountEventNow(ctx, s.db, s.audit, a, u.ID, audit.Event{Action: "login.failed", ObjectType: "user", ObjectID: u.ID}); err != nil {
			return User{}, err
		}
		return User{}, ErrBadLogin
	}
	return u, nil
}

// ByID returns an active user.
func (s *Service) ByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.GetContext(ctx, &u, `SELECT `+UserColumns+` FROM users WHERE id = $1 AND active`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return u, apperr.New(apperr.Unauthorized, "Your account is not active.")
	}
	return u, err
}

// Memberships lists a user's active memberships, by clinic then role.
func (s *Service) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	ms := []Membership{}
	err := s.db.SelectContext(ctx, &ms, `SELECT m.clinic_id, c.name AS clinic_name, m.role, c.time_zone AS clinic_time_zone
		FROM memberships m JOIN clinics c ON c.id = m.clinic_id
		WHERE m.user_id = $1 AND m.active ORDER BY c.name, c.id, m.role`, userID)
	return ms, err
}

// Clinics returns the distinct clinics of a membership list, in order.
func Clinics(ms []Membership) []Membership {
	var out []Membership
	seen := map[int64]bool{}
	for _, m := range ms {
		if !seen[m.ClinicID] {
			seen[m.ClinicID] = true
			out = append(out, Membership{ClinicID: m.ClinicID, ClinicName: m.ClinicName})
		}
	}
	return out
}

// RolesIn returns the roles held in one clinic from a membership list.
func RolesIn(ms []Membership, clinicID int64) (roles []string, clinicName string) {
	for _, m := range ms {
		if m.ClinicID == clinicID {
			roles = append(roles, m.Role)
			clinicName = m.ClinicName
		}
	}
	return roles, clinicName
}

// ZoneIn returns a clinic's zone name from a membership list ("" when the
// clinic has chosen none).
func ZoneIn(ms []Membership, clinicID int64) string {
	for _, m := range ms {
		if m.ClinicID == clinicID && m.ClinicZone != nil {
			return *m.ClinicZone
		}
	}
	return ""
}

// RevokeSessions ends every session and API token of a user (for services
// that change credentials inside their own transaction).
func RevokeSessions(ctx context.Context, q sqlx.ExecerContext, userID int64) error {
	if _, err := q.ExecContext(ctx, `UPDATE users SET sessions_valid_after = now() WHERE id = $1`, userID); err != nil {
		return err
	}
	_, err := q.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID)
	return err
}

// AuditAccount records an event about an account (login, logout) once per
// clinic the account belongs to (see security.LogAccountEvent).
func (s *Service) AuditAccount(ctx context.Context, a actor.Actor, userID int64, ev audit.Event) error {
	return security.LogAccountEventNow(ctx, s.db, s.audit, a, userID, ev)
}

// ChangePassword replaces the caller's password after checking the current
// one. Every other session and API token of the account ends at once.
// The current password is throttled like a sign-in (per account and per
// IP, counted before it is checked): a locked account gets a TooMany error
// with "retry_after" even for the right password, and a wrong one counts
// as a failure (audited password.change_failed).
func (s *Service) ChangePassword(ctx context.Context, a actor.Actor, current, next, confirm string) error {
	u, err := s.ByID(ctx, a.UserID)
	if err != nil {
		return err
	}
	if current == "" { // says nothing about the password: not counted
		return apperr.Fields("Please correct the highlighted fields.", map[string]string{"current": "Enter your current password."})
	}
	return s.guard.Attempt(ctx, u.Email, a.IP, func() (security.Outcome, error) {
		if !auth.VerifyPassword(u.PasswordHash, current) {
			if err := security.LogAccountEventNow(ctx, s.db, s.audit, a, a.UserID, audit.Event{Action: "password.change_failed", ObjectType: "user", ObjectID: a.UserID}); err != nil {
				return security.Failed, err
			}
			return security.Failed, apperr.Fields("Please correct the highlighted fields.", map[string]string{"current": "This is not your current password."})
		}
		fields := map[string]string{}
		if err := auth.CheckPassword(next, u.Email, u.Name); err != nil {
			fields["password"] = err.Error()
		} else if next != confirm {
			fields["confirm"] = "The two new passwords differ."
		} else if next == current {
			fields["password"] = "Choose a password different from the current one."
		}
		if len(fields) > 0 { // the current password was right
			return security.Passed, apperr.Fields("Please correct the highlighted fields.", fields)
		}
		if err := s.changePassword(ctx, a, next); err != nil {
			return security.Passed, err
		}
		return security.SignedIn, nil
	})
}

// changePassword stores the new password, ends every session and token of
// the account and mails the notice, audited.
func (s *Service) changePassword(ctx context.Context, a actor.Actor, next string) error {
	hash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1`, a.UserID, hash); err != nil {
			return err
		}
		if err := RevokeSessions(ctx, tx, a.UserID); err != nil {
			return err
		}
		if err := s.notify.Mail(ctx, tx, mail.Args{What: mail.PasswordChanged, ClinicID: a.ClinicID, UserID: a.UserID, When: tx.Now()}); err != nil {
			return err
		}
		return security.LogAccountEvent(ctx, tx, s.audit, a, a.UserID, audit.Event{Action: "password.change", ObjectType: "user", ObjectID: a.UserID})
	})
}

// ResetNotice is what a sign-in must tell after a clinic reset the
// account's password: when, and which clinic.
type ResetNotice struct {
	At     time.Time `json:"reset_at"`
	Clinic string    `json:"reset_by_clinic"`
	Zone   string    `json:"-"` // the person's zone (or the clinic's), for showing At
}

// Text is the notice in words.
func (n ResetNotice) Text() string {
	loc := tz.Or(n.Zone)
	return n.Clinic + " reset your password on " + n.At.In(loc).Format("Monday 2 January 2006 at 15:04") + " (" + tz.Name(loc) +
		"). If you did not ask for this, tell them, and change your password on your account security page."
}

// SignedIn records a finished sign-in: one "login" event per clinic of the
// account (marked when the session begins through a password-reset link,
// with the clinic that issued the link), the mail "a new sign-in after a
// reset" at the first sign-in after one, and, at the first sign-in with a
// password after a clinic-issued reset, the notice to show (then cleared).
func (s *Service) SignedIn(ctx context.Context, a actor.Actor, u User, viaReset bool) (*ResetNotice, error) {
	var notice *ResetNotice
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var r struct {
			At       sql.NullTime   `db:"reset_at"`
			ByClinic sql.NullInt64  `db:"reset_by_clinic"`
			Name     sql.NullString `db:"clinic_name"`
			MailDue  bool           `db:"reset_mail_due"`
			Home     sql.NullInt64  `db:"home_clinic"`
			Zone     sql.NullString `db:"zone"`
		}
		if err := tx.GetContext(ctx, &r, `SELECT u.reset_at, u.reset_by_clinic, c.name AS clinic_name, u.reset_mail_due,
				coalesce(u.time_zone, c.time_zone) AS zone,
				(SELECT min(m.clinic_id) FROM memberships m WHERE m.user_id = u.id AND m.active) AS home_clinic
			FROM users u LEFT JOIN clinics c ON c.id = u.reset_by_clinic WHERE u.id = $1 FOR UPDATE OF u`, u.ID); err != nil {
			return err
		}
		detail := map[string]any{}
		if viaReset {
			detail["via"] = "password_reset"
			if r.ByClinic.Valid {
				detail["reset_by_clinic"] = r.ByClinic.Int64
			}
		}
		if r.MailDue {
			clinicID := r.ByClinic.Int64
			if clinicID == 0 {
				clinicID = r.Home.Int64
			}
			if err := s.notify.Mail(ctx, tx, mail.Args{What: mail.SignInAfterReset, ClinicID: clinicID, UserID: u.ID,
				When: tx.Now(), Self: !r.ByClinic.Valid}); err != nil {
				return err
			}
		}
		clear := !viaReset && r.At.Valid
		if clear && r.ByClinic.Valid {
			notice = &ResetNotice{At: r.At.Time, Clinic: r.Name.String, Zone: r.Zone.String}
			detail["reset_notice_shown"] = true
		}
		// Only when there is something to clear: an ordinary sign-in
		// writes no user row.
		if _, err := tx.ExecContext(ctx, `UPDATE users SET reset_mail_due = false,
				reset_at = CASE WHEN $2 THEN NULL ELSE reset_at END,
				reset_by_clinic = CASE WHEN $2 THEN NULL ELSE reset_by_clinic END
				WHERE id = $1 AND (reset_mail_due OR ($2 AND (reset_at IS NOT NULL OR reset_by_clinic IS NOT NULL)))`, u.ID, clear); err != nil {
			return err
		}
		a.UserID = u.ID
		return security.LogAccountEvent(ctx, tx, s.audit, a, u.ID, audit.Event{Action: "login", ObjectType: "user", ObjectID: u.ID, Detail: detail})
	})
	return notice, err
}
