package clinic

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/security"
)

// PasswordResetTTL is how long a password-reset link stays valid.
const PasswordResetTTL = 24 * time.Hour

// PasswordReset is a freshly issued password-reset link: Token is the only
// copy of the secret (the database keeps its keyed hash), shown once to
// the admin who issued it.
type PasswordReset struct {
	ID        int64
	Token     string
	ExpiresAt time.Time
	UserID    int64
	Email     string
	Name      string
	CoupleID  int64 // set when issued from a couple's page
}

// IssueCounselorReset issues a password-reset link for a counselor of the
// admin's clinic (userID is the counselor's user id). Anything but an
// active counselor of this clinic is NotFound or Conflict.
func (s *Service) IssueCounselorReset(ctx context.Context, a actor.Actor, userID int64) (PasswordReset, error) {
	var out PasswordReset
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var active bool
		err := tx.GetContext(ctx, &active, `SELECT m.active AND u.active FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.user_id = $1 AND m.clinic_id = $2 AND m.role = 'counselor' FOR UPDATE OF m`, userID, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoCounselor
		}
		if err != nil {
			return err
		}
		if !active {
			return apperr.New(apperr.Conflict, "This counselor is deactivated: reactivate them before resetting their password.")
		}
		out, err = s.issueReset(ctx, tx, a, userID, 0)
		return err
	})
	return out, err
}

// IssuePartnerReset issues a password-reset link for a partner of one of
// the clinic's couples who has joined (accepted their invitation).
func (s *Service) IssuePartnerReset(ctx context.Context, a actor.Actor, coupleID, partnerID int64) (PasswordReset, error) {
	var out PasswordReset
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var p struct {
			UserID sql.NullInt64 `db:"user_id"`
			Member bool          `db:"member"`
		}
		err := tx.GetContext(ctx, &p, `SELECT p.user_id, EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.user_id = p.user_id AND m.clinic_id = $3 AND m.role = 'client' AND m.active AND u.active) AS member
			FROM partners p JOIN couples c ON c.id = p.couple_id
			WHERE p.id = $1 AND p.couple_id = $2 AND p.clinic_id = $3 AND c.clinic_id = $3`, partnerID, coupleID, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.New(apperr.NotFound, "We could not find that partner.")
		}
		if err != nil {
			return err
		}
		if !p.UserID.Valid {
			return apperr.New(apperr.Conflict, "This partner has not joined yet: send them an invitation instead.")
		}
		if !p.Member {
			return apperr.New(apperr.Conflict, "This partner's access to the clinic is switched off.")
		}
		out, err = s.issueReset(ctx, tx, a, p.UserID.Int64, coupleID)
		return err
	})
	return out, err
}

