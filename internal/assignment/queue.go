package assignment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
)

// WaitsForReviewSQL is the rule of the review queue and of every count of
// work "waiting for review", for a submitted response r of assignment a:
// its exercise needs a review (what its template said when it was
// assigned), or it is a safety check with concerning answers, which is
// never left out of the queue whatever its template says. Work that does
// not wait is still submitted: it feeds the chart, the couple page and the
// digest's new submissions, and the counselor can review it from there.
func WaitsForReviewSQL(r, a string) string {
	return fmt.Sprintf(`(%[1]s.status = 'submitted' AND (%[2]s.needs_review OR cardinality(%[1]s.concern_fields) > 0))`, r, a)
}

// QueueItem is one response waiting for the counselor's review.
type QueueItem struct {
	ResponseID    int64        `db:"response_id" json:"response_id"`
	AssignmentID  int64        `db:"assignment_id" json:"assignment_id"`
	CoupleID      int64        `db:"couple_id" json:"couple_id"`
	CoupleLabel   string       `db:"couple_label" json:"couple_label"`
	TemplateID    int64        `db:"template_id" json:"template_id"`
	TemplateTitle string       `db:"template_title" json:"template_title"`
	PartnerID     *int64       `db:"partner_id" json:"partner_id"` // null: a joint response
	PartnerName   string       `db:"partner_name" json:"partner_name"`
	OccursOn      sql.NullTime `db:"occurs_on" json:"-"`
	DueAt         sql.NullTime `db:"due_at" json:"-"`
	SubmittedAt   time.Time    `db:"submitted_at" json:"submitted_at"`
	Concern       bool         `db:"concern" json:"safety_concern"`
	DueJSON       *time.Time   `db:"-" json:"due_at"`
}

// Cursor is a keyset position in the queue's order: concerning safety
// checks first (Concern), then by submission time and id.
type Cursor struct {
	Concern bool
	At      time.Time
	ID      int64
}

// CursorOf is the position of an item.
func CursorOf(it QueueItem) Cursor {
	return Cursor{Concern: it.Concern, At: it.SubmittedAt, ID: it.ResponseID}
}

// QueueFilter narrows the review queue; a zero id is "any".
type QueueFilter struct {
	CoupleID   int64
	PartnerID  int64 // the partner's own work and the couple's joint work
	TemplateID int64
}

// Empty reports whether the filter narrows nothing.
func (f QueueFilter) Empty() bool { return f == QueueFilter{} }

var errNoSuchChoice = apperr.New(apperr.NotFound, "We could not find that page.")

// checkFilter answers 404 for an id the counselor may not filter by: a
// couple that is not theirs, a partner of such a couple, an exercise they
// neither see in the library nor assigned: the same answer as an id that
// does not exist, so a filter tells no one what exists elsewhere. A
// partner of another couple than the chosen one is a 422.
func (s *Service) checkFilter(ctx context.Context, a actor.Actor, f QueueFilter) error {
	if f.CoupleID != 0 {
		var ok bool
		if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM couples c WHERE c.id = $1 AND c.clinic_id = $2 AND c.counselor_id = $3)`,
			f.CoupleID, a.ClinicID, a.UserID); err != nil {
			return err
		}
		if !ok {
			return errNoSuchChoice
		}
	}
	if f.PartnerID != 0 {
		var couple int64
		err := s.db.GetContext(ctx, &couple, `SELECT p.couple_id FROM partners p JOIN couples c ON c.id = p.couple_id
			WHERE p.id = $1 AND c.clinic_id = $2 AND c.counselor_id = $3`, f.PartnerID, a.ClinicID, a.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoSuchChoice
		}
		if err != nil {
			return err
		}
		if f.CoupleID != 0 && couple != f.CoupleID {
			return apperr.Fields("That partner is not in that couple.", map[string]string{"partner_id": "Choose a partner of the chosen couple, or any couple."})
		}
	}
	if f.TemplateID != 0 {
		var ok bool
		if err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM exercise_templates t WHERE t.id = $1 AND `+visibleTemplate+`)
			OR EXISTS (SELECT 1 FROM assignments x JOIN couples c ON c.id = x.couple_id
				WHERE x.template_id = $1 AND c.clinic_id = $2 AND c.counselor_id = $3)`, f.TemplateID, a.ClinicID, a.UserID); err != nil {
			return err
		}
		if !ok {
			return errNoSuchChoice
		}
	}
	return nil
}

// Queue lists submitted responses waiting for the counselor's review
// (WaitsForReviewSQL) across their caseload, narrowed by f: concerning
// safety checks first, then oldest first. One query, keyset-paginated on
// (no concern, submitted_at, id), so a page boundary inside the concerning
// ones and one after them both continue where they left off.
func (s *Service) Queue(ctx context.Context, a actor.Actor, f QueueFilter, after *Cursor, limit int) ([]QueueItem, error) {
	if err := s.checkFilter(ctx, a, f); err != nil {
		return nil, err
	}
	return s.queue(ctx, a, f, after, limit)
}

