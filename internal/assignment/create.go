package assignment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/tz"
)

// NewAssignment is what a counselor asks for.
type NewAssignment struct {
	TemplateID   int64      `json:"template_id"`
	Mode         string     `json:"mode"`
	PartnerID    int64      `json:"partner_id"`
	Reveal       string     `json:"reveal"`
	ReplyTo      int64      `json:"reply_to"`
	DueAt        *time.Time `json:"due_at"`
	Instructions string     `json:"instructions"`
	// ReviewBeforeSharing: the authors share only once the counselor has
	// accepted (one-partner and each-partner exercises, not revealed
	// together).
	ReviewBeforeSharing bool `json:"review_before_sharing"`
	Recurrence          *struct {
		Every string `json:"every"`
		Until string `json:"until"`
	} `json:"recurrence"`
	// SessionID ties the work to a session it is due before (see
	// linkSession): its due time follows the session when it moves.
	SessionID int64 `json:"-"`
	// DuplicateOK: go ahead although the same recurring exercise is
	// already active for the same partner(s) (see activeDuplicate).
	DuplicateOK bool `json:"-"`
}

// templateInfo is what an assignment needs of its template.
type templateInfo struct {
	ID       int64  `db:"id"`
	Version  int    `db:"current_version"`
	Title    string `db:"title"`
	Private  bool   `db:"private_to_counselor"`
	Archived bool   `db:"archived"`
	Measure  string `db:"measure"`
	// NeedsReview is the template's setting, copied onto the assignment.
	NeedsReview bool `db:"needs_review"`
}

// visibleTemplate is the library's visibility rule for a counselor:
// built-ins, the clinic's shared templates, and their own.
const visibleTemplate = `(t.visibility = 'builtin' OR (t.clinic_id = $2 AND (t.visibility = 'clinic' OR t.owner_id = $3)))`

