package security

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/notify"
)

// TOTP parameters (RFC 6238 defaults every authenticator app understands).
const (
	period        = 30
	skew          = 1 // steps either side accepted for clock drift
	recoveryCount = 10
	issuer        = "Mend"
)

// MFA is the TOTP second factor.
type MFA struct {
	db    *sqlx.DB
	audit *audit.Logger
	aead  cipher.AEAD
	mac   []byte
	now   func() time.Time
	guard *Guard
	// Notify mails "two-factor was turned off" (nil: no mail).
	Notify *notify.Service
}

// NewMFA derives the encryption and recovery-code keys from the server's
// secret key (MEND_SECRET_KEY) with HKDF-SHA-256.
func NewMFA(d *sqlx.DB, al *audit.Logger, secretKey []byte) (*MFA, error) {
	ek, err := hkdf.Key(sha256.New, secretKey, nil, "mend totp secret encryption v1", 32)
	if err != nil {
		return nil, err
	}
	mk, err := hkdf.Key(sha256.New, secretKey, nil, "mend recovery code hash v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(ek)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &MFA{db: d, audit: al, aead: aead, mac: mk, now: time.Now, guard: NewGuard(d)}, nil
}

func (m *MFA) seal(userID int64, secret string) []byte {
	nonce := make([]byte, m.aead.NonceSize())
	rand.Read(nonce)
	return m.aead.Seal(nonce, nonce, []byte(secret), []byte(strconv.FormatInt(userID, 10)))
}

func (m *MFA) open(userID int64, enc []byte) (string, error) {
	ns := m.aead.NonceSize()
	if len(enc) < ns {
		return "", errors.New("totp secret: too short")
	}
	p, err := m.aead.Open(nil, enc[:ns], enc[ns:], []byte(strconv.FormatInt(userID, 10)))
	if err != nil {
		return "", fmt.Errorf("totp secret: %w", err)
	}
	return string(p), nil
}

// Enabled reports whether the user has confirmed a TOTP authenticator.
func (m *MFA) Enabled(ctx context.Context, userID int64) (bool, error) {
	var ok bool
	err := m.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)`, userID)
	return ok, err
}

// Enrolment is what the enrol page shows.
type Enrolment struct {
	Secret string // base32, for typing in by hand
	QR     string // data: URL of a PNG QR code
	URL    string // otpauth:// URL
}

// Pending returns the user's unconfirmed secret, creating one when there is
// none. Confirmed users get an error.
func (m *MFA) Pending(ctx context.Context, userID int64, email string) (Enrolment, error) {
	var row struct {
		Enc       []byte       `db:"secret_enc"`
		Confirmed sql.NullTime `db:"confirmed_at"`
	}
	err := m.db.GetContext(ctx, &row, `SELECT secret_enc, confirmed_at FROM user_totp WHERE user_id = $1`, userID)
	var secret string
	switch {
	case errors.Is(err, sql.ErrNoRows):
		key, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: email, Period: period})
		if err != nil {
			return Enrolment{}, err
		}
		secret = key.Secret()
		if _, err := m.db.ExecContext(ctx, `INSERT INTO user_totp (user_id, secret_enc) VALUES ($1, $2)
			ON CONFLICT (user_id) DO NOTHING`, userID, m.seal(userID, secret)); err != nil {
			return Enrolment{}, err
		}
		return m.Pending(ctx, userID, email) // re-read: a concurrent request may have won
	case err != nil:
		return Enrolment{}, err
	case row.Confirmed.Valid:
		return Enrolment{}, errors.New("two-factor is already enabled")
	}
	if secret, err = m.open(userID, row.Enc); err != nil {
		return Enrolment{}, err
	}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + email,
		RawQuery: url.Values{"secret": {secret}, "issuer": {issuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"}}.Encode()}
	key, err := otp.NewKeyFromURL(u.String())
	if err != nil {
		return Enrolment{}, err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: secret, URL: u.String(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ErrBadCode is the answer to a wrong, expired or reused code.
var ErrBadCode = apperr.New(apperr.Invalid, "The code is not correct or was already used. Enter the current code from your app.")

// matchStep returns the time step (> last) whose code equals code, or 0.
func (m *MFA) matchStep(secret, code string, last int64) int64 {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0
	}
	now := m.now().Unix() / period
	for s := now - skew; s <= now+skew; s++ {
		if s <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*period, 0), totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s
		}
	}
	return 0
}

// Confirm checks the first code from the user's app, turns two-factor on
// and returns the recovery codes (shown once).
func (m *MFA) Confirm(ctx context.Context, a actor.Actor, code string) ([]string, error) {
	var codes []string
	err := db.InTx(ctx, m.db, func(tx *db.Tx) error {
		var row struct {
			Enc       []byte       `db:"secret_enc"`
			Confirmed sql.NullTime `db:"confirmed_at"`
			Last      int64        `db:"last_step"`
		}
		err := tx.GetContext(ctx, &row, `SELECT secret_enc, confirmed_at, last_step FROM user_totp WHERE user_id = $1 FOR UPDATE`, a.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBadCode
		}
		if err != nil {
			return err
		}
		if row.Confirmed.Valid {
			return errors.New("two-factor is already enabled")
		}
		secret, err := m.open(a.UserID, row.Enc)
		if err != nil {
			return err
		}
		step := m.matchStep(secret, code, row.Last)
		if step == 0 {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE user_totp SET confirmed_at = now(), last_step = $2 WHERE user_id = $1`, a.UserID, step); err != nil {
			return err
		}
		if codes, err = m.newRecoveryCodes(ctx, tx, a.UserID); err != nil {
			return err
		}
		return LogAccountEvent(ctx, tx, m.audit, a, a.UserID, audit.Event{Action: "mfa.enrol", ObjectType: "user", ObjectID: a.UserID})
	})
	return codes, err
}

