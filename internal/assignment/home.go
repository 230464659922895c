package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/exercise"
)

// HomeItem is one piece of work on a partner's home page.
type HomeItem struct {
	ResponseID     int64        `db:"response_id"`
	AssignmentID   int64        `db:"assignment_id"`
	TemplateTitle  string       `db:"template_title"`
	Mode           string       `db:"mode"`
	Status         string       `db:"status"`
	AssignStatus   string       `db:"assignment_status"`
	OccursOn       sql.NullTime `db:"occurs_on"`
	DueAt          sql.NullTime `db:"due_at"`
	SubmittedAt    sql.NullTime `db:"submitted_at"`
	FeedbackUnread bool         `db:"feedback_unread"`
	Joint          bool         `db:"joint"`
	Started        bool         `db:"started"`
	Overdue        bool         `db:"-"`
}

// ClientHome is what a partner sees first, grouped.
type ClientHome struct {
	CoupleID    int64
	PartnerID   int64
	Due         []HomeItem // open work: overdue first, then by due date
	Submitted   []HomeItem // waiting for the counselor
	Feedback    []HomeItem // reviewed with unread feedback
	Done        []HomeItem // accepted, most recent first
	Withdrawn   []HomeItem
	PartnerWork []HomeItem // the other partner's individual work: status only
	Missed      int        // recurring occurrences left unfilled more than two days ago
	More        int        // completed items not listed
}

// recent reports whether a recurring occurrence is still worth showing as
// something to do (today or the two days before).
func recent(x HomeItem, now time.Time) bool {
	return !x.OccursOn.Valid || !x.OccursOn.Time.Before(now.UTC().Truncate(24*time.Hour).AddDate(0, 0, -2))
}

