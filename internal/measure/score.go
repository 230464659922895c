package measure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/tz"
)

// Alert kinds (measure_alerts.kind).
const (
	AlertDistress = "distress" // a score crossed the cut-off into distress
	AlertDrop     = "drop"     // worse by the reliable-change figure or more since the first or the previous score
	AlertApart    = "apart"    // the partners moved apart
)

var alertNotice = map[string]notify.Kind{AlertDistress: notify.MeasureDistress, AlertDrop: notify.MeasureDrop, AlertApart: notify.MeasureApart}

// Scored is the submission hook (assignment.Service.Submit calls it in the
// submission's transaction, after the snapshot is kept): when the response
// is a measure, it scores the latest submission from its answers, keeps the
// score and band with it, and tells the couple's counselor of any alert.
// Anything else costs one indexed query. A concern (the PHQ-9's item 9) is
// not handled here: Submit flags it exactly as for the safety check
// (exercise.Template.ConcerningFields).
func Scored(ctx context.Context, tx *db.Tx, n *notify.Service, a actor.Actor, responseID int64) error {
	var code sql.NullString
	err := tx.GetContext(ctx, &code, `SELECT v.measure FROM responses r JOIN assignments a ON a.id = r.assignment_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE r.id = $1 AND r.clinic_id = $2`, responseID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !code.Valid {
		return nil
	}
	if err != nil {
		return err
	}
	in, ok := Get(code.String)
	if !ok {
		return nil // a measure this release does not know: left unscored rather than refused
	}
	var sub struct {
		SubmissionID int64         `db:"submission_id"`
		Answers      []byte        `db:"answers"`
		SubmittedAt  time.Time     `db:"submitted_at"`
		CoupleID     int64         `db:"couple_id"`
		PartnerID    sql.NullInt64 `db:"partner_id"`
		AssignmentID int64         `db:"assignment_id"`
		OccursOn     sql.NullTime  `db:"occurs_on"`
		CounselorID  int64         `db:"counselor_id"`
		Schema       []byte        `db:"schema"`
	}
	if err := tx.GetContext(ctx, &sub, `SELECT s.id AS submission_id, s.answers, s.submitted_at, r.couple_id, r.partner_id,
			r.assignment_id, r.occurs_on, c.counselor_id, v.schema
		FROM responses r JOIN submissions s ON s.response_id = r.id
		JOIN couples c ON c.id = r.couple_id
		JOIN assignments a ON a.id = r.assignment_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE r.id = $1 ORDER BY s.id DESC LIMIT 1`, responseID); err != nil {
		return err
	}
	if !sub.PartnerID.Valid {
		return nil // never a joint response (Create refuses one), but nobody's score if it were
	}
	var sc exercise.Schema
	if err := json.Unmarshal(sub.Schema, &sc); err != nil {
		return err
	}
	var ans map[string]any
	if err := json.Unmarshal(sub.Answers, &ans); err != nil {
		return err
	}
	score, err := in.Score(sc, ans)
	if err != nil {
		return err
	}
	band := in.Band(score)
	day := tz.DateOf(sub.SubmittedAt, a.ClinicLoc()).Format(time.DateOnly)
	if _, err := tx.ExecContext(ctx, `INSERT INTO measure_scores (submission_id, response_id, clinic_id, couple_id, partner_id,
			assignment_id, occurs_on, measure, score, band, distress, scored_on, submitted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, sub.SubmissionID, responseID, a.ClinicID, sub.CoupleID,
		sub.PartnerID.Int64, sub.AssignmentID, sub.OccursOn, in.Code, score, band.Label, in.Distress(score), day, sub.SubmittedAt); err != nil {
		return err
	}
	kinds, err := alertsFor(ctx, tx, in, sub.CoupleID, sub.PartnerID.Int64, responseID, score)
	if err != nil {
		return err
	}
	for _, k := range kinds {
		if _, err := tx.ExecContext(ctx, `INSERT INTO measure_alerts (clinic_id, couple_id, partner_id, submission_id, measure, kind)
			VALUES ($1, $2, $3, $4, $5, $6)`, a.ClinicID, sub.CoupleID, sub.PartnerID.Int64, sub.SubmissionID, in.Code, k); err != nil {
			return err
		}
		ev := notify.Event{Kind: alertNotice[k], ClinicID: a.ClinicID, ActorID: a.UserID, CoupleID: sub.CoupleID,
			AssignmentID: sub.AssignmentID, ResponseID: responseID}
		if err := n.Tell(ctx, tx, ev, sub.CounselorID); err != nil {
			return err
		}
	}
	return nil
}

// past is a partner's scores of one measure before this submission: the
// latest submission of each response, oldest first.
type past struct {
	ResponseID int64 `db:"response_id"`
	PartnerID  int64 `db:"partner_id"`
	Score      int   `db:"score"`
	Distress   bool  `db:"distress"`
}

// alertsFor decides the alerts of a new score, against the same partner's
// first and previous scores and the other partner's latest one:
//
//   - distress: the previous score was not in distress, this one is;
//   - drop: worse than the previous or the first by the reliable-change
//     figure or more (only for a measure with a figure: without one the
//     cut-off is the line, and crossing it is the distress alert);
//   - apart (couple measures): the gap to the other partner's latest score
//     now exceeds the reliable-change figure and did not just before; for a
//     measure without a figure, the partners are now on opposite sides of
//     the cut-off and were not just before.
func alertsFor(ctx context.Context, tx *db.Tx, in Instrument, coupleID, partnerID, responseID int64, score int) ([]string, error) {
	var rows []past
	if err := tx.SelectContext(ctx, &rows, `SELECT response_id, partner_id, score, distress FROM (
			SELECT DISTINCT ON (response_id) response_id, partner_id, score, distress, submitted_at FROM measure_scores
			WHERE couple_id = $1 AND measure = $2 AND response_id <> $3 ORDER BY response_id, submission_id DESC) latest
		ORDER BY submitted_at, response_id`, coupleID, in.Code, responseID); err != nil {
		return nil, err
	}
	var mine []past
	var other *past
	for i := range rows {
		if rows[i].PartnerID == partnerID {
			mine = append(mine, rows[i])
		} else {
			other = &rows[i]
		}
	}
	distress := in.Distress(score)
	var kinds []string
	var prev *past
	if len(mine) > 0 {
		prev = &mine[len(mine)-1]
		if !prev.Distress && distress {
			kinds = append(kinds, AlertDistress)
		}
		if rc := in.ReliableChange.Points; rc > 0 && (in.Worse(prev.Score, score) >= rc || in.Worse(mine[0].Score, score) >= rc) {
			kinds = append(kinds, AlertDrop)
		}
	}
	if in.Couple() && other != nil {
		if rc := in.ReliableChange.Points; rc > 0 {
			if abs(score-other.Score) > rc && (prev == nil || abs(prev.Score-other.Score) <= rc) {
				kinds = append(kinds, AlertApart)
			}
		} else if distress != other.Distress && (prev == nil || prev.Distress == other.Distress) {
			kinds = append(kinds, AlertApart)
		}
	}
	return kinds, nil
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// AlertCounts counts a counselor's measure alerts since a time, by kind
// (distress, drop, apart), for the daily digest's lines: the couples they
// counsel now, not closed. It reads no score. The digest (mail.Lines) is
// built elsewhere; this is the count it takes.
func AlertCounts(ctx context.Context, q sqlx.QueryerContext, clinicID, counselorID int64, since time.Time) (map[string]int, error) {
	var rows []struct {
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, `SELECT m.kind, count(*) AS n FROM measure_alerts m JOIN couples c ON c.id = m.couple_id
		WHERE m.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed' AND m.created_at >= $3 GROUP BY m.kind`,
		clinicID, counselorID, since); err != nil {
		return nil, err
	}
	out := map[string]int{AlertDistress: 0, AlertDrop: 0, AlertApart: 0}
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, nil
}
