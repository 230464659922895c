package clinic

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/paging"
)

// Counselor is a line of the counselors list: a member (ID set) or a
// pending invitation (InvitationID set, Status "invited").
type Counselor struct {
	ID           int64      `db:"id" json:"id,omitempty"`
	InvitationID int64      `db:"invitation_id" json:"invitation_id,omitempty"`
	Name         string     `db:"name" json:"name"`
	Email        string     `db:"email" json:"email"`
	Status       string     `db:"status" json:"status"` // active, invited, deactivated
	Couples      int        `db:"couples" json:"couples"`
	Awaiting     int        `db:"awaiting_review" json:"awaiting_review"`
	Overdue      int        `db:"overdue" json:"overdue"`
	Since        time.Time  `db:"since" json:"since"`
	ExpiresAt    *time.Time `db:"expires_at" json:"invitation_expires_at,omitempty"`
	Expired      bool       `db:"expired" json:"invitation_expired,omitempty"`
}

var counselorMembers = `SELECT u.id, 0 AS invitation_id, u.name, u.email,
	CASE WHEN m.active AND u.active THEN 'active' ELSE 'deactivated' END AS status,
	(SELECT count(*) FROM couples c WHERE c.clinic_id = m.clinic_id AND c.counselor_id = u.id AND c.status <> 'closed') AS couples,
	(SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id
		JOIN assignments a ON a.id = r.assignment_id
		WHERE c.clinic_id = m.clinic_id AND c.counselor_id = u.id AND ` + assignment.WaitsForReviewSQL("r", "a") + `) AS awaiting_review,
	(SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id AND r.due_at < now()
		AND r.status IN ('draft', 'revision_requested')
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
		WHERE c.clinic_id = m.clinic_id AND c.counselor_id = u.id AND c.status = 'active') AS overdue,
	m.created_at AS since, NULL::timestamptz AS expires_at, false AS expired
	FROM memberships m JOIN users u ON u.id = m.user_id
	WHERE m.clinic_id = $1 AND m.role = 'counselor'`

// Counselors lists the clinic's counselors and pending counselor
// invitations (not yet accepted nor revoked; expired ones are flagged),
// all of them (for pages and pickers; capped at 1000).
func (s *Service) Counselors(ctx context.Context, a actor.Actor) ([]Counselor, error) {
	p, err := s.CounselorPage(ctx, a, 1000, "")
	return p.Items, err
}

// CounselorList is one page of counselors.
type CounselorList struct {
	Items []Counselor
	Next  string
}

type counselorCursor struct {
	L string `json:"l"`
	I int64  `json:"i"`
	V int64  `json:"v"`
}

// CounselorPage pages the counselors list by (lower(name), invitation id, user id).
func (s *Service) CounselorPage(ctx context.Context, a actor.Actor, limit int, after string) (CounselorList, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	args := []any{a.ClinicID, limit + 1}
	cond := ""
	if after != "" {
		// One decoder for every list's cursor: a forged one (a NUL in the
		// name, say) is a bad request, never a database error.
		var cur counselorCursor
		if err := paging.DecodeCursor(after, &cur); err != nil {
			return CounselorList{}, err
		}
		if cur.I < 0 || cur.V < 0 || (cur.I == 0 && cur.V == 0) {
			return CounselorList{}, paging.ErrBadCursor
		}
		args = append(args, cur.L, cur.V, cur.I)
		cond = ` WHERE (lower(x.name), x.invitation_id, x.id) > ($3, $4, $5)`
	}
	out := []Counselor{}
	err := s.db.SelectContext(ctx, &out, `SELECT x.id, x.invitation_id, x.name, x.email, x.status, x.couples, x.awaiting_review,
		x.overdue, x.since, x.expires_at, x.expired FROM (`+counselorMembers+`
		UNION ALL
		SELECT 0, i.id, i.name, i.email, 'invited', 0, 0, 0, i.created_at, i.expires_at, i.expires_at <= now()
		FROM invitations i WHERE i.clinic_id = $1 AND i.role = 'counselor' AND i.accepted_at IS NULL AND i.revoked_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.clinic_id = $1 AND m.role = 'counselor' AND lower(u.email) = lower(i.email))
		) x`+cond+` ORDER BY lower(x.name), x.invitation_id, x.id LIMIT $2`, args...)
	if err != nil {
		return CounselorList{}, err
	}
	var p CounselorList
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		p.Next = paging.EncodeCursor(counselorCursor{L: strings.ToLower(last.Name), I: last.ID, V: last.InvitationID})
	}
	p.Items = out
	return p, nil
}

