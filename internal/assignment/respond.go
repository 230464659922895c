package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/measure"
	"github.com/mend-clinic/mend/internal/notify"
)

// writable loads a response the caller writes (their own or their couple's
// joint one), with its assignment and the caller's access; lock takes the
// row for update (q is then the transaction).
func (s *Service) writable(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, id int64, lock bool) (Response, Assignment, access, error) {
	var r Response
	query := `SELECT ` + responseCols + ` FROM responses WHERE id = $1 AND clinic_id = $2`
	if lock {
		query += ` FOR UPDATE`
	}
	err := sqlx.GetContext(ctx, q, &r, query, id, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return r, Assignment{}, access{}, errNotFound
	}
	if err != nil {
		return r, Assignment{}, access{}, err
	}
	acc, err := coupleAccess(ctx, q, a, r.CoupleID)
	if err != nil {
		return r, Assignment{}, acc, err
	}
	asg, err := getAssignment(ctx, q, a.ClinicID, r.AssignmentID)
	if err != nil {
		return r, asg, acc, err
	}
	if !acc.mine(r) {
		if acc.Counselor || acc.Admin {
			return r, asg, acc, apperr.New(apperr.Forbidden, "Only its author can change this response.")
		}
		return r, asg, acc, errNotFound // the other partner's: not even its id is confirmed
	}
	return r, asg, acc, nil
}

// editable refuses changes to work that is closed, withdrawn, waiting, or
// whose day has not come (today: see Today).
func editable(r Response, asg Assignment, acc access, today time.Time) error {
	switch {
	case !DayHasCome(r.OccursOn, today):
		return notYet(r)
	case acc.CoupleStatus == "closed":
		return apperr.New(apperr.Conflict, "This couple's work is closed and read-only.")
	case asg.Status == StatusCancelled:
		return apperr.New(apperr.Conflict, "Your counselor withdrew this exercise. What you wrote is kept, but it can no longer change.")
	case r.Status == Submitted:
		return apperr.New(apperr.Conflict, "This response is submitted and waiting for your counselor's review.")
	case r.Status == Accepted:
		return apperr.New(apperr.Conflict, "Your counselor accepted this response; it is complete.")
	}
	return nil
}

// notYet refuses work on an occurrence before its day.
func notYet(r Response) error {
	return apperr.New(apperr.Conflict, "This is for %s: it opens on that day, not before.", r.OccursOn.Time.Format("Monday 2 January 2006"))
}

// schemaOf loads the pinned template version's schema.
func schemaOf(ctx context.Context, q sqlx.QueryerContext, asg Assignment) (exercise.Schema, error) {
	var raw []byte
	if err := sqlx.GetContext(ctx, q, &raw, `SELECT schema FROM template_versions WHERE template_id = $1 AND version = $2`,
		asg.TemplateID, asg.TemplateVersion); err != nil {
		return exercise.Schema{}, err
	}
	var sc exercise.Schema
	err := json.Unmarshal(raw, &sc)
	return sc, err
}

// Stale is returned (as a Conflict) when a save was based on an old
// version; it carries the current answers so nothing is lost.
func stale(r Response) error {
	var cur map[string]any
	json.Unmarshal(r.Answers, &cur)
	msg := "A newer version was saved (in another tab or window) while you were editing. Both texts are shown so nothing is lost."
	if !r.PartnerID.Valid {
		msg = "Your partner saved a newer version while you were editing. Both texts are shown so nothing is lost."
	}
	return &apperr.Error{Code: apperr.Conflict, Message: msg, Data: map[string]any{"answers": cur, "version": r.Version}}
}

// ReviewBeforeSharingNote explains why an answer cannot be shared yet.
const ReviewBeforeSharingNote = "Your counselor would like to read this with you first: you can share it with your partner once they have accepted it."

// RevealTogetherNote explains why a revealed-together answer is not shared.
const RevealTogetherNote = "Your counselor set this exercise to be revealed together: your partner reads your answer once you have both submitted, and you read theirs. It cannot be shared before."

// Saved is the result of a save.
type Saved struct {
	Version           int  `json:"version"`
	SignaturesCleared bool `json:"signatures_cleared"`
	// ClearedSignatures says whose signatures of a joint response this save
	// cleared: "partner" (the other partner's), "you" (the caller's own), in
	// that order; [] when none. Both partners see the live signatures
	// anyway, so it tells nothing new.
	ClearedSignatures []string `json:"cleared_signatures"`
	// PartnerName is the other partner's name, for the page's message
	// ("Blair will need to sign again").
	PartnerName string `json:"-"`
}

