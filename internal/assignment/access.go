package assignment

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
)

// access is the caller's relation to one couple. A person may hold several
// (an admin who also counsels); each grants only what it grants.
type access struct {
	CoupleID     int64  `db:"couple_id"`
	CoupleLabel  string `db:"label"`
	CoupleStatus string `db:"status"`
	CounselorID  int64  `db:"counselor_id"`
	// Filled from the actor:
	Counselor bool  // the couple's own counselor
	Admin     bool  // clinic admin: statuses and dates only
	PartnerID int64 // the caller's partner row, when the caller is one of the couple
	OtherID   int64 // the other partner's row
	PartnerA  int64
	PartnerB  int64
	Names     map[int64]string // partner id → name
	// Clinic is the clinic's zone: its days are the days work opens on.
	Clinic *time.Location
}

var errNotFound = apperr.New(apperr.NotFound, "We could not find that page.")

// coupleAccess loads the caller's relation to a couple in their clinic; a
// couple the caller has no relation to is "not found", never "forbidden".
func coupleAccess(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, coupleID int64) (access, error) {
	var acc access
	err := sqlx.GetContext(ctx, q, &acc, `SELECT id AS couple_id, label, status, counselor_id FROM couples
		WHERE id = $1 AND clinic_id = $2`, coupleID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return acc, errNotFound
	}
	if err != nil {
		return acc, err
	}
	var partners []struct {
		ID     int64         `db:"id"`
		Slot   string        `db:"slot"`
		Name   string        `db:"name"`
		UserID sql.NullInt64 `db:"user_id"`
	}
	if err := sqlx.SelectContext(ctx, q, &partners, `SELECT id, slot, name, user_id FROM partners WHERE couple_id = $1 ORDER BY slot`, coupleID); err != nil {
		return acc, err
	}
	acc.Names = map[int64]string{}
	for _, p := range partners {
		acc.Names[p.ID] = p.Name
		if p.Slot == "A" {
			acc.PartnerA = p.ID
		} else {
			acc.PartnerB = p.ID
		}
		if a.Has(actor.RoleClient) && p.UserID.Valid && p.UserID.Int64 == a.UserID {
			acc.PartnerID = p.ID
		}
	}
	if acc.PartnerID != 0 {
		acc.OtherID = acc.PartnerA
		if acc.PartnerID == acc.PartnerA {
			acc.OtherID = acc.PartnerB
		}
	}
	acc.Clinic = a.ClinicLoc()
	acc.Counselor = a.Has(actor.RoleCounselor) && acc.CounselorID == a.UserID
	acc.Admin = a.Has(actor.RoleAdmin)
	if !acc.Counselor && !acc.Admin && acc.PartnerID == 0 {
		return acc, errNotFound
	}
	return acc, nil
}

// mine reports whether the caller writes this response: their own, or
// their couple's joint one.
func (acc access) mine(r Response) bool {
	if acc.PartnerID == 0 {
		return false
	}
	return !r.PartnerID.Valid || r.PartnerID.Int64 == acc.PartnerID
}

// readable says which answers of a response the caller may read:
// "current" (the live draft: its author, or both partners for a joint
// response), "submitted" (the latest submitted snapshot: the counselor, or
// the other partner once shared or revealed together), or "" (none).
// revealed tells whether a reveal-together pair is complete.
func (acc access) readable(asg Assignment, r Response, revealed bool) string {
	switch {
	case acc.mine(r):
		return "current"
	case acc.PartnerID != 0: // the other partner's individual response
		if partnerReads(asg, r, revealed) {
			return "submitted"
		}
		return ""
	case acc.Counselor:
		if r.SubmittedAt.Valid {
			return "submitted"
		}
		return ""
	}
	return "" // admins never read clinical content
}

// partnerReads is the one rule for the other partner reading an individual
// response: never the safety check, never a validated measure (its answers
// and score are the author's and the counselor's; internal/measure shows
// scores by the same rule), never before it is submitted, and only
// the submission its author shared (SharedSubmissionID: a share covers the
// text that was shared, not the resubmissions after it). For "reveal
// together" the first submission is shared by the reveal itself, read once
// both partners have submitted that occurrence (sharing first would defeat
// it). partnerReadsExpr is the same rule in SQL.
func partnerReads(asg Assignment, r Response, revealed bool) bool {
	switch {
	case asg.Private || asg.Measure != "" || !r.SubmittedAt.Valid || !r.PartnerID.Valid || !r.SharedSubmissionID.Valid:
		return false
	case asg.Reveal == RevealTogether:
		return revealed
	}
	return true
}