// issueReset revokes the user's pending reset links and issues a new one.
// An admin may not reset an account that also belongs to a clinic where
// they are not an admin: the link would open that clinic's records.
func (s *Service) issueReset(ctx context.Context, tx *db.Tx, a actor.Actor, userID, coupleID int64) (PasswordReset, error) {
	if userID == a.UserID {
		return PasswordReset{}, apperr.New(apperr.Conflict, "To change your own password, use your account security page.")
	}
	var elsewhere bool
	if err := tx.GetContext(ctx, &elsewhere, `SELECT EXISTS (SELECT 1 FROM memberships m
		WHERE m.user_id = $1 AND m.active AND m.clinic_id <> $2 AND NOT EXISTS (SELECT 1 FROM memberships x
			WHERE x.user_id = $3 AND x.clinic_id = m.clinic_id AND x.role = 'clinic_admin' AND x.active))`,
		userID, a.ClinicID, a.UserID); err != nil {
		return PasswordReset{}, err
	}
	if elsewhere {
		return PasswordReset{}, apperr.New(apperr.Conflict, "This person's Mend account also belongs to another clinic, where you are not an admin, "+
			"so a reset from here could open that clinic's records. They can change their password once signed in; otherwise an admin of "+
			"every clinic they belong to, or the operator of your Mend installation, can reset it.")
	}
	var u struct {
		Email string `db:"email"`
		Name  string `db:"name"`
	}
	if err := tx.GetContext(ctx, &u, `SELECT email, name FROM users WHERE id = $1 FOR UPDATE`, userID); err != nil {
		return PasswordReset{}, err
	}
	var revoked []int64
	if err := tx.SelectContext(ctx, &revoked, `UPDATE password_resets SET revoked_at = now()
		WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL RETURNING id`, userID); err != nil {
		return PasswordReset{}, err
	}
	for _, id := range revoked {
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "password_reset.revoke", ObjectType: "user", ObjectID: userID,
			CoupleID: coupleID, Detail: map[string]any{"reset_id": id}}); err != nil {
			return PasswordReset{}, err
		}
	}
	out := PasswordReset{Token: auth.NewToken(), UserID: userID, Email: u.Email, Name: u.Name, CoupleID: coupleID}
	var row struct {
		ID        int64     `db:"id"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	if err := tx.GetContext(ctx, &row, `INSERT INTO password_resets (clinic_id, user_id, token_hash, created_by, expires_at)
		VALUES ($1, $2, $3, $4, now() + $5 * interval '1 second') RETURNING id, expires_at`,
		a.ClinicID, userID, s.hasher.Hash(out.Token), nullID(a.UserID), int64(PasswordResetTTL/time.Second)); err != nil {
		return PasswordReset{}, err
	}
	out.ID, out.ExpiresAt = row.ID, row.ExpiresAt
	if err := s.notify.Mail(ctx, tx, mail.Args{What: mail.PasswordReset, ClinicID: a.ClinicID, UserID: userID,
		Link: "/password-reset/" + out.Token, Expires: out.ExpiresAt}); err != nil {
		return PasswordReset{}, err
	}
	return out, s.audit.Log(ctx, tx, a, audit.Event{Action: "password_reset.create", ObjectType: "user", ObjectID: userID,
		CoupleID: coupleID, Detail: map[string]any{"reset_id": out.ID}})
}

// ResetInfo is what the password-reset page shows: whose password, and
// which clinic issued the link. Nothing about their care.
type ResetInfo struct {
	ID         int64     `db:"id"`
	ClinicID   int64     `db:"clinic_id"`
	ClinicName string    `db:"clinic_name"`
	UserID     int64     `db:"user_id"`
	Email      string    `db:"email"`
	Name       string    `db:"name"`
	ExpiresAt  time.Time `db:"expires_at"`
	Used       bool      `db:"used"`
	Revoked    bool      `db:"revoked"`
	Member     bool      `db:"member"`
	// ByAdmin: an admin issued the link (not "Forgot password?").
	ByAdmin bool `db:"by_admin"`
}

var errBadResetLink = apperr.New(apperr.NotFound, "This password-reset link is not valid. Check that you copied the whole link, or ask your clinic for a new one.")

func (s *Service) resetLookup(ctx context.Context, q sqlx.QueryerContext, token string, lock bool) (ResetInfo, error) {
	var r ResetInfo
	if token == "" || len(token) > 100 {
		return r, errBadResetLink
	}
	sqlq := `SELECT r.id, r.clinic_id, cl.name AS clinic_name, r.user_id, u.email, u.name, r.expires_at, r.created_by IS NOT NULL AS by_admin,
		r.used_at IS NOT NULL AS used, r.revoked_at IS NOT NULL AS revoked,
		u.active AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = r.user_id AND m.clinic_id = r.clinic_id AND m.active) AS member
		FROM password_resets r JOIN users u ON u.id = r.user_id JOIN clinics cl ON cl.id = r.clinic_id
		WHERE r.token_hash = $1`
	if lock {
		sqlq += ` FOR UPDATE OF r`
	}
	err := sqlx.GetContext(ctx, q, &r, sqlq, s.hasher.Hash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errBadResetLink
	}
	if err != nil {
		return r, err
	}
	switch {
	case r.Used:
		return r, apperr.New(apperr.Gone, "This password-reset link has already been used. Sign in with your new password, or ask your clinic for a new link.")
	case r.Revoked:
		return r, apperr.New(apperr.Gone, "This password-reset link was replaced by a newer one or withdrawn. Use the latest link your clinic sent you.")
	case !r.ExpiresAt.After(db.Now(q)):
		return r, apperr.New(apperr.Gone, "This password-reset link has expired. Ask for a new one with \"Forgot password?\" on the sign-in page, or ask your clinic.")
	case !r.Member:
		return r, apperr.New(apperr.Gone, "This password-reset link is no longer valid. Ask your clinic if you think this is a mistake.")
	}
	return r, nil
}

// ResetByToken checks a password-reset link and describes it.
func (s *Service) ResetByToken(ctx context.Context, token string) (ResetInfo, error) {
	return s.resetLookup(ctx, s.db, token, false)
}

// ResetInput is what the person submits on the reset page.
type ResetInput struct {
	Password string
	Confirm  string
	// RequireConfirm: the page asks for the password twice (the API does not).
	RequireConfirm bool
	// Code is a current TOTP code or a recovery code, required when the
	// account has two-factor sign-in: a reset never bypasses it.
	Code string
	MFA  *security.MFA
}

// ErrResetBadCode answers a wrong two-factor code on the reset page.
var ErrResetBadCode = &apperr.Error{Code: apperr.Unauthorized, Message: "The two-factor code is not correct or was already used.",
	Fields: map[string]string{"code": "The code is not correct or was already used. Enter the current code from your app, or a recovery code."},
	Data:   map[string]any{"mfa_required": true}}

// UsePasswordReset sets a new password through a reset link. The new
// password follows the one policy; an account with two-factor must give a
// current code or a recovery code, throttled like a sign-in (per account
// and per IP; a wrong code is audited password_reset.failed and counts as
// a failure; a locked account gets TooMany). On success the link is used
// up, every other pending link of the account is revoked, every session
// and API token of the account ends (password_reset.use), and the user is
// returned to be signed in.
func (s *Service) UsePasswordReset(ctx context.Context, a actor.Actor, token string, in ResetInput) (account.User, error) {
	r, err := s.resetLookup(ctx, s.db, token, false)
	if err != nil {
		return account.User{}, err
	}
	fields := map[string]string{}
	if err := auth.CheckPassword(in.Password, r.Email, r.Name); err != nil {
		fields["password"] = err.Error()
	} else if in.RequireConfirm && in.Confirm != in.Password {
		fields["confirm"] = "The two passwords do not match."
	}
	mfaOn, err := in.MFA.Enabled(ctx, r.UserID)
	if err != nil {
		return account.User{}, err
	}
	if mfaOn && strings.TrimSpace(in.Code) == "" {
		fields["code"] = "Enter the current code from your authenticator app, or one of your recovery codes."
	}
	if len(fields) > 0 {
		return account.User{}, apperr.Fields("Please correct the highlighted fields.", fields)
	}
	a.UserID, a.ClinicID = r.UserID, r.ClinicID
	var u account.User
	err = s.guard.Attempt(ctx, r.Email, a.IP, func() (security.Outcome, error) {
		if mfaOn {
			if err := in.MFA.VerifyFor(ctx, a, in.Code, "password_reset.failed"); errors.Is(err, security.ErrBadCode) {
				return security.Failed, ErrResetBadCode
			} else if err != nil {
				return security.Failed, err
			}
		}
		var err error
		if u, err = s.usePasswordReset(ctx, a, token, in.Password, mfaOn); err != nil {
			return security.Passed, err
		}
		return security.SignedIn, nil
	})
	if err != nil {
		return account.User{}, err
	}
	return u, nil
}

// usePasswordReset sets the new password of a checked reset link, uses
// the link up and ends every session of the account, audited.
func (s *Service) usePasswordReset(ctx context.Context, a actor.Actor, token, password string, mfaOn bool) (account.User, error) {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return account.User{}, err
	}
	var u account.User
	err = db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, err := s.resetLookup(ctx, tx, token, true) // used or revoked meanwhile?
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &u, `UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1
			RETURNING `+account.UserColumns, r.UserID, hash); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = now() WHERE id = $1`, r.ID); err != nil {
			return err
		}
		// The next sign-ins are told (account.SignedIn): a mail at the
		// first, and "your clinic reset your password" at the first with
		// the password when an admin issued the link.
		var by sql.NullInt64
		if r.ByAdmin {
			by = sql.NullInt64{Int64: r.ClinicID, Valid: true}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET reset_at = now(), reset_by_clinic = $2, reset_mail_due = true WHERE id = $1`,
			r.UserID, by); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET revoked_at = now()
			WHERE user_id = $1 AND id <> $2 AND used_at IS NULL AND revoked_at IS NULL`, r.UserID, r.ID); err != nil {
			return err
		}
		if err := account.RevokeSessions(ctx, tx, r.UserID); err != nil {
			return err
		}
		return security.LogAccountEvent(ctx, tx, s.audit, a, r.UserID, audit.Event{Action: "password_reset.use", ObjectType: "user",
			ObjectID: r.UserID, Detail: map[string]any{"reset_id": r.ID, "reset_clinic_id": r.ClinicID, "two_factor": mfaOn}})
	})
	return u, err
}

