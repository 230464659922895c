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
	"github.com/mend-clinic/mend/internal/notify"
)

// InvitationTTL is how long an invitation link stays valid.
const InvitationTTL = 7 * 24 * time.Hour

// Invitation is a freshly issued invitation: Token is the only copy of the
// secret (the database keeps its hash) and is shown once to the admin.
type Invitation struct {
	ID        int64     `json:"-"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Email     string    `json:"-"`
	Name      string    `json:"-"`
	Role      string    `json:"-"`
	PartnerID int64     `json:"-"`
	CoupleID  int64     `json:"-"`
	UserID    int64     `json:"-"`
}

// InvitationStatus is the state of the latest invitation (for admin views).
type InvitationStatus struct {
	ID        int64     `db:"id" json:"id"`
	State     string    `db:"state" json:"state"` // pending, accepted, expired, revoked
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

const stateExpr = `CASE WHEN accepted_at IS NOT NULL THEN 'accepted' WHEN revoked_at IS NOT NULL THEN 'revoked'
	WHEN expires_at <= now() THEN 'expired' ELSE 'pending' END`

func (s *Service) partnerInvitation(ctx context.Context, clinicID, partnerID int64) (*InvitationStatus, error) {
	var st InvitationStatus
	err := s.db.GetContext(ctx, &st, `SELECT id, `+stateExpr+` AS state, created_at, expires_at FROM invitations
		WHERE partner_id = $1 AND clinic_id = $2 ORDER BY id DESC LIMIT 1`, partnerID, clinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &st, err
}

// issue stores a new invitation inside tx and returns it with its token.
func (s *Service) issue(ctx context.Context, tx *db.Tx, a actor.Actor, inv Invitation) (Invitation, error) {
	inv.Token = auth.NewToken()
	var row struct {
		ID        int64     `db:"id"`
		ExpiresAt time.Time `db:"expires_at"`
	}
	err := tx.GetContext(ctx, &row, `INSERT INTO invitations (clinic_id, token_hash, email, name, role, partner_id, user_id, created_by, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9 * interval '1 second') RETURNING id, expires_at`,
		a.ClinicID, s.hasher.Hash(inv.Token), inv.Email, inv.Name, inv.Role, nullID(inv.PartnerID), nullID(inv.UserID), nullID(a.UserID),
		int64(InvitationTTL/time.Second))
	if err != nil {
		return inv, err
	}
	inv.ID, inv.ExpiresAt = row.ID, row.ExpiresAt
	role := ""
	if inv.Role == actor.RoleCounselor {
		role = "a counselor"
	} else if inv.Role == actor.RoleAdmin {
		role = "an administrator"
	}
	if err := s.notify.Mail(ctx, tx, mail.Args{What: mail.Invitation, ClinicID: a.ClinicID, To: inv.Email, Name: inv.Name,
		Link: "/invitations/" + inv.Token, Expires: inv.ExpiresAt, Role: role}); err != nil {
		return inv, err
	}
	detail := map[string]any{"role": inv.Role}
	if inv.PartnerID != 0 {
		detail["partner_id"] = inv.PartnerID
	}
	return inv, s.audit.Log(ctx, tx, a, audit.Event{Action: "invitation.create", ObjectType: "invitation", ObjectID: inv.ID,
		CoupleID: inv.CoupleID, Detail: detail})
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

type invRow struct {
	ID         int64         `db:"id"`
	ClinicID   int64         `db:"clinic_id"`
	ClinicName string        `db:"clinic_name"`
	Email      string        `db:"email"`
	Name       string        `db:"name"`
	Role       string        `db:"role"`
	PartnerID  sql.NullInt64 `db:"partner_id"`
	UserID     sql.NullInt64 `db:"user_id"`
	CoupleID   sql.NullInt64 `db:"couple_id"`
	CoupleOpen sql.NullBool  `db:"couple_open"`
	ExpiresAt  time.Time     `db:"expires_at"`
	Accepted   bool          `db:"accepted"`
	Revoked    bool          `db:"revoked"`
}

const invSelect = `SELECT i.id, i.clinic_id, cl.name AS clinic_name, i.email, i.name, i.role, i.partner_id, i.user_id,
	p.couple_id, co.status <> 'closed' AS couple_open, i.expires_at, i.accepted_at IS NOT NULL AS accepted, i.revoked_at IS NOT NULL AS revoked
	FROM invitations i JOIN clinics cl ON cl.id = i.clinic_id LEFT JOIN partners p ON p.id = i.partner_id
	LEFT JOIN couples co ON co.id = p.couple_id`

// Reissue revokes the invitation's pending siblings and issues a new one
// with the same recipient (resend). An accepted invitation cannot be resent.
func (s *Service) Reissue(ctx context.Context, a actor.Actor, invitationID int64) (Invitation, error) {
	var out Invitation
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var r invRow
		err := tx.GetContext(ctx, &r, invSelect+` WHERE i.id = $1 AND i.clinic_id = $2 FOR UPDATE OF i`, invitationID, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoInvitation
		}
		if err != nil {
			return err
		}
		if r.Accepted {
			return apperr.New(apperr.Conflict, "This invitation was already accepted.")
		}
		if r.PartnerID.Valid {
			return s.reissuePartner(ctx, tx, a, r.CoupleID.Int64, r.PartnerID.Int64, &out)
		}
		if err := s.revokePending(ctx, tx, a, `lower(email) = lower($2) AND role = $3 AND partner_id IS NULL`, r.Email, r.Role); err != nil {
			return err
		}
		out, err = s.issue(ctx, tx, a, Invitation{Email: r.Email, Name: r.Name, Role: r.Role, UserID: r.UserID.Int64})
		return err
	})
	return out, err
}

var errNoInvitation = apperr.New(apperr.NotFound, "We could not find that invitation.")

// revokePending revokes the clinic's pending invitations matching cond
// (cond uses $1 for the clinic and $2... for args).
func (s *Service) revokePending(ctx context.Context, tx *db.Tx, a actor.Actor, cond string, args ...any) error {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `UPDATE invitations SET revoked_at = now()
		WHERE clinic_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND `+cond+` RETURNING id`,
		append([]any{a.ClinicID}, args...)...); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "invitation.revoke", ObjectType: "invitation", ObjectID: id}); err != nil {
			return err
		}
	}
	return nil
}

// ReissuePartner issues a new invitation to a partner who has not joined
// yet, revoking the earlier ones.
func (s *Service) ReissuePartner(ctx context.Context, a actor.Actor, coupleID, partnerID int64) (Invitation, error) {
	var out Invitation
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		return s.reissuePartner(ctx, tx, a, coupleID, partnerID, &out)
	})
	return out, err
}

func (s *Service) reissuePartner(ctx context.Context, tx *db.Tx, a actor.Actor, coupleID, partnerID int64, out *Invitation) error {
	var p struct {
		Name   string        `db:"name"`
		Email  string        `db:"email"`
		UserID sql.NullInt64 `db:"user_id"`
		Status string        `db:"status"`
	}
	err := tx.GetContext(ctx, &p, `SELECT p.name, p.email, p.user_id, c.status FROM partners p JOIN couples c ON c.id = p.couple_id
		WHERE p.id = $1 AND p.couple_id = $2 AND p.clinic_id = $3 AND c.clinic_id = $3 FOR UPDATE OF p`, partnerID, coupleID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.New(apperr.NotFound, "We could not find that partner.")
	}
	if err != nil {
		return err
	}
	if p.UserID.Valid {
		return apperr.New(apperr.Conflict, "This partner has already joined.")
	}
	if p.Status == StatusClosed {
		return apperr.New(apperr.Conflict, "This couple is closed. Reopen it before inviting a partner again.")
	}
	if err := s.revokePending(ctx, tx, a, `partner_id = $2`, partnerID); err != nil {
		return err
	}
	inv, err := s.issue(ctx, tx, a, Invitation{Email: p.Email, Name: p.Name, Role: actor.RoleClient, PartnerID: partnerID, CoupleID: coupleID})
	*out = inv
	return err
}

// RevokeInvitation revokes a pending invitation.
func (s *Service) RevokeInvitation(ctx context.Context, a actor.Actor, invitationID int64) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var r invRow
		err := tx.GetContext(ctx, &r, invSelect+` WHERE i.id = $1 AND i.clinic_id = $2 FOR UPDATE OF i`, invitationID, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoInvitation
		}
		if err != nil {
			return err
		}
		if r.Accepted {
			return apperr.New(apperr.Conflict, "This invitation was already accepted.")
		}
		if r.Revoked {
			return nil
		}
		return s.revokePending(ctx, tx, a, `id = $2`, invitationID)
	})
}

// InvitationInfo is what the accept page shows.
type InvitationInfo struct {
	ClinicID   int64
	ClinicName string
	Role       string
	Name       string
	Email      string
	// HasAccount: the email already has a Mend account (AccountID). It
	// accepts only while signed in as that account: the accept path never
	// checks a password, so sign-in keeps its throttle and two-factor.
	HasAccount bool
	AccountID  int64
}

var errBadLink = apperr.New(apperr.NotFound, "This invitation link is not valid. Check that you copied the whole link, or ask your clinic for a new one.")

func (s *Service) lookup(ctx context.Context, q sqlx.QueryerContext, token string, lock bool) (invRow, error) {
	var r invRow
	if token == "" || len(token) > 100 {
		return r, errBadLink
	}
	sqlq := invSelect + ` WHERE i.token_hash = $1`
	if lock {
		sqlq += ` FOR UPDATE OF i`
	}
	err := sqlx.GetContext(ctx, q, &r, sqlq, s.hasher.Hash(token))
	if errors.Is(err, sql.ErrNoRows) {
		return r, errBadLink
	}
	if err != nil {
		return r, err
	}
	switch {
	case r.Accepted:
		return r, apperr.New(apperr.Gone, "This invitation has already been used. Sign in with your email and password instead.")
	case r.Revoked:
		return r, apperr.New(apperr.Gone, "This invitation was withdrawn by the clinic. Ask them for a new one if you still need it.")
	case !r.ExpiresAt.After(db.Now(q)):
		return r, apperr.New(apperr.Gone, "This invitation has expired (links are valid for 7 days). Ask your clinic to send a new one.")
	case r.CoupleOpen.Valid && !r.CoupleOpen.Bool:
		return r, apperr.New(apperr.Gone, "This invitation is no longer valid: the clinic has closed this couple's file. Ask them if you think this is a mistake.")
	}
	return r, nil
}

// InvitationByToken checks a link and describes it.
func (s *Service) InvitationByToken(ctx context.Context, token string) (InvitationInfo, error) {
	r, err := s.lookup(ctx, s.db, token, false)
	if err != nil {
		return InvitationInfo{}, err
	}
	var uid int64
	err = s.db.GetContext(ctx, &uid, `SELECT id FROM users WHERE lower(email) = lower($1)`, r.Email)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return InvitationInfo{}, err
	}
	return InvitationInfo{ClinicID: r.ClinicID, ClinicName: r.ClinicName, Role: r.Role, Name: r.Name, Email: r.Email,
		HasAccount: uid != 0, AccountID: uid}, nil
}

// Acceptance is what the invitee submits.
type Acceptance struct {
	// Name, Password and Confirm choose a new account's name and password
	// (they are ignored for an email that already has an account).
	Name     string
	Password string
	Confirm  string
	// RequireConfirm: the page asks for the password twice (the API does not).
	RequireConfirm bool
	// SignedIn is the user the request is signed in as (0: anonymous). An
	// email that already has an account accepts only as that account.
	SignedIn int64
}

// Errors of Accept for an email that already has a Mend account.
var (
	// ErrSignInToAccept: the request is not signed in.
	ErrSignInToAccept = &apperr.Error{Code: apperr.Conflict,
		Message: "This invitation is for an existing Mend account: sign in as that account, then accept.",
		Data:    map[string]any{"existing_account": true}}
	// ErrOtherAccount: the request is signed in as someone else.
	ErrOtherAccount = &apperr.Error{Code: apperr.Conflict,
		Message: "This invitation is for a different Mend account than the one you are signed in as. Sign out, then sign in as the invited account to accept it.",
		Data:    map[string]any{"existing_account": true}}
)

// Accept uses the invitation: it creates the account, or, for an email
// that already has one, adds the membership when the request is signed in
// as that very account (ErrSignInToAccept or ErrOtherAccount otherwise: no
// password is ever checked here, so guessing one through an invitation
// link is impossible). It links the partner and marks the invitation used,
// and returns the user (to sign in, for a new account).
func (s *Service) Accept(ctx context.Context, a actor.Actor, token string, in Acceptance) (account.User, error) {
	var u account.User
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, err := s.lookup(ctx, tx, token, true)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &u, `SELECT `+account.UserColumns+` FROM users WHERE lower(email) = lower($1) FOR UPDATE`, r.Email)
		existing := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if existing {
			switch {
			case in.SignedIn == 0:
				return ErrSignInToAccept
			case in.SignedIn != u.ID:
				return ErrOtherAccount
			case !u.Active:
				return apperr.New(apperr.Conflict, "The Mend account for this email is disabled. Ask your clinic for help.")
			}
		} else {
			fields := map[string]string{}
			name, err := account.CheckName(in.Name)
			if err != nil {
				fields["name"] = apperr.Message(err)
			}
			if err := auth.CheckPassword(in.Password, r.Email, name); err != nil {
				fields["password"] = err.Error()
			} else if in.RequireConfirm && in.Confirm != in.Password {
				fields["confirm"] = "The two passwords do not match."
			}
			if len(fields) > 0 {
				return apperr.Fields("Please correct the highlighted fields.", fields)
			}
			hash, err := auth.HashPassword(in.Password)
			if err != nil {
				return err
			}
			if err := tx.GetContext(ctx, &u, `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
				RETURNING `+account.UserColumns, strings.ToLower(r.Email), name, hash); err != nil {
				return err
			}
		}
		var off bool
		if err := tx.GetContext(ctx, &off, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND clinic_id = $2
			AND role = $3 AND NOT active)`, u.ID, r.ClinicID, r.Role); err != nil {
			return err
		}
		if off { // an old link must not undo a deactivation
			return apperr.New(apperr.Conflict, "Your access to %s was switched off. Ask the clinic to reactivate it.", r.ClinicName)
		}
		// A client is never also staff of the same clinic: a link issued
		// before the other role existed must not join the two.
		if r.Role == actor.RoleClient {
			var staff bool
			if err := tx.GetContext(ctx, &staff, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND clinic_id = $2
				AND active AND role IN ('clinic_admin', 'counselor'))`, u.ID, r.ClinicID); err != nil {
				return err
			}
			if staff {
				return apperr.New(apperr.Conflict, "This account is staff of %s, so it cannot also be a client there. Ask the clinic to invite another address.", r.ClinicName)
			}
		} else if client, err := clientOf(ctx, tx, r.ClinicID, r.Email); err != nil {
			return err
		} else if client {
			return apperr.New(apperr.Conflict, "This address belongs to a client of %s, so it cannot also be staff there. Ask the clinic for help.", r.ClinicName)
		}
		if err := account.AddMembership(ctx, tx, u.ID, r.ClinicID, r.Role); err != nil {
			return err
		}
		if r.PartnerID.Valid {
			res, err := tx.ExecContext(ctx, `UPDATE partners SET user_id = $1 WHERE id = $2 AND user_id IS NULL`, u.ID, r.PartnerID.Int64)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.New(apperr.Gone, "This partner place has already been taken. Ask your clinic for help.")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = now(), user_id = $1 WHERE id = $2`, u.ID, r.ID); err != nil {
			return err
		}
		a.UserID, a.ClinicID = u.ID, r.ClinicID
		if !existing {
			if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
				Detail: map[string]any{"role": r.Role, "invitation_id": r.ID}}); err != nil {
				return err
			}
		}
		if r.Role == actor.RoleCounselor {
			admins, err := notify.Admins(ctx, tx, r.ClinicID)
			if err != nil {
				return err
			}
			if err := s.notify.Tell(ctx, tx, notify.Event{Kind: notify.CounselorJoined, ClinicID: r.ClinicID, ActorID: u.ID, Who: u.Name},
				admins...); err != nil {
				return err
			}
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "invitation.accept", ObjectType: "invitation", ObjectID: r.ID,
			CoupleID: r.CoupleID.Int64, Detail: map[string]any{"role": r.Role, "user_id": u.ID, "existing_account": existing}})
	})
	return u, err
}
