package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/tz"
)

// ConcernFieldKey is the daily check-in's "one thing that worried or hurt
// me today": the concerns a counselor reads when preparing a session.
const ConcernFieldKey = "concern"

// PeriodItem is one response on the prep page: what it is, whose, its
// status and dates. No answers: the page links to them.
type PeriodItem struct {
	ResponseID   int64      `json:"response_id"`
	AssignmentID int64      `json:"assignment_id"`
	Title        string     `json:"template_title"`
	PartnerID    *int64     `json:"partner_id"`
	PartnerName  string     `json:"partner_name"`
	Joint        bool       `json:"joint"`
	Status       string     `json:"status"`
	DueAt        *time.Time `json:"due_at"`
	SubmittedAt  *time.Time `json:"submitted_at"`
	Overdue      bool       `json:"overdue"`
	// Private: the safety check (the counselor's alone).
	Private bool `json:"private_to_counselor"`
	// Concerns are the labels of a safety check's concerning answers.
	Concerns []string `json:"concerns,omitempty"`
	// ReplyTo names the response a reply answers ("Apology letter by Alex").
	ReplyTo string `json:"reply_to,omitempty"`
	// Resubmitted: submitted more than once (after a revision).
	Resubmitted bool `json:"resubmitted"`
}

// Concern is one concern written in a submitted check-in.
type Concern struct {
	Day        string `json:"day"`
	Text       string `json:"text"`
	ResponseID int64  `json:"response_id"`
}

// CheckinSummary is one partner's recurring practice over the period: how
// many of its days came, were submitted and were missed, the average trust
// of the submitted ones and its change against the period before, and the
// concerns written. Only submitted check-ins count.
type CheckinSummary struct {
	AssignmentID int64     `json:"assignment_id"`
	Title        string    `json:"template_title"`
	PartnerID    int64     `json:"partner_id"`
	PartnerName  string    `json:"partner_name"`
	Days         int       `json:"days"`
	Submitted    int       `json:"submitted"`
	Missed       int       `json:"missed"`
	Trust        *float64  `json:"average_trust"`
	TrustBefore  *float64  `json:"average_trust_before"`
	Change       *float64  `json:"trust_change"`
	Concerns     []Concern `json:"concerns"`
}

// Period is a couple's work between two sessions as the counselor prepares
// for the second: exactly what the counselor may see (submitted snapshots
// only, never a draft; statuses and dates of open work).
type Period struct {
	From      time.Time        `json:"from"`
	To        time.Time        `json:"to"`
	Before    time.Time        `json:"before_from"`
	Submitted []PeriodItem     `json:"submitted"`
	Open      []PeriodItem     `json:"open"`
	Revisions []PeriodItem     `json:"revisions_outstanding"`
	Safety    []PeriodItem     `json:"safety_concerns"`
	JointDone []PeriodItem     `json:"joint_signed"`
	JointOpen []PeriodItem     `json:"joint_waiting"`
	Replies   []PeriodItem     `json:"replies"`
	Checkins  []CheckinSummary `json:"checkins"`
	Overdue   int              `json:"overdue"`
	// Read are the responses whose submitted content the page shows (the
	// check-ins' trust and concerns, the safety checks' concerns).
	Read []int64 `json:"-"`
}

type periodRow struct {
	Response
	Private     bool           `db:"private"`
	PairDone    bool           `db:"pair_submitted"`
	InPeriod    sql.NullTime   `db:"submitted_in_period"`
	Submissions int            `db:"submissions"`
	ReplyTitle  sql.NullString `db:"reply_title"`
	ReplyAuthor sql.NullString `db:"reply_author"`
}