// Create assigns an exercise to a couple in the counselor's own caseload and
// creates its responses: one per partner (individual: the one; each: both)
// or one joint, per occurrence when it recurs.
func (s *Service) Create(ctx context.Context, a actor.Actor, coupleID int64, in NewAssignment) (Assignment, error) {
	var out Assignment
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		acc, err := coupleAccess(ctx, tx, a, coupleID)
		if err != nil {
			return err
		}
		if !acc.Counselor {
			if acc.Admin || acc.PartnerID != 0 {
				return apperr.New(apperr.Forbidden, "Only the couple's counselor can assign exercises.")
			}
			return errNotFound
		}
		if acc.CoupleStatus != "active" {
			return apperr.New(apperr.Conflict, "This couple is %s: no new assignments until it is active again.", acc.CoupleStatus)
		}
		var t templateInfo
		err = tx.GetContext(ctx, &t, `SELECT t.id, t.current_version, v.title, t.private_to_counselor, t.archived_at IS NOT NULL AS archived,
			coalesce(v.measure, '') AS measure, t.needs_review FROM exercise_templates t JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version
			WHERE t.id = $1 AND `+visibleTemplate, in.TemplateID, a.ClinicID, a.UserID)
		fields := map[string]string{}
		if errors.Is(err, sql.ErrNoRows) {
			fields["template_id"] = "Choose an exercise from the library."
		} else if err != nil {
			return err
		} else if t.Archived {
			fields["template_id"] = "This exercise is archived; choose another."
		}
		loc := a.ClinicLoc()
		occ, rec, err := s.checkNew(ctx, tx, acc, t, &in, fields, loc)
		if err != nil {
			return err
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		if in.Recurrence != nil && !in.DuplicateOK {
			if err := activeDuplicate(ctx, tx, coupleID, t, in, tz.Today(s.now(), loc), loc); err != nil {
				return err
			}
		}
		var partner, reply sql.NullInt64
		if in.Mode == ModeIndividual {
			partner = sql.NullInt64{Int64: in.PartnerID, Valid: true}
		}
		if in.ReplyTo != 0 {
			reply = sql.NullInt64{Int64: in.ReplyTo, Valid: true}
		}
		var id int64
		err = tx.GetContext(ctx, &id, `INSERT INTO assignments (clinic_id, couple_id, template_id, template_version, mode,
			partner_id, reveal, reply_to, due_at, instructions, recur_every, recur_until, next_occurs_on, created_by, review_before_sharing, needs_review)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
			a.ClinicID, coupleID, t.ID, t.Version, in.Mode, partner, in.Reveal, reply, in.DueAt, in.Instructions,
			rec.every, rec.until, rec.next, a.UserID, in.ReviewBeforeSharing, t.NeedsReview)
		if err != nil {
			return err
		}
		who := authors(in.Mode, partner, sql.NullInt64{Int64: acc.PartnerA, Valid: true}, sql.NullInt64{Int64: acc.PartnerB, Valid: true})
		made := 0
		for _, o := range occ {
			if !o.on.Valid {
				for _, p := range who {
					if _, err := tx.ExecContext(ctx, `INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, due_at)
						VALUES ($1, $2, $3, $4, $5)`, a.ClinicID, coupleID, id, p, o.due); err != nil {
						return err
					}
					made++
				}
				continue
			}
			n, err := insertOccurrence(ctx, tx, a.ClinicID, coupleID, id, who, o.on.Time, loc)
			if err != nil {
				return err
			}
			made += n
		}
		if in.SessionID != 0 {
			if err := linkSession(ctx, tx, a, id, coupleID, in.SessionID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE couples SET last_activity_at = now() WHERE id = $1`, coupleID); err != nil {
			return err
		}
		// The partners who must do it are told (a joint exercise: both).
		var authorIDs []int64
		for _, p := range who {
			if p.Valid {
				authorIDs = append(authorIDs, p.Int64)
			}
		}
		if len(authorIDs) == 0 {
			authorIDs = []int64{acc.PartnerA, acc.PartnerB}
		}
		if err := s.tell(ctx, tx, a, notify.Event{Kind: notify.WorkAssigned, CoupleID: coupleID, AssignmentID: id}, coupleID, authorIDs...); err != nil {
			return err
		}
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "assignment.create", ObjectType: "assignment", ObjectID: id,
			CoupleID: coupleID, Detail: map[string]any{"template_id": t.ID, "version": t.Version, "mode": in.Mode, "responses": made,
				"review_before_sharing": in.ReviewBeforeSharing}}); err != nil {
			return err
		}
		out, err = getAssignment(ctx, tx, a.ClinicID, id)
		return err
	})
	return out, err
}

type occurrence struct {
	on  sql.NullTime
	due sql.NullTime
}

type recurrence struct {
	every sql.NullString
	until sql.NullTime
	next  sql.NullTime // the first day still to make (NULL: none)
}