// RequestReset is "Forgot password?": an active account with an active
// membership gets a reset link by mail (issued by nobody: created_by is
// empty, the clinic is the account's first). The caller answers the same
// whatever happened, so the answer never says whether an account exists;
// requests are throttled like sign-ins, per address and per IP, on a
// counter of their own (asking for resets never locks anyone out of
// signing in).
func (s *Service) RequestReset(ctx context.Context, a actor.Actor, email string) error {
	e, err := account.NormalizeEmail(email)
	if err != nil {
		return apperr.Fields("Please correct the highlighted fields.", map[string]string{"email": err.Error()})
	}
	// Every request counts against the limit (Failed, whatever happened).
	return s.guard.Attempt(ctx, "reset-request:"+e, a.IP, func() (security.Outcome, error) {
		return security.Failed, s.requestReset(ctx, a, e)
	})
}

// requestReset issues and mails a reset link to the active account of
// email e, if there is one.
func (s *Service) requestReset(ctx context.Context, a actor.Actor, e string) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var u struct {
			ID       int64 `db:"id"`
			ClinicID int64 `db:"clinic_id"`
		}
		err := tx.GetContext(ctx, &u, `SELECT u.id, m.clinic_id FROM users u
			JOIN memberships m ON m.user_id = u.id AND m.active
			WHERE lower(u.email) = $1 AND u.active ORDER BY m.clinic_id LIMIT 1 FOR UPDATE OF u`, e)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // nothing to say, and the same answer
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET revoked_at = now()
			WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL`, u.ID); err != nil {
			return err
		}
		token := auth.NewToken()
		var row struct {
			ID        int64     `db:"id"`
			ExpiresAt time.Time `db:"expires_at"`
		}
		if err := tx.GetContext(ctx, &row, `INSERT INTO password_resets (clinic_id, user_id, token_hash, expires_at)
			VALUES ($1, $2, $3, now() + $4 * interval '1 second') RETURNING id, expires_at`,
			u.ClinicID, u.ID, s.hasher.Hash(token), int64(SelfResetTTL/time.Second)); err != nil {
			return err
		}
		if err := s.notify.Mail(ctx, tx, mail.Args{What: mail.PasswordReset, ClinicID: u.ClinicID, UserID: u.ID, Self: true,
			Link: "/password-reset/" + token, Expires: row.ExpiresAt}); err != nil {
			return err
		}
		a.UserID = 0 // asked anonymously: the event names the account, not an actor
		return security.LogAccountEvent(ctx, tx, s.audit, a, u.ID, audit.Event{Action: "password_reset.request", ObjectType: "user",
			ObjectID: u.ID, Detail: map[string]any{"reset_id": row.ID}})
	})
}

// SelfResetTTL is how long a link asked for with "Forgot password?" works:
// shorter than an admin's, since it travels only by mail.
const SelfResetTTL = 2 * time.Hour