// Home lists the partner's own and joint work in their couple. Occurrences
// of recurring exercises appear on their day, not before. One query.
func (s *Service) Home(ctx context.Context, a actor.Actor) (ClientHome, error) {
	var h ClientHome
	var me struct {
		ID       int64 `db:"id"`
		CoupleID int64 `db:"couple_id"`
	}
	err := s.db.GetContext(ctx, &me, `SELECT p.id, p.couple_id FROM partners p JOIN couples c ON c.id = p.couple_id
		WHERE p.user_id = $1 AND p.clinic_id = $2 ORDER BY c.status = 'closed', p.id DESC LIMIT 1`, a.UserID, a.ClinicID)
	if err == sql.ErrNoRows {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	h.CoupleID, h.PartnerID = me.CoupleID, me.ID
	var items []struct {
		HomeItem
		Mine bool `db:"mine"`
	}
	err = s.db.SelectContext(ctx, &items, `SELECT r.id AS response_id, r.assignment_id, v.title AS template_title, a.mode,
			r.status, a.status AS assignment_status, r.occurs_on, r.due_at, r.submitted_at, r.feedback_unread,
			r.partner_id IS NULL AS joint, r.started_at IS NOT NULL AS started,
			(r.partner_id IS NULL OR r.partner_id = $1) AS mine
		FROM responses r
		JOIN assignments a ON a.id = r.assignment_id
		JOIN exercise_templates t ON t.id = a.template_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE r.couple_id = $2 AND r.clinic_id = $3
		  AND (r.occurs_on IS NULL OR r.occurs_on <= current_date)
		  AND (r.partner_id IS NULL OR r.partner_id = $1 OR NOT `+privateExpr+`)
		ORDER BY r.due_at NULLS LAST, r.id
		LIMIT 500`, me.ID, me.CoupleID, a.ClinicID)
	if err != nil {
		return h, err
	}
	now := s.now()
	// Recurring exercises show their latest occurrence only in the lists
	// that look back (completed, the partner's), so a month of check-ins
	// doesn't bury everything else. Items arrive oldest first.
	latest := func(list []HomeItem, x HomeItem) []HomeItem {
		if x.OccursOn.Valid {
			for i, y := range list {
				if y.AssignmentID == x.AssignmentID {
					list[i] = x
					return list
				}
			}
		}
		return append(list, x)
	}
	for _, it := range items {
		x := it.HomeItem
		x.Overdue = x.DueAt.Valid && x.DueAt.Time.Before(now) && (x.Status == Draft || x.Status == RevisionRequested) && x.AssignStatus == StatusActive
		switch {
		case !it.Mine:
			if x.AssignStatus == StatusActive {
				h.PartnerWork = latest(h.PartnerWork, x)
			}
		case x.AssignStatus == StatusCancelled:
			h.Withdrawn = append(h.Withdrawn, x)
		case x.Status == Draft || x.Status == RevisionRequested:
			switch {
			case x.Status == RevisionRequested && x.FeedbackUnread:
				h.Feedback = append(h.Feedback, x)
			case recent(x, now):
				h.Due = append(h.Due, x)
			default:
				h.Missed++
			}
		case x.Status == Submitted:
			h.Submitted = latest(h.Submitted, x)
		case x.Status == Accepted:
			if x.FeedbackUnread {
				h.Feedback = append(h.Feedback, x)
			} else {
				h.Done = latest(h.Done, x)
			}
		}
	}
	// Overdue first, then by due date (already ordered by due date).
	over, rest := []HomeItem{}, []HomeItem{}
	for _, x := range h.Due {
		if x.Overdue {
			over = append(over, x)
		} else {
			rest = append(rest, x)
		}
	}
	h.Due = append(over, rest...)
	for i, j := 0, len(h.Done)-1; i < j; i, j = i+1, j-1 {
		h.Done[i], h.Done[j] = h.Done[j], h.Done[i]
	}
	if len(h.Done) > 10 {
		h.More, h.Done = len(h.Done)-10, h.Done[:10]
	}
	return h, nil
}

// Counts are the in-app badges.
type Counts struct {
	AwaitingReview int `db:"awaiting_review" json:"awaiting_review"` // counselor: new submissions
	NewFeedback    int `db:"new_feedback" json:"new_feedback"`       // client: reviewed with unread feedback
	// SafetyConcerns counts submitted safety checks with concerning
	// answers that the counselor has not reviewed yet.
	SafetyConcerns int `db:"safety_concerns" json:"safety_concerns"`
}

// CountsFor returns the caller's badges in one query.
func (s *Service) CountsFor(ctx context.Context, a actor.Actor) (Counts, error) {
	var c Counts
	err := s.db.GetContext(ctx, &c, `SELECT
		CASE WHEN $3 THEN (SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id AND r.status = 'submitted'
			JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed') ELSE 0 END AS awaiting_review,
		CASE WHEN $4 THEN (SELECT count(*) FROM partners p JOIN responses r ON r.couple_id = p.couple_id
			AND (r.partner_id = p.id OR r.partner_id IS NULL) AND r.feedback_unread
			WHERE p.user_id = $2 AND p.clinic_id = $1) ELSE 0 END AS new_feedback,
		CASE WHEN $3 THEN (SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id AND r.status = 'submitted'
			AND cardinality(r.concern_fields) > 0
			WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed') ELSE 0 END AS safety_concerns`,
		a.ClinicID, a.UserID, a.Has(actor.RoleCounselor), a.Has(actor.RoleClient))
	return c, err
}

// Point is one day's trust level.
type Point struct {
	Day   string `json:"day"`
	Trust int    `json:"trust"`
}

// Series is one partner's line on the check-in chart.
type Series struct {
	PartnerID int64   `json:"partner_id"`
	Name      string  `json:"name"`
	Points    []Point `json:"points"`
}

// Checkins returns each partner's daily trust level (the "trust" field of
// recurring exercises) over time. The counselor sees submitted check-ins of
// both; a partner sees their own, and the other's only where shared.
func (s *Service) Checkins(ctx context.Context, a actor.Actor, coupleID int64) ([]Series, error) {
	acc, err := coupleAccess(ctx, s.db, a, coupleID)
	if err != nil {
		return nil, err
	}
	if !acc.Counselor && acc.PartnerID == 0 {
		return nil, errNotFound // admins: no clinical content
	}
	var rows []struct {
		PartnerID int64           `db:"partner_id"`
		Name      string          `db:"name"`
		Day       time.Time       `db:"occurs_on"`
		Current   json.RawMessage `db:"current"`
		Submitted json.RawMessage `db:"submitted"`
		Shared    bool            `db:"shared"`
	}
	err = s.db.SelectContext(ctx, &rows, `SELECT r.partner_id, p.name, r.occurs_on, r.answers AS current, r.shared,
			coalesce((SELECT s.answers FROM submissions s WHERE s.response_id = r.id ORDER BY s.id DESC LIMIT 1), 'null') AS submitted
		FROM responses r
		JOIN assignments a ON a.id = r.assignment_id
		JOIN exercise_templates t ON t.id = a.template_id AND t.recurring
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version AND NOT `+privateExpr+`
		JOIN partners p ON p.id = r.partner_id
		WHERE r.couple_id = $1 AND r.clinic_id = $2 AND r.occurs_on IS NOT NULL AND r.occurs_on <= current_date
		ORDER BY p.slot, r.occurs_on`, coupleID, a.ClinicID)
	if err != nil {
		return nil, err
	}
	byPartner := map[int64]*Series{}
	var order []int64
	for _, r := range rows {
		var src json.RawMessage
		switch {
		case acc.PartnerID == r.PartnerID:
			src = r.Current
		case acc.Counselor || (acc.PartnerID != 0 && r.Shared):
			src = r.Submitted
		default:
			continue
		}
		var ans map[string]any
		if json.Unmarshal(src, &ans) != nil {
			continue
		}
		t, ok := ans[exercise.TrustFieldKey].(float64)
		if !ok {
			continue
		}
		s := byPartner[r.PartnerID]
		if s == nil {
			s = &Series{PartnerID: r.PartnerID, Name: r.Name, Points: []Point{}}
			byPartner[r.PartnerID] = s
			order = append(order, r.PartnerID)
		}
		s.Points = append(s.Points, Point{Day: r.Day.Format(time.DateOnly), Trust: int(t)})
	}
	out := []Series{}
	for _, id := range order {
		out = append(out, *byPartner[id])
	}
	return out, nil
}