// Whose signature a save cleared (Saved.ClearedSignatures).
const (
	ClearedPartner = "partner"
	ClearedYou     = "you"
)

// PartnerCleared reports whether the save cleared the other partner's
// signature; YouCleared, the caller's own.
func (s Saved) PartnerCleared() bool { return slices.Contains(s.ClearedSignatures, ClearedPartner) }

// YouCleared reports whether the save cleared the caller's own signature.
func (s Saved) YouCleared() bool { return slices.Contains(s.ClearedSignatures, ClearedYou) }

// SaveDraft stores answers as a draft. The save names the version it was
// based on; a stale save is refused with the current text. Any change to a
// joint response clears its signatures: you sign what you read.
func (s *Service) SaveDraft(ctx context.Context, a actor.Actor, id int64, answers map[string]any, baseVersion int) (Saved, error) {
	return s.SaveDraftFrom(ctx, a, id, func(exercise.Schema) map[string]any { return answers }, baseVersion)
}

// SaveDraftFrom is SaveDraft with the answers read (from a posted form) by
// the response's pinned schema, which the save loads anyway: autosave needs
// no FormSchema first, which would load the response and its access again.
func (s *Service) SaveDraftFrom(ctx context.Context, a actor.Actor, id int64, read func(exercise.Schema) map[string]any, baseVersion int) (Saved, error) {
	out := Saved{ClearedSignatures: []string{}}
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, asg, acc, err := s.writable(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		if err := editable(r, asg, acc, Today(s.now(), a.ClinicLoc())); err != nil {
			return err
		}
		out.PartnerName = acc.Names[acc.OtherID]
		if baseVersion != r.Version {
			return stale(r)
		}
		sc, err := schemaOf(ctx, tx, asg)
		if err != nil {
			return err
		}
		clean, fe := sc.ValidateAnswers(read(sc), false)
		if len(fe) > 0 {
			return apperr.Fields("Some answers need attention.", fe)
		}
		var prev map[string]any
		json.Unmarshal(r.Answers, &prev)
		js, err := json.Marshal(clean)
		if err != nil {
			return err
		}
		var now map[string]any
		json.Unmarshal(js, &now)
		if reflect.DeepEqual(prev, now) {
			out.Version = r.Version // nothing changed: no new version
			return nil
		}
		if !r.PartnerID.Valid {
			// What each partner signed stays in signed_texts, so whoever
			// signed sees what changed since.
			var cleared []int64
			if err := tx.SelectContext(ctx, &cleared, `DELETE FROM signatures WHERE response_id = $1 RETURNING partner_id`, id); err != nil {
				return err
			}
			if slices.Contains(cleared, acc.OtherID) {
				out.ClearedSignatures = append(out.ClearedSignatures, ClearedPartner)
			}
			if slices.Contains(cleared, acc.PartnerID) {
				out.ClearedSignatures = append(out.ClearedSignatures, ClearedYou)
			}
			out.SignaturesCleared = len(cleared) > 0
		}
		if err := tx.GetContext(ctx, &out.Version, `UPDATE responses SET answers = $2, version = version + 1,
			started_at = coalesce(started_at, now()), updated_at = now() WHERE id = $1 RETURNING version`, id, js); err != nil {
			return err
		}
		// Writing one's own draft is not an audit event, nor the couple's
		// activity: it discloses nothing, and the trail (or the couple's
		// "last activity") would show the clinic, the counselor or the other
		// partner when a client drafts. The submission is audited, and keeps
		// the signatures it was submitted with.
		return nil
	})
	return out, err
}