// PeriodFor gathers, for the couple's counselor, the work of the period
// [from, to): what was submitted in it, what is still open, the recurring
// check-ins of its days compared with the days of [before, from). Local
// days are the clinic's. The privacy rules are this package's (access.go):
// a counselor reads submitted snapshots only, and whoever is also a
// partner of the couple reads by a partner's rules. The check-ins and
// safety concerns read are audited, one event with the responses.
func (s *Service) PeriodFor(ctx context.Context, a actor.Actor, coupleID int64, before, from, to time.Time) (Period, error) {
	p := Period{From: from, To: to, Before: before, Submitted: []PeriodItem{}, Open: []PeriodItem{}, Revisions: []PeriodItem{},
		Safety: []PeriodItem{}, JointDone: []PeriodItem{}, JointOpen: []PeriodItem{}, Replies: []PeriodItem{}, Checkins: []CheckinSummary{}}
	acc, err := coupleAccess(ctx, s.db, a, coupleID)
	if err != nil {
		return p, err
	}
	if !acc.Counselor {
		return p, errNotFound // the prep page is the counselor's
	}
	loc := a.ClinicLoc()
	now := s.now()
	today := tz.Today(now, loc)
	beforeDay, fromDay, toDay := tz.DateOf(before, loc), tz.DateOf(from, loc), tz.DateOf(to, loc)
	var rows []periodRow
	err = s.db.SelectContext(ctx, &rows, `SELECT r.id, r.clinic_id, r.couple_id, r.assignment_id, r.partner_id, r.occurs_on, r.due_at,
			r.status, '{}'::jsonb AS answers, r.version, r.shared, r.shared_submission_id, r.started_at, r.submitted_at, r.reviewed_at, r.feedback_unread,
			r.updated_at, r.concern_fields, `+privateExpr+` AS private,
			EXISTS (SELECT 1 FROM responses pair WHERE pair.assignment_id = r.assignment_id AND pair.occurs_on IS NOT DISTINCT FROM r.occurs_on
				AND pair.id <> r.id AND pair.submitted_at IS NOT NULL) AS pair_submitted,
			(SELECT max(sb.submitted_at) FROM submissions sb WHERE sb.response_id = r.id AND sb.submitted_at >= $3 AND sb.submitted_at < $4) AS submitted_in_period,
			(SELECT count(*) FROM submissions sb WHERE sb.response_id = r.id) AS submissions,
			(SELECT ov.title FROM responses orr JOIN assignments oa ON oa.id = orr.assignment_id
				JOIN template_versions ov ON ov.template_id = oa.template_id AND ov.version = oa.template_version WHERE orr.id = a.reply_to) AS reply_title,
			(SELECT op.name FROM responses orr JOIN partners op ON op.id = orr.partner_id WHERE orr.id = a.reply_to) AS reply_author
		FROM responses r
		JOIN assignments a ON a.id = r.assignment_id
		JOIN exercise_templates t ON t.id = a.template_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE r.couple_id = $1 AND r.clinic_id = $2 AND (
			(r.occurs_on IS NULL AND (EXISTS (SELECT 1 FROM submissions sb WHERE sb.response_id = r.id AND sb.submitted_at >= $3 AND sb.submitted_at < $4)
				OR (a.status = 'active' AND r.status IN ('draft', 'revision_requested'))))
			OR (r.occurs_on IS NOT NULL AND r.occurs_on >= $5::date AND r.occurs_on < $6::date AND r.occurs_on <= $7::date))
		ORDER BY r.id`, coupleID, a.ClinicID, from, to, beforeDay, toDay, today)
	if err != nil {
		return p, err
	}
	asgIDs := map[int64]bool{}
	for _, r := range rows {
		asgIDs[r.AssignmentID] = true
	}
	asgs := map[int64]Assignment{}
	if len(asgIDs) > 0 {
		ids := make([]int64, 0, len(asgIDs))
		for id := range asgIDs {
			ids = append(ids, id)
		}
		var list []Assignment
		if err := s.db.SelectContext(ctx, &list, `SELECT `+assignmentCols+assignmentFrom+` WHERE a.id = ANY($1) AND a.clinic_id = $2`,
			pq.Array(ids), a.ClinicID); err != nil {
			return p, err
		}
		for _, x := range list {
			asgs[x.ID] = x
		}
	}

	type key struct{ asg, partner int64 }
	sums := map[key]*CheckinSummary{}
	var order []key
	type trustAcc struct {
		sum, n, beforeSum, beforeN float64
	}
	trust := map[key]*trustAcc{}
	var snapFor []int64
	snapRow := map[int64]periodRow{}
	var safetyIdx []int // indexes into p.Safety to fill labels
	var read []int64

	for _, r := range rows {
		asg, ok := asgs[r.AssignmentID]
		if !ok || !acc.visibleAssignment(asg) {
			continue
		}
		revealed := r.SubmittedAt.Valid && r.PairDone
		// The counselor (and a partner, by a partner's rules) reads submitted
		// snapshots only: a draft never counts, here not even one's own.
		readable := r.SubmittedAt.Valid && acc.readable(asg, r.Response, revealed) != ""
		if r.OccursOn.Valid {
			if asg.Private || !r.PartnerID.Valid {
				continue
			}
			k := key{asg.ID, r.PartnerID.Int64}
			sum := sums[k]
			if sum == nil {
				sum = &CheckinSummary{AssignmentID: asg.ID, Title: asg.TemplateTitle, PartnerID: k.partner,
					PartnerName: acc.Names[k.partner], Concerns: []Concern{}}
				sums[k], trust[k] = sum, &trustAcc{}
				order = append(order, k)
			}
			day := r.OccursOn.Time
			inPeriod := !day.Before(fromDay)
			if inPeriod {
				sum.Days++
			}
			switch {
			case readable:
				if inPeriod {
					sum.Submitted++
				}
				snapFor = append(snapFor, r.ID)
				snapRow[r.ID] = r
			case inPeriod && !r.SubmittedAt.Valid && r.DueAt.Valid && r.DueAt.Time.Before(now):
				sum.Missed++
			}
			continue
		}
		it := PeriodItem{ResponseID: r.ID, AssignmentID: asg.ID, Title: asg.TemplateTitle, PartnerID: ptrInt(r.PartnerID),
			Joint: !r.PartnerID.Valid, Status: r.Status, DueAt: ptrTime(r.DueAt), Private: asg.Private,
			Overdue: r.Overdue(now) && asg.Status == StatusActive, Resubmitted: r.Submissions > 1}
		it.PartnerName = "Both partners"
		if r.PartnerID.Valid {
			it.PartnerName = acc.Names[r.PartnerID.Int64]
		}
		if r.ReplyTitle.Valid {
			it.ReplyTo = r.ReplyTitle.String
			if r.ReplyAuthor.Valid {
				it.ReplyTo += " by " + r.ReplyAuthor.String
			}
		}
		if r.InPeriod.Valid && readable {
			at := r.InPeriod.Time
			it.SubmittedAt = &at
			switch {
			case it.Joint:
				p.JointDone = append(p.JointDone, it)
			case asg.ReplyTo.Valid:
				p.Replies = append(p.Replies, it)
			default:
				p.Submitted = append(p.Submitted, it)
			}
			if len(r.ConcernFields) > 0 && acc.Counselor && acc.PartnerID == 0 {
				p.Safety = append(p.Safety, it)
				safetyIdx = append(safetyIdx, len(p.Safety)-1)
				snapRow[r.ID] = r
				read = append(read, r.ID)
			}
		}
		if asg.Status == StatusActive && (r.Status == Draft || r.Status == RevisionRequested) {
			it.SubmittedAt = nil
			switch {
			case it.Joint:
				p.JointOpen = append(p.JointOpen, it)
			case r.Status == RevisionRequested:
				p.Revisions = append(p.Revisions, it)
			default:
				p.Open = append(p.Open, it)
			}
			if it.Overdue {
				p.Overdue++
			}
		}
	}

	// The check-ins' latest submitted snapshots: trust and concerns.
	if len(snapFor) > 0 {
		var subs []Submission
		if err := s.db.SelectContext(ctx, &subs, `SELECT DISTINCT ON (response_id) `+submissionCols+` FROM submissions
			WHERE response_id = ANY($1) ORDER BY response_id, id DESC`, pq.Array(snapFor)); err != nil {
			return p, err
		}
		for _, sub := range subs {
			r := snapRow[sub.ResponseID]
			k := key{r.AssignmentID, r.PartnerID.Int64}
			var ans map[string]any
			if json.Unmarshal(sub.Answers, &ans) != nil {
				continue
			}
			read = append(read, r.ID)
			inPeriod := !r.OccursOn.Time.Before(fromDay)
			if v, ok := ans[exercise.TrustFieldKey].(float64); ok {
				if inPeriod {
					trust[k].sum += v
					trust[k].n++
				} else {
					trust[k].beforeSum += v
					trust[k].beforeN++
				}
			}
			if c, ok := ans[ConcernFieldKey].(string); ok && inPeriod && strings.TrimSpace(c) != "" {
				sums[k].Concerns = append(sums[k].Concerns, Concern{Day: r.OccursOn.Time.Format(time.DateOnly), Text: c, ResponseID: r.ID})
			}
		}
	}
	for _, k := range order {
		sum, t := sums[k], trust[k]
		if t.n > 0 {
			v := round1(t.sum / t.n)
			sum.Trust = &v
		}
		if t.beforeN > 0 {
			v := round1(t.beforeSum / t.beforeN)
			sum.TrustBefore = &v
		}
		if sum.Trust != nil && sum.TrustBefore != nil {
			v := round1(*sum.Trust - *sum.TrustBefore)
			sum.Change = &v
		}
		sort.Slice(sum.Concerns, func(i, j int) bool { return sum.Concerns[i].Day > sum.Concerns[j].Day })
		if sum.Days > 0 || sum.TrustBefore != nil {
			p.Checkins = append(p.Checkins, *sum)
		}
	}

	// The safety checks' concerning answers, by their labels.
	schemas := map[int64]exercise.Schema{}
	for _, i := range safetyIdx {
		it := &p.Safety[i]
		asg := asgs[it.AssignmentID]
		sc, ok := schemas[asg.ID]
		if !ok {
			if sc, err = schemaOf(ctx, s.db, asg); err != nil {
				return p, err
			}
			schemas[asg.ID] = sc
		}
		for _, key := range snapRow[it.ResponseID].ConcernFields {
			label := key
			if f, ok := sc.Field(key); ok {
				label = f.Label
			}
			it.Concerns = append(it.Concerns, label)
		}
		for j := range p.Submitted {
			if p.Submitted[j].ResponseID == it.ResponseID {
				p.Submitted[j].Concerns = it.Concerns
			}
		}
	}

	newestFirst := func(l []PeriodItem) {
		sort.SliceStable(l, func(i, j int) bool { return l[i].SubmittedAt.After(*l[j].SubmittedAt) })
	}
	dueFirst := func(l []PeriodItem) {
		sort.SliceStable(l, func(i, j int) bool {
			a, b := l[i].DueAt, l[j].DueAt
			switch {
			case a == nil:
				return false
			case b == nil:
				return true
			}
			return a.Before(*b)
		})
	}
	newestFirst(p.Submitted)
	newestFirst(p.JointDone)
	newestFirst(p.Replies)
	newestFirst(p.Safety)
	dueFirst(p.Open)
	dueFirst(p.Revisions)
	dueFirst(p.JointOpen)
	p.Read = read
	if len(read) == 0 {
		return p, nil
	}
	return p, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "couple", ObjectID: coupleID,
		CoupleID: coupleID, Detail: map[string]any{"responses": read, "view": "prep"}})
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