func (m *MFA) newRecoveryCodes(ctx context.Context, tx *db.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, err
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes := make([]string, recoveryCount)
	for i := range codes {
		b := make([]byte, 10)
		rand.Read(b)
		s := strings.ToLower(enc.EncodeToString(b)) // 16 characters, 80 bits
		codes[i] = s[:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)`, userID, m.codeHash(userID, codes[i])); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

func (m *MFA) codeHash(userID int64, code string) []byte {
	c := strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := hmac.New(sha256.New, m.mac)
	fmt.Fprintf(h, "%d:%s", userID, c)
	return h.Sum(nil)
}

// Verify checks a sign-in's second factor: a current TOTP code (each time
// step is accepted once) or an unused recovery code (used up). Failures
// (login.mfa_failed) and recovery code use are audited; a failure returns
// ErrBadCode.
func (m *MFA) Verify(ctx context.Context, a actor.Actor, code string) error {
	return m.VerifyFor(ctx, a, code, "login.mfa_failed")
}

// VerifyFor is Verify for another purpose than a sign-in (a password
// reset): a wrong code is audited as failedAction. The events are about
// the account, so every clinic it belongs to sees them.
func (m *MFA) VerifyFor(ctx context.Context, a actor.Actor, code, failedAction string) error {
	var row struct {
		Enc  []byte `db:"secret_enc"`
		Last int64  `db:"last_step"`
	}
	err := m.db.GetContext(ctx, &row, `SELECT secret_enc, last_step FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL`, a.UserID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err == nil {
		secret, err := m.open(a.UserID, row.Enc)
		if err != nil {
			return err
		}
		if step := m.matchStep(secret, code, row.Last); step != 0 {
			res, err := m.db.ExecContext(ctx, `UPDATE user_totp SET last_step = $2 WHERE user_id = $1 AND last_step < $2`, a.UserID, step)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return nil
			}
		} else if len(strings.TrimSpace(code)) > 6 {
			used := false
			err := db.InTx(ctx, m.db, func(tx *db.Tx) error {
				res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
					a.UserID, m.codeHash(a.UserID, code))
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n != 1 {
					return nil
				}
				used = true
				return LogAccountEvent(ctx, tx, m.audit, a, a.UserID, audit.Event{Action: "recovery_code.used", ObjectType: "user", ObjectID: a.UserID})
			})
			if err != nil {
				return err
			}
			if used {
				return nil
			}
		}
	}
	if err := LogAccountEventNow(ctx, m.db, m.audit, a, a.UserID, audit.Event{Action: failedAction, ObjectType: "user", ObjectID: a.UserID}); err != nil {
		return err
	}
	return ErrBadCode
}

// ErrCodeMissing answers a request to turn two-factor off without a code.
var ErrCodeMissing = apperr.New(apperr.Invalid, "Enter the current code from your authenticator app.")

// StaffClinicRequiring names a clinic (the first by name) where the user
// is active staff (clinic admin or counselor) and which requires
// two-factor sign-in for staff; id 0 when there is none.
func StaffClinicRequiring(ctx context.Context, q sqlx.QueryerContext, userID int64) (id int64, name string, err error) {
	var c struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	err = sqlx.GetContext(ctx, q, &c, `SELECT c.id, c.name FROM clinics c JOIN memberships m ON m.clinic_id = c.id
		WHERE m.user_id = $1 AND m.active AND m.role IN ('clinic_admin', 'counselor') AND c.require_staff_mfa
		ORDER BY c.name, c.id LIMIT 1`, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return c.ID, c.Name, err
}

// Disable turns two-factor off after checking a current code. It is
// refused (Conflict, naming the clinic) while any clinic where the user is
// staff requires two-factor for staff, whichever clinic the request is
// made in. The code is throttled like a sign-in (per account and per IP):
// a locked account gets a TooMany error with "retry_after", a wrong code
// counts as a failure (audited mfa.disable_failed) and returns ErrBadCode.
func (m *MFA) Disable(ctx context.Context, a actor.Actor, code string) error {
	if id, name, err := StaffClinicRequiring(ctx, m.db, a.UserID); err != nil {
		return err
	} else if id != 0 {
		return &apperr.Error{Code: apperr.Conflict, Message: name + " requires two-factor sign-in for its staff, so it cannot be turned off.",
			Data: map[string]any{"clinic_id": id, "clinic_name": name}}
	}
	if strings.TrimSpace(code) == "" {
		return ErrCodeMissing
	}
	var email string
	if err := m.db.GetContext(ctx, &email, `SELECT email FROM users WHERE id = $1`, a.UserID); err != nil {
		return err
	}
	return m.guard.Attempt(ctx, email, a.IP, func() (Outcome, error) {
		err := m.disable(ctx, a, code)
		if errors.Is(err, ErrBadCode) {
			if err := LogAccountEventNow(ctx, m.db, m.audit, a, a.UserID, audit.Event{Action: "mfa.disable_failed", ObjectType: "user", ObjectID: a.UserID}); err != nil {
				return Failed, err
			}
			return Failed, ErrBadCode
		}
		if err != nil {
			return Failed, err
		}
		return Passed, nil
	})
}

// disable turns two-factor off when code is right (ErrBadCode if not).
func (m *MFA) disable(ctx context.Context, a actor.Actor, code string) error {
	return db.InTx(ctx, m.db, func(tx *db.Tx) error {
		var row struct {
			Enc  []byte `db:"secret_enc"`
			Last int64  `db:"last_step"`
		}
		err := tx.GetContext(ctx, &row, `SELECT secret_enc, last_step FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE`, a.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrBadCode
		}
		if err != nil {
			return err
		}
		secret, err := m.open(a.UserID, row.Enc)
		if err != nil {
			return err
		}
		if m.matchStep(secret, code, row.Last) == 0 {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_totp WHERE user_id = $1`, a.UserID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, a.UserID); err != nil {
			return err
		}
		if err := m.Notify.Mail(ctx, tx, mail.Args{What: mail.TwoFactorOff, ClinicID: a.ClinicID, UserID: a.UserID, When: tx.Now()}); err != nil {
			return err
		}
		return LogAccountEvent(ctx, tx, m.audit, a, a.UserID, audit.Event{Action: "mfa.disable", ObjectType: "user", ObjectID: a.UserID})
	})
}

// TooMany is the error for a throttled attempt: 429, with the wait in
// "retry_after" (seconds) for the Retry-After header.
func TooMany(wait time.Duration) *apperr.Error {
	return &apperr.Error{Code: apperr.TooMany, Message: RetryMessage(wait), Data: map[string]any{"retry_after": RetrySeconds(wait)}}
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (m *MFA) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := m.db.GetContext(ctx, &n, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, userID)
	return n, err
}

// MustEnrol reports whether the clinic requires two-factor for staff and
// this staff member has none yet.
func (m *MFA) MustEnrol(ctx context.Context, clinicID, userID int64) (bool, error) {
	var must bool
	err := m.db.GetContext(ctx, &must, `SELECT c.require_staff_mfa AND NOT EXISTS (
		SELECT 1 FROM user_totp t WHERE t.user_id = $2 AND t.confirmed_at IS NOT NULL)
		FROM clinics c WHERE c.id = $1`, clinicID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return must, err
}

func itoa(n int) string { return strconv.Itoa(n) }