// Share lets the author show (or stop showing) a submitted individual
// response to the other partner. The safety check is never shareable, and
// a revealed-together exercise is not shared: it is revealed to both once
// both have submitted, and sharing first would defeat that. Withdrawing a
// share stays possible everywhere.
func (s *Service) Share(ctx context.Context, a actor.Actor, id int64, shared bool) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, asg, acc, err := s.writable(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		if err := shareable(r, asg, acc, shared); err != nil {
			return err
		}
		if !shared {
			// Withdrawing consent: the partner reads nothing of it any more
			// (a revealed-together answer stays revealed: sharing does not
			// apply there).
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET shared = false,
				shared_submission_id = CASE WHEN $2 THEN shared_submission_id END, updated_at = now() WHERE id = $1`,
				id, asg.Reveal == RevealTogether); err != nil {
				return err
			}
			return s.audit.Log(ctx, tx, a, audit.Event{Action: "response.unshare", ObjectType: "response", ObjectID: id, CoupleID: r.CoupleID})
		}
		if !r.SubmittedAt.Valid {
			msg := "Submit it first: you decide about each submission whether your partner may read it."
			return &apperr.Error{Code: apperr.Conflict, Message: msg, Fields: map[string]string{"shared": msg}}
		}
		// A share covers the text that is shared: the latest submission.
		var sub int64
		if err := tx.GetContext(ctx, &sub, `UPDATE responses SET shared = true, updated_at = now(),
			shared_submission_id = (SELECT max(id) FROM submissions WHERE response_id = $1) WHERE id = $1 RETURNING shared_submission_id`, id); err != nil {
			return err
		}
		if err := s.tellShared(ctx, tx, a, r, acc, sub); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "response.share", ObjectType: "response", ObjectID: id, CoupleID: r.CoupleID,
			Detail: map[string]any{"submission_id": sub}})
	})
}

// tellShared tells the other partner that a submission is theirs to read
// now, when it was not before (a share of the same submission again says
// nothing new).
func (s *Service) tellShared(ctx context.Context, tx *db.Tx, a actor.Actor, r Response, acc access, sub int64) error {
	if acc.OtherID == 0 || r.Shared && r.SharedSubmissionID.Valid && r.SharedSubmissionID.Int64 == sub {
		return nil
	}
	return s.tell(ctx, tx, a, notify.Event{Kind: notify.WorkShared, CoupleID: r.CoupleID, AssignmentID: r.AssignmentID, ResponseID: r.ID},
		r.CoupleID, acc.OtherID)
}

// shareable refuses a share (or, with shared false, a withdrawal) the
// response does not allow: the safety check never, joint responses are
// always both partners', a revealed-together answer is revealed, not shared
// (though a later submission may be shared once it is), a closed couple's
// work only lets consent be withdrawn, and "review before sharing" work is
// shared once the counselor has accepted it.
func shareable(r Response, asg Assignment, acc access, shared bool) error {
	switch {
	case asg.Private:
		return apperr.Fields("The safety check is private to your counselor and can never be shared.",
			map[string]string{"shared": "The safety check cannot be shared."})
	case asg.Measure != "" && shared:
		return apperr.Fields("A measure's answers are for you and your counselor only and can't be shared.",
			map[string]string{"shared": "A measure cannot be shared."})
	case !r.PartnerID.Valid:
		return apperr.Fields("A joint response is already visible to both of you.", map[string]string{"shared": "Joint responses are always shared."})
	case asg.Reveal == RevealTogether && shared:
		return apperr.Fields(RevealTogetherNote, map[string]string{"shared": RevealTogetherNote})
	case acc.CoupleStatus == "closed" && shared:
		// Withdrawing consent stays possible on closed work; sharing more does not.
		return apperr.New(apperr.Conflict, "This couple's work is closed and read-only.")
	case asg.ReviewBeforeSharing && shared && r.Status != Accepted:
		// The counselor reads it with the author first: shared once accepted.
		return &apperr.Error{Code: apperr.Conflict, Message: ReviewBeforeSharingNote, Fields: map[string]string{"shared": ReviewBeforeSharingNote}}
	}
	return nil
}

// Sign records the caller's signature of a joint response's current
// version. The version names what they read (0: missing, a field error);
// a stale one is refused.
func (s *Service) Sign(ctx context.Context, a actor.Actor, id int64, version int) ([]Signature, error) {
	var sigs []Signature
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, asg, acc, err := s.writable(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		if r.PartnerID.Valid {
			return apperr.Fields("Only joint responses are signed.", map[string]string{"version": "Only joint responses are signed."})
		}
		if version < 1 {
			// Missing is a missing field, not a stale version (which would
			// hand back the current text): you sign the version you read.
			return apperr.Fields("version is required: the version you read and sign.", map[string]string{"version": "Required: the version you read."})
		}
		if err := editable(r, asg, acc, Today(s.now(), a.ClinicLoc())); err != nil {
			return err
		}
		if version != r.Version {
			return stale(r)
		}
		sc, err := schemaOf(ctx, tx, asg)
		if err != nil {
			return err
		}
		var ans map[string]any
		json.Unmarshal(r.Answers, &ans)
		if _, fe := sc.ValidateAnswers(ans, true); len(fe) > 0 {
			return apperr.Fields("Complete every required answer before signing.", fe)
		}
		// Signing a joint draft is part of writing it, like a save: not an
		// audit event. The submission keeps who signed which version, when.
		if _, err := tx.ExecContext(ctx, `INSERT INTO signatures (response_id, partner_id, version) VALUES ($1, $2, $3)
			ON CONFLICT (response_id, partner_id) DO UPDATE SET version = EXCLUDED.version, signed_at = now()`, id, acc.PartnerID, version); err != nil {
			return err
		}
		// The text signed, kept after the next edit clears the signature:
		// "changed since you signed" compares with it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO signed_texts (response_id, partner_id, version, answers) VALUES ($1, $2, $3, $4)
			ON CONFLICT (response_id, partner_id) DO UPDATE SET version = EXCLUDED.version, answers = EXCLUDED.answers, signed_at = now()`,
			id, acc.PartnerID, version, r.Answers); err != nil {
			return err
		}
		sigs, err = signaturesOf(ctx, tx, id)
		return err
	})
	return sigs, err
}