// checkNew validates a new assignment against the couple and template and
// returns the occurrences to make now: one, or for recurring work one per
// day or week from the first day through the clinic's today (loc), the
// later ones being made on their day (see occurrences.go).
func (s *Service) checkNew(ctx context.Context, tx *db.Tx, acc access, t templateInfo, in *NewAssignment, fields map[string]string, loc *time.Location) ([]occurrence, recurrence, error) {
	var rec recurrence
	var msg string
	if in.Instructions, msg = cleanText(in.Instructions, MaxInstructions); msg != "" {
		fields["instructions"] = msg
	}
	switch in.Mode {
	case ModeIndividual:
		if in.PartnerID != acc.PartnerA && in.PartnerID != acc.PartnerB || in.PartnerID == 0 {
			fields["partner_id"] = "Choose which partner this is for."
		}
	case ModeEach, ModeJoint:
		if in.PartnerID != 0 {
			fields["partner_id"] = "Only one-partner exercises name a partner."
		}
	default:
		fields["mode"] = "Choose one partner, each partner, or joint."
	}
	if t.Private && in.Mode != ModeIndividual && fields["mode"] == "" {
		fields["mode"] = "The safety check is private: it can only be assigned to one partner."
	}
	if t.Measure != "" && in.Mode == ModeJoint {
		fields["mode"] = "A measure is answered by each partner on their own: assign it to one partner or to each partner."
	}
	switch in.Reveal {
	case "":
		in.Reveal = RevealPrivate
	case RevealPrivate:
	case RevealTogether:
		if in.Mode != ModeEach {
			fields["reveal"] = "Reveal together is for each-partner exercises (each writes their own answer): untick it for one partner or joint work."
		} else if t.Private {
			fields["reveal"] = "The safety check is never revealed to the partner."
		} else if t.Measure != "" {
			fields["reveal"] = "A measure's answers are never revealed to the partner."
		}
	default:
		fields["reveal"] = "Choose private or together."
	}
	if msg := reviewBeforeSharingFits(in.ReviewBeforeSharing, in.Mode, in.Reveal, t.Private); msg != "" && fields["mode"] == "" && fields["reveal"] == "" {
		fields["review_before_sharing"] = msg
	}
	if in.ReplyTo != 0 {
		var orig struct {
			PartnerID sql.NullInt64 `db:"partner_id"`
			Submitted bool          `db:"submitted"`
			Private   bool          `db:"private_to_counselor"`
			Measure   bool          `db:"measure"`
		}
		err := tx.GetContext(ctx, &orig, `SELECT r.partner_id, r.submitted_at IS NOT NULL AS submitted, `+privateExpr+` AS private_to_counselor,
			v.measure IS NOT NULL AS measure FROM responses r JOIN assignments a ON a.id = r.assignment_id JOIN exercise_templates t ON t.id = a.template_id
			JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
			WHERE r.id = $1 AND r.couple_id = $2`, in.ReplyTo, acc.CoupleID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			fields["reply_to"] = "Choose a response of this couple to reply to."
		case err != nil:
			return nil, rec, err
		case !orig.Submitted:
			fields["reply_to"] = "A reply can only answer a submitted response."
		case orig.Private:
			fields["reply_to"] = "The safety check cannot be answered by the partner."
		case orig.Measure:
			fields["reply_to"] = "A measure's answers are never the partner's to read, so it cannot be answered."
		case !orig.PartnerID.Valid || in.Mode != ModeIndividual || in.PartnerID == orig.PartnerID.Int64:
			fields["reply_to"] = "A reply is a one-partner exercise for the other partner."
		}
	}
	now := s.now()
	if in.DueAt != nil && dueInPast(*in.DueAt, now) {
		fields["due_at"] = msgDueInPast
	}
	var due sql.NullTime
	if in.DueAt != nil {
		due = sql.NullTime{Time: *in.DueAt, Valid: true}
	}
	if in.Recurrence == nil {
		return []occurrence{{due: due}}, rec, nil
	}
	step := 0
	if e := in.Recurrence.Every; e == "day" || e == "week" || e == "four_weeks" {
		step = stepDays(e)
	}
	if step == 0 {
		fields["recurrence.every"] = "Repeat every day, every week or every four weeks."
	}
	until, err := tz.ParseDate(in.Recurrence.Until)
	if err != nil {
		fields["recurrence.until"] = "Give the last day as YYYY-MM-DD."
	}
	// Days are the clinic's: the first is the local date of the due time
	// given, or today.
	today := tz.Today(now, loc)
	start := today
	if in.DueAt != nil {
		start = tz.DateOf(*in.DueAt, loc)
	}
	if err == nil && until.Before(start) {
		fields["recurrence.until"] = "The last day is before the first."
	}
	if len(fields) > 0 {
		return nil, rec, nil
	}
	if tz.Days(start, until)/step+1 > MaxOccurrences {
		fields["recurrence.until"] = "That is more than 366 occurrences; choose an earlier last day."
		return nil, rec, nil
	}
	var occ []occurrence
	d := start
	for ; !d.After(until) && !d.After(today); d = tz.AddDays(d, step) {
		// An occurrence is due at the end of its local day (insertOccurrence).
		occ = append(occ, occurrence{on: sql.NullTime{Time: d, Valid: true}})
	}
	rec.every = sql.NullString{String: in.Recurrence.Every, Valid: true}
	rec.until = sql.NullTime{Time: until, Valid: true}
	if !d.After(until) {
		rec.next = sql.NullTime{Time: d, Valid: true}
	}
	return occ, rec, nil
}