func (s *Service) queue(ctx context.Context, a actor.Actor, f QueueFilter, after *Cursor, limit int) ([]QueueItem, error) {
	items := []QueueItem{}
	q := `SELECT r.id AS response_id, r.assignment_id, r.couple_id, c.label AS couple_label, a.template_id, v.title AS template_title,
			r.partner_id, coalesce(p.name, 'Both partners') AS partner_name, r.occurs_on, r.due_at, r.submitted_at,
			cardinality(r.concern_fields) > 0 AS concern
		FROM couples c
		JOIN responses r ON r.couple_id = c.id AND r.status = 'submitted'
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		LEFT JOIN partners p ON p.id = r.partner_id
		WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed' AND ` + WaitsForReviewSQL("r", "a") + `
		  AND ($6 = 0 OR c.id = $6) AND ($7 = 0 OR r.partner_id = $7 OR (r.partner_id IS NULL AND EXISTS
			(SELECT 1 FROM partners me WHERE me.id = $7 AND me.couple_id = c.id)))
		  AND ($8 = 0 OR a.template_id = $8)
		  AND ($3::timestamptz IS NULL OR (cardinality(r.concern_fields) = 0, r.submitted_at, r.id) > (NOT $9, $3, $4))
		ORDER BY cardinality(r.concern_fields) = 0, r.submitted_at, r.id LIMIT $5`
	var at *time.Time
	var id int64
	var concern bool
	if after != nil {
		at, id, concern = &after.At, after.ID, after.Concern
	}
	if err := s.db.SelectContext(ctx, &items, q, a.ClinicID, a.UserID, at, id, limit, f.CoupleID, f.PartnerID, f.TemplateID, concern); err != nil {
		return nil, err
	}
	for i := range items {
		items[i].DueJSON = ptrTime(items[i].DueAt)
	}
	return items, nil
}

// ReviewQueue is Queue without a filter.
func (s *Service) ReviewQueue(ctx context.Context, a actor.Actor, after *Cursor, limit int) ([]QueueItem, error) {
	return s.queue(ctx, a, QueueFilter{}, after, limit)
}

// NextInQueue is the item to review after the one at cur in the same
// filter: the next one in the queue's order, or, when none follows, the
// first one still waiting (one skipped earlier); nil when the queue is
// empty. The item just decided on is no longer waiting, so it never comes
// back.
func (s *Service) NextInQueue(ctx context.Context, a actor.Actor, f QueueFilter, cur Cursor) (*QueueItem, error) {
	if err := s.checkFilter(ctx, a, f); err != nil {
		return nil, err
	}
	for _, after := range []*Cursor{&cur, nil} {
		items, err := s.queue(ctx, a, f, after, 1)
		if err != nil || len(items) > 0 {
			if err != nil {
				return nil, err
			}
			return &items[0], nil
		}
	}
	return nil, nil
}

// QueueChoices are what the counselor may filter the queue by: their
// couples, those couples' partners and the exercises assigned to them.
type QueueChoices struct {
	Couples   []FilterChoice `json:"couples"`
	Partners  []FilterChoice `json:"partners"`
	Exercises []FilterChoice `json:"exercises"`
}

// FilterChoice is one option of a filter.
type FilterChoice struct {
	ID    int64  `db:"id" json:"id"`
	Label string `db:"label" json:"label"`
}

// ReviewQueueChoices lists the queue's filter options for the counselor
// (couples not closed, as the queue shows).
func (s *Service) ReviewQueueChoices(ctx context.Context, a actor.Actor) (QueueChoices, error) {
	ch := QueueChoices{Couples: []FilterChoice{}, Partners: []FilterChoice{}, Exercises: []FilterChoice{}}
	const mine = `c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed'`
	if err := s.db.SelectContext(ctx, &ch.Couples, `SELECT c.id, c.label FROM couples c WHERE `+mine+`
		ORDER BY lower(c.label), c.id LIMIT 1000`, a.ClinicID, a.UserID); err != nil {
		return ch, err
	}
	if err := s.db.SelectContext(ctx, &ch.Partners, `SELECT p.id, p.name || ' (' || c.label || ')' AS label
		FROM partners p JOIN couples c ON c.id = p.couple_id WHERE `+mine+`
		ORDER BY lower(c.label), c.id, lower(p.name), p.id LIMIT 2000`, a.ClinicID, a.UserID); err != nil {
		return ch, err
	}
	err := s.db.SelectContext(ctx, &ch.Exercises, `SELECT t.id, t.title AS label FROM exercise_templates t
		WHERE t.id IN (SELECT x.template_id FROM assignments x JOIN couples c ON c.id = x.couple_id WHERE `+mine+`)
		ORDER BY lower(t.title), t.id LIMIT 1000`, a.ClinicID, a.UserID)
	return ch, err
}

// CheckQueueFilter answers what Queue answers for a filter it refuses (404
// for an id the counselor may not filter by), before anything is done.
func (s *Service) CheckQueueFilter(ctx context.Context, a actor.Actor, f QueueFilter) error {
	return s.checkFilter(ctx, a, f)
}

// NextAfterReview is the item to open after the counselor decided on
// response id (NextInQueue from its place in the queue's order).
func (s *Service) NextAfterReview(ctx context.Context, a actor.Actor, f QueueFilter, id int64) (*QueueItem, error) {
	var cur Cursor
	err := s.db.QueryRowxContext(ctx, `SELECT cardinality(r.concern_fields) > 0, r.submitted_at, r.id FROM responses r
		JOIN couples c ON c.id = r.couple_id
		WHERE r.id = $1 AND r.clinic_id = $2 AND c.counselor_id = $3 AND r.submitted_at IS NOT NULL`, id, a.ClinicID, a.UserID).
		Scan(&cur.Concern, &cur.At, &cur.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.NextInQueue(ctx, a, f, cur)
}