// Submit hands the response to the counselor without sharing it (see
// SubmitShared).
func (s *Service) Submit(ctx context.Context, a actor.Actor, id int64) error {
	return s.SubmitShared(ctx, a, id, false)
}

// SubmitShared hands the response to the counselor: every required answer
// must be there, and a joint response needs both partners' signatures of
// this version. Each submission is kept as a snapshot. share is the
// author's decision for this submission: a share covers the text shared,
// so a resubmission reaches the other partner only when the author says so
// again (an earlier shared submission stays readable until withdrawn). The
// first submission of a revealed-together answer is shared by the reveal.
func (s *Service) SubmitShared(ctx context.Context, a actor.Actor, id int64, share bool) error {
	return db.InTx(ctx, s.db, func(tx *db.Tx) error {
		r, asg, acc, err := s.writable(ctx, tx, a, id, true)
		if err != nil {
			return err
		}
		if err := editable(r, asg, acc, Today(s.now(), a.ClinicLoc())); err != nil {
			return err
		}
		if share && asg.Reveal != RevealTogether {
			if err := shareable(r, asg, acc, true); err != nil {
				return err
			}
		}
		sc, err := schemaOf(ctx, tx, asg)
		if err != nil {
			return err
		}
		var ans map[string]any
		json.Unmarshal(r.Answers, &ans)
		if _, fe := sc.ValidateAnswers(ans, true); len(fe) > 0 {
			return apperr.Fields("Some required answers are missing.", fe)
		}
		if !r.PartnerID.Valid {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT count(*) FROM signatures WHERE response_id = $1 AND version = $2`, id, r.Version); err != nil {
				return err
			}
			if n < 2 {
				return apperr.New(apperr.Conflict, "Both partners need to sign this version before it can be submitted.")
			}
		}
		// The snapshot keeps the signatures of its version: the live ones
		// are cleared by the next edit, but who signed what stays visible.
		var subID int64
		if err := tx.GetContext(ctx, &subID, `INSERT INTO submissions (response_id, version, answers, submitted_by, signatures)
			VALUES ($1, $2, $3, $4, (SELECT coalesce(jsonb_agg(jsonb_build_object('partner_id', g.partner_id, 'version', g.version,
				'signed_at', g.signed_at) ORDER BY g.signed_at), '[]') FROM signatures g WHERE g.response_id = $1 AND g.version = $2))
			RETURNING id`, id, r.Version, r.Answers, a.UserID); err != nil {
			return err
		}
		// A safety check with concerning answers is flagged for the counselor.
		var category string
		if err := tx.GetContext(ctx, &category, `SELECT category FROM template_versions WHERE template_id = $1 AND version = $2`,
			asg.TemplateID, asg.TemplateVersion); err != nil {
			return err
		}
		concern := exercise.Template{Category: exercise.Category(category), Schema: sc}.ConcerningFields(ans)
		if concern == nil {
			concern = []string{}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE responses SET status = 'submitted', submitted_at = now(), feedback_unread = false,
			concern_fields = $2, updated_at = now() WHERE id = $1`, id, pq.Array(concern)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE couples SET last_activity_at = now() WHERE id = $1`, r.CoupleID); err != nil {
			return err
		}
		if err := s.submitted(ctx, tx, a, asg, acc, r, len(concern) > 0); err != nil {
			return err
		}
		if err := measure.Scored(ctx, tx, s.notify, a, id); err != nil { // a measure is scored with its submission
			return err
		}
		if err := s.audit.Log(ctx, tx, a, audit.Event{Action: "response.submit", ObjectType: "response", ObjectID: id, CoupleID: r.CoupleID,
			Detail: map[string]any{"version": r.Version}}); err != nil {
			return err
		}
		// The share decision for this submission.
		reveal := asg.Reveal == RevealTogether && !r.SubmittedAt.Valid
		switch {
		case !r.PartnerID.Valid || asg.Private:
			return nil // joint: always both partners'; the safety check: never
		case reveal && !share:
			// The reveal's own share, part of the submission: not the
			// author's choice, so it does not pre-set the next question.
			_, err = tx.ExecContext(ctx, `UPDATE responses SET shared_submission_id = $2 WHERE id = $1`, id, subID)
			return err
		case share:
			if _, err := tx.ExecContext(ctx, `UPDATE responses SET shared = true, shared_submission_id = $2 WHERE id = $1`, id, subID); err != nil {
				return err
			}
			if err := s.tellShared(ctx, tx, a, r, acc, subID); err != nil {
				return err
			}
			return s.audit.Log(ctx, tx, a, audit.Event{Action: "response.share", ObjectType: "response", ObjectID: id, CoupleID: r.CoupleID,
				Detail: map[string]any{"submission_id": subID, "at_submission": true}})
		}
		// Not shared: the partner keeps reading what was shared before, if
		// anything; the choice pre-sets the question next time.
		_, err = tx.ExecContext(ctx, `UPDATE responses SET shared = false WHERE id = $1`, id)
		return err
	})
}

func signaturesOf(ctx context.Context, q sqlx.QueryerContext, id int64) ([]Signature, error) {
	sigs := []Signature{}
	err := sqlx.SelectContext(ctx, q, &sigs, `SELECT response_id, partner_id, version, signed_at FROM signatures WHERE response_id = $1 ORDER BY signed_at`, id)
	return sigs, err
}

// submitted tells who needs to know of a submission: the counselor (in the
// app; by mail only in the morning digest, or at once for a concerning
// safety check), and, when a reveal-together pair is now complete, both
// partners (each may read the other's answer from now on).
func (s *Service) submitted(ctx context.Context, tx *db.Tx, a actor.Actor, asg Assignment, acc access, r Response, concern bool) error {
	kind := notify.WorkSubmitted
	if concern {
		kind = notify.SafetyConcern
	}
	// A daily check-in is not news of its own (it feeds the chart and the
	// digest); anything else, and any concern, is.
	if concern || !r.OccursOn.Valid {
		ev := notify.Event{Kind: kind, CoupleID: r.CoupleID, AssignmentID: r.AssignmentID, ResponseID: r.ID}
		if err := s.tellCounselor(ctx, tx, a, ev, acc.CounselorID); err != nil {
			return err
		}
	}
	if !r.PartnerID.Valid || asg.Private || asg.Reveal != RevealTogether {
		return nil
	}
	var pair struct {
		ID      int64 `db:"id"`
		Partner int64 `db:"partner_id"`
	}
	err := tx.GetContext(ctx, &pair, `SELECT id, partner_id FROM responses WHERE assignment_id = $1 AND occurs_on IS NOT DISTINCT FROM $2
		AND id <> $3 AND partner_id IS NOT NULL AND submitted_at IS NOT NULL`, r.AssignmentID, r.OccursOn, r.ID)
	if errors.Is(err, sql.ErrNoRows) || r.SubmittedAt.Valid {
		return nil // the other has not submitted yet, or this pair was revealed already
	}
	if err != nil {
		return err
	}
	if err := s.tell(ctx, tx, a, notify.Event{Kind: notify.WorkRevealed, CoupleID: r.CoupleID, AssignmentID: r.AssignmentID, ResponseID: pair.ID},
		r.CoupleID, r.PartnerID.Int64); err != nil {
		return err
	}
	return s.tell(ctx, tx, a, notify.Event{Kind: notify.WorkRevealed, CoupleID: r.CoupleID, AssignmentID: r.AssignmentID, ResponseID: r.ID},
		r.CoupleID, pair.Partner)
}