// Counselor returns one counselor (by user id) of the clinic.
func (s *Service) Counselor(ctx context.Context, a actor.Actor, userID int64) (Counselor, error) {
	var c Counselor
	err := s.db.GetContext(ctx, &c, counselorMembers+` AND u.id = $2`, a.ClinicID, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCounselor
	}
	return c, err
}

var errNoCounselor = apperr.New(apperr.NotFound, "We could not find that counselor.")

// InviteCounselor issues a counselor invitation (replacing a pending one
// for the same email).
func (s *Service) InviteCounselor(ctx context.Context, a actor.Actor, name, email string) (Invitation, error) {
	fields := map[string]string{}
	n, err := account.CheckName(name)
	if err != nil {
		fields["name"] = apperr.Message(err)
	}
	e, err := account.NormalizeEmail(email)
	if err != nil {
		fields["email"] = apperr.Message(err)
	}
	if len(fields) > 0 {
		return Invitation{}, apperr.Fields("Please correct the highlighted fields.", fields)
	}
	var inv Invitation
	err = db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var member sql.NullBool
		if err := tx.GetContext(ctx, &member, `SELECT bool_or(m.active) FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.clinic_id = $1 AND m.role = 'counselor' AND lower(u.email) = $2`, a.ClinicID, e); err != nil {
			return err
		}
		if member.Valid {
			msg := "This person is already a counselor here."
			if !member.Bool {
				msg = "This counselor was deactivated: reactivate them from the list instead."
			}
			return &apperr.Error{Code: apperr.Conflict, Message: msg, Fields: map[string]string{"email": msg}}
		}
		// A client is never staff of the same clinic, whether they have
		// joined yet or are only invited as a partner.
		if client, err := clientOf(ctx, tx, a.ClinicID, e); err != nil {
			return err
		} else if client {
			return &apperr.Error{Code: apperr.Conflict, Message: msgClientAsStaff, Fields: map[string]string{"email": msgClientAsStaff}}
		}
		if err := s.revokePending(ctx, tx, a, `lower(email) = $2 AND role = 'counselor'`, e); err != nil {
			return err
		}
		inv, err = s.issue(ctx, tx, a, Invitation{Email: e, Name: n, Role: actor.RoleCounselor})
		return err
	})
	return inv, err
}

// SetCounselorActive deactivates or reactivates a counselor's membership.
// A counselor with open (active or paused) couples cannot be deactivated:
// the Conflict names them. Deactivation ends the user's sessions when they
// have no other active membership.
func (s *Service) SetCounselorActive(ctx context.Context, a actor.Actor, userID int64, active bool) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var cur bool
		err := tx.GetContext(ctx, &cur, `SELECT active FROM memberships WHERE user_id = $1 AND clinic_id = $2 AND role = 'counselor' FOR UPDATE`,
			userID, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoCounselor
		}
		if err != nil {
			return err
		}
		if cur == active {
			return nil
		}
		if !active {
			var open []struct {
				ID    int64  `db:"id" json:"id"`
				Label string `db:"label" json:"label"`
			}
			if err := tx.SelectContext(ctx, &open, `SELECT id, label FROM couples WHERE clinic_id = $1 AND counselor_id = $2
				AND status IN ('active', 'paused') ORDER BY lower(label), id`, a.ClinicID, userID); err != nil {
				return err
			}
			if len(open) > 0 {
				names := make([]string, 0, 10)
				for i, c := range open {
					if i == 10 {
						names = append(names, fmt.Sprintf("and %d more", len(open)-10))
						break
					}
					names = append(names, c.Label)
				}
				return &apperr.Error{Code: apperr.Conflict,
					Message: fmt.Sprintf("Reassign this counselor's %d open couple(s) first: %s.", len(open), strings.Join(names, ", ")),
					Data:    map[string]any{"couples": open}}
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET active = $1 WHERE user_id = $2 AND clinic_id = $3 AND role = 'counselor'`,
			active, userID, a.ClinicID); err != nil {
			return err
		}
		action := "counselor.reactivate"
		if !active {
			action = "counselor.deactivate"
			var others bool
			if err := tx.GetContext(ctx, &others, `SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = $1 AND active)`, userID); err != nil {
				return err
			}
			if !others {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET sessions_valid_after = now() WHERE id = $1`, userID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, userID); err != nil {
					return err
				}
			}
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: action, ObjectType: "user", ObjectID: userID})
	})
}
