package assignment

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/notify"
)

// Review records the counselor's decision on the latest submission:
// accept (complete) or revise (back to the author with the comment).
func (s *Service) Review(ctx context.Context, a actor.Actor, id int64, decision, comment string) error {
	fields := map[string]string{}
	if decision != "accept" && decision != "revise" {
		fields["decision"] = "Choose accept or request revision."
	}
	var msg string
	if comment, msg = cleanText(comment, MaxComment); msg != "" {
		fields["comment"] = msg
	} else if decision == "revise" && comment == "" {
		fields["comment"] = "Tell the author what to revise."
	}
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var r Response
		err := tx.GetContext(ctx, &r, `SELECT `+responseCols+` FROM responses WHERE id = $1 AND clinic_id = $2 FOR UPDATE`, id, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		acc, err := coupleAccess(ctx, tx, a, r.CoupleID)
		if err != nil {
			return err
		}
		if !acc.Counselor {
			if acc.Admin {
				return apperr.New(apperr.Forbidden, "Only the couple's counselor reviews their work.")
			}
			return errNotFound
		}
		if !r.SubmittedAt.Valid {
			return errNotFound // a draft is invisible to the counselor, so is its id
		}
		asg, err := getAssignment(ctx, tx, a.ClinicID, r.AssignmentID)
		if err != nil {
			return err
		}
		switch {
		case !DayHasCome(r.OccursOn, Today(s.now(), a.ClinicLoc())):
			return notYet(r)
		case acc.CoupleStatus == "closed":
			return apperr.New(apperr.Conflict, "This couple is closed: its work is read-only.")
		case asg.Status == StatusCancelled:
			return apperr.New(apperr.Conflict, "This exercise was withdrawn: its responses are kept but no longer reviewed.")
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		if r.Status != Submitted {
			return apperr.New(apperr.Conflict, "This response is not waiting for review (it is %s).", strings.ReplaceAll(r.Status, "_", " "))
		}
		var subID int64
		if err := tx.GetContext(ctx, &subID, `SELECT id FROM submissions WHERE response_id = $1 ORDER BY id DESC LIMIT 1`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO reviews (response_id, submission_id, counselor_id, decision, comment) VALUES ($1, $2, $3, $4, $5)`,
			id, subID, a.UserID, decision, comment); err != nil {
			return err
		}
		status := Accepted
		if decision == "revise" {
			status = RevisionRequested
		}
		if _, err := tx.ExecContext(ctx, `UPDATE responses SET status = $2, reviewed_at = now(), feedback_unread = $3, updated_at = now() WHERE id = $1`,
			id, status, comment != "" || decision == "revise"); err != nil {
			return err
		}
		// The author is told (both partners, for a joint response).
		kind := notify.WorkAccepted
		if decision == "revise" {
			kind = notify.WorkRevise
		}
		var authors []int64
		if r.PartnerID.Valid {
			authors = []int64{r.PartnerID.Int64}
		} else {
			authors = []int64{acc.PartnerA, acc.PartnerB}
		}
		if err := s.tell(ctx, tx, a, notify.Event{Kind: kind, CoupleID: r.CoupleID, AssignmentID: r.AssignmentID, ResponseID: id},
			r.CoupleID, authors...); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "response.review", ObjectType: "response", ObjectID: id, CoupleID: r.CoupleID,
			Detail: map[string]any{"decision": decision}})
	})
}