// activeDuplicate refuses (409, the existing assignment's id in Data)
// recurring work the couple already has active from the same template for
// a partner it would reach again: the partners would get two of each day's.
func activeDuplicate(ctx context.Context, tx *db.Tx, coupleID int64, t templateInfo, in NewAssignment, today time.Time, loc *time.Location) error {
	var partner sql.NullInt64
	if in.Mode == ModeIndividual {
		partner = sql.NullInt64{Int64: in.PartnerID, Valid: true}
	}
	var dup struct {
		ID        int64          `db:"id"`
		CreatedAt time.Time      `db:"created_at"`
		Who       sql.NullString `db:"who"`
	}
	err := tx.GetContext(ctx, &dup, `SELECT a.id, a.created_at, p.name AS who FROM assignments a LEFT JOIN partners p ON p.id = a.partner_id
		WHERE a.couple_id = $1 AND a.template_id = $2 AND a.status = 'active' AND a.recur_every IS NOT NULL
		AND (a.recur_until IS NULL OR a.recur_until >= $4) AND ($3::bigint IS NULL OR a.partner_id IS NULL OR a.partner_id = $3)
		ORDER BY a.id LIMIT 1`, coupleID, t.ID, partner, today)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return err
	}
	who := "both partners"
	if dup.Who.Valid {
		who = dup.Who.String
	}
	msg := fmt.Sprintf("%s is already assigned to %s since %s.", t.Title, who, dup.CreatedAt.In(loc).Format("2 Jan 2006"))
	return &apperr.Error{Code: apperr.Conflict, Message: msg,
		Fields: map[string]string{"duplicate_ok": msg + " Tick the box to assign it again anyway."},
		Data:   map[string]any{"existing": dup.ID}}
}

const msgDueInPast = "The due date is in the past."

// dueInPast is the rule for a due date given when assigning or editing:
// up to a day back is allowed (a due date chosen in the evening for "today"
// in another zone), earlier is a mistake.
func dueInPast(due, now time.Time) bool { return due.Before(now.Add(-24 * time.Hour)) }

// reviewBeforeSharingFits says why "review before sharing" does not fit an
// exercise ("" when it does): only a partner's own answers are shared, so
// not joint work nor the safety check; a revealed-together answer is
// revealed when both have submitted, not shared.
func reviewBeforeSharingFits(on bool, mode, reveal string, private bool) string {
	switch {
	case !on:
		return ""
	case private:
		return "The safety check is never shared: there is nothing to review before."
	case mode == ModeJoint:
		return "A joint response is always both partners': there is no sharing to hold back."
	case reveal == RevealTogether:
		return "Revealed-together answers are revealed once both have submitted; choose one or the other."
	}
	return ""
}

// Change is what a counselor may edit on an assignment.
type Change struct {
	DueAt               **time.Time `json:"-"`
	Instructions        *string     `json:"-"`
	Status              *string     `json:"-"`
	ReviewBeforeSharing *bool       `json:"-"`
}