// partnerReadsExpr is partnerReads for the other partner of r, in SQL. It
// needs the aliases r (responses), a (assignments), t and v (see privateExpr).
const partnerReadsExpr = `(r.submitted_at IS NOT NULL AND r.partner_id IS NOT NULL AND r.shared_submission_id IS NOT NULL
	AND NOT ` + privateExpr + ` AND v.measure IS NULL AND CASE
	WHEN a.reveal = 'together' THEN EXISTS (SELECT 1 FROM responses pair WHERE pair.assignment_id = r.assignment_id
		AND pair.occurs_on IS NOT DISTINCT FROM r.occurs_on AND pair.id <> r.id AND pair.submitted_at IS NOT NULL)
	ELSE true END)`

// visibleAssignment reports whether the caller may know the assignment
// exists: partners never learn of the other's private safety check.
// The partner rule comes first: a person who is both a partner of the
// couple and a staff member of the clinic (roles add up in one clinic)
// must not learn of the other partner's safety check through the staff role.
func (acc access) visibleAssignment(asg Assignment) bool {
	if acc.PartnerID != 0 && asg.Private && asg.PartnerID.Valid && asg.PartnerID.Int64 != acc.PartnerID {
		return false
	}
	if acc.Counselor || acc.Admin {
		return true
	}
	if asg.Private && asg.PartnerID.Valid && asg.PartnerID.Int64 != acc.PartnerID {
		return false
	}
	return acc.PartnerID != 0
}

// othersResponse reports whether r is the other partner's individual
// response, the caller being a partner of the couple. Of it they learn that
// it exists and its coarse state (coarseState); its text only where
// partnerReads allows; never its status, review, feedback or times.
// othersResponseSQL is the same rule in SQL.
func (acc access) othersResponse(r Response) bool {
	return acc.PartnerID != 0 && r.PartnerID.Valid && r.PartnerID.Int64 != acc.PartnerID
}

// othersResponseSQL is othersResponse for the responses alias r and the
// caller's user id placeholder: the caller is a partner of r's couple and r
// is the other partner's.
func othersResponseSQL(r, user string) string {
	return `EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = ` + r + `.couple_id AND me.user_id = ` + user + `
		AND ` + r + `.partner_id IS NOT NULL AND ` + r + `.partner_id <> me.id)`
}

// othersAssignment reports whether asg is one-partner work of the other
// partner (the caller being a partner): they see what it is and its coarse
// state only, never its instructions, due date, times, status or review
// setting; and nothing that happens to it later (a revision, a new due
// date, a withdrawal) shows. othersAssignmentSQL is the same in SQL.
func (acc access) othersAssignment(asg Assignment) bool {
	return acc.PartnerID != 0 && asg.Mode == ModeIndividual && asg.PartnerID.Valid && asg.PartnerID.Int64 != acc.PartnerID
}

// othersAssignmentSQL is othersAssignment for the assignments alias a and
// the caller's user id placeholder.
func othersAssignmentSQL(a, user string) string {
	return `EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = ` + a + `.couple_id AND me.user_id = ` + user + `
		AND ` + a + `.mode = 'individual' AND ` + a + `.partner_id <> me.id)`
}

// Coarse states: all the other partner learns of a response's progress.
const (
	StateToDo = "to_do"
	StateDone = "done"
)

// coarseState is "done" once a response was first submitted, and it never
// goes back: a revision requested is the counselor's word to the author,
// so it must not show as "to do" again.
func coarseState(r Response) string {
	if r.SubmittedAt.Valid {
		return StateDone
	}
	return StateToDo
}

// contentReader reports whether the caller may read anything clinical of
// the couple (answers, comments, the counselor's instructions): its
// counselor or a partner. An admin alone gets statuses and dates.
func (acc access) contentReader() bool {
	return acc.Counselor || acc.PartnerID != 0
}

// privateExpr is the safety-check flag of an assignment: private if the
// pinned version or the template is. The template row follows the latest
// version, so an edit that unsets the flag must not expose work assigned
// under a private version (and a flag set later hides older work too).
// It needs the aliases t (exercise_templates) and v (template_versions).
const privateExpr = `(t.private_to_counselor OR v.private_to_counselor)`