// Update edits the due date or instructions, or cancels the assignment
// (what the couple wrote is kept). A closed couple is read-only.
func (s *Service) Update(ctx context.Context, a actor.Actor, id int64, ch Change) (Assignment, error) {
	var out Assignment
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		asg, acc, err := s.loadForCounselor(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if acc.CoupleStatus == "closed" {
			return apperr.New(apperr.Conflict, "This couple is closed: its work is read-only.")
		}
		if asg.Status == StatusCancelled {
			return apperr.New(apperr.Conflict, "This assignment was withdrawn and can no longer change.")
		}
		fields := map[string]string{}
		if ch.Instructions != nil {
			var msg string
			if asg.Instructions, msg = cleanText(*ch.Instructions, MaxInstructions); msg != "" {
				fields["instructions"] = msg
			}
		}
		if ch.Status != nil && *ch.Status != StatusCancelled && *ch.Status != asg.Status {
			fields["status"] = `Only "cancelled" can be set.`
		}
		if ch.ReviewBeforeSharing != nil {
			if msg := reviewBeforeSharingFits(*ch.ReviewBeforeSharing, asg.Mode, asg.Reveal, asg.Private); msg != "" {
				fields["review_before_sharing"] = msg
			}
			asg.ReviewBeforeSharing = *ch.ReviewBeforeSharing
		}
		// A new due date may not be in the past (as when assigning); an
		// overdue one sent back unchanged (the edit form always sends it)
		// is kept.
		if ch.DueAt != nil && *ch.DueAt != nil {
			due := **ch.DueAt
			same := asg.DueAt.Valid && due.Sub(asg.DueAt.Time).Abs() < time.Minute
			if !same && dueInPast(due, s.now()) {
				fields["due_at"] = msgDueInPast
			}
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		action := "assignment.update"
		if ch.DueAt != nil {
			asg.DueAt = sql.NullTime{}
			if *ch.DueAt != nil {
				asg.DueAt = sql.NullTime{Time: **ch.DueAt, Valid: true}
			}
			// One-off responses follow the assignment's due date.
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET due_at = $2 WHERE assignment_id = $1 AND occurs_on IS NULL`, id, asg.DueAt); err != nil {
				return err
			}
			if err := unlinkSession(ctx, tx, id, asg.DueAt); err != nil {
				return err
			}
		}
		if ch.Status != nil && *ch.Status == StatusCancelled {
			asg.Status = StatusCancelled
			action = "assignment.cancel"
		}
		if _, err := tx.ExecContext(ctx, `UPDATE assignments SET due_at = $2, instructions = $3, status = $4, review_before_sharing = $5,
			updated_at = now() WHERE id = $1`, id, asg.DueAt, asg.Instructions, asg.Status, asg.ReviewBeforeSharing); err != nil {
			return err
		}
		var detail map[string]any
		if ch.ReviewBeforeSharing != nil {
			detail = map[string]any{"review_before_sharing": asg.ReviewBeforeSharing}
		}
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: action, ObjectType: "assignment", ObjectID: id, CoupleID: asg.CoupleID,
			Detail: detail}); err != nil {
			return err
		}
		out, err = getAssignment(ctx, tx, a.ClinicID, id)
		return err
	})
	return out, err
}

// loadForCounselor returns an assignment of the counselor's own caseload.
func (s *Service) loadForCounselor(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, id int64) (Assignment, access, error) {
	asg, err := getAssignment(ctx, q, a.ClinicID, id)
	if err != nil {
		return asg, access{}, err
	}
	acc, err := coupleAccess(ctx, q, a, asg.CoupleID)
	if err != nil {
		return asg, acc, err
	}
	if !acc.Counselor {
		if acc.Admin || acc.PartnerID != 0 {
			return asg, acc, apperr.New(apperr.Forbidden, "Only the couple's counselor can change this assignment.")
		}
		return asg, acc, errNotFound
	}
	return asg, acc, nil
}

const assignmentCols = `a.id, a.clinic_id, a.couple_id, c.label AS couple_label, c.status AS couple_status, a.template_id,
	a.template_version, v.title AS template_title, ` + privateExpr + ` AS private_to_counselor, coalesce(v.measure, '') AS measure, a.mode,
	a.partner_id, a.reveal, a.reply_to, a.due_at, a.instructions, a.recur_every, a.recur_until, a.status, a.review_before_sharing,
	a.needs_review, a.created_by, a.created_at, a.updated_at`

const assignmentFrom = ` FROM assignments a JOIN couples c ON c.id = a.couple_id
	JOIN exercise_templates t ON t.id = a.template_id
	JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version`

func getAssignment(ctx context.Context, q sqlx.QueryerContext, clinicID, id int64) (Assignment, error) {
	var asg Assignment
	err := sqlx.GetContext(ctx, q, &asg, `SELECT `+assignmentCols+assignmentFrom+` WHERE a.id = $1 AND a.clinic_id = $2`, id, clinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return asg, errNotFound
	}
	return asg, err
}

// cleanText trims free text and checks it: valid UTF-8, no NUL bytes, at
// most max characters. The message is empty when the text is fine.
func cleanText(v string, max int) (string, string) {
	v = strings.TrimSpace(strings.ReplaceAll(v, "\r", ""))
	switch {
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return v, "The text contains characters that are not allowed."
	case utf8.RuneCountInString(v) > max:
		return v, fmt.Sprintf("Use at most %d characters.", max)
	}
	return v, ""
}
