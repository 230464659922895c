package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
)

// ResponseView is a response as one caller may see it: answers only where
// the privacy rules allow, feedback only for its authors and counselor.
type ResponseView struct {
	ID          int64          `json:"id"`
	PartnerID   *int64         `json:"partner_id"`
	PartnerName string         `json:"partner_name"`
	Status      string         `json:"status"`
	Version     int            `json:"version"`
	Shared      bool           `json:"shared"`
	Signatures  []Signature    `json:"signatures"`
	OccursOn    *string        `json:"occurs_on"`
	DueAt       *time.Time     `json:"due_at"`
	Overdue     bool           `json:"overdue"`
	SubmittedAt *time.Time     `json:"submitted_at"`
	Answers     map[string]any `json:"answers,omitempty"`
	// AnswersFrom says which text Answers holds: "current" (the live draft)
	// or "submitted" (the latest submitted snapshot).
	AnswersFrom string       `json:"answers_from,omitempty"`
	Mine        bool         `json:"mine"`
	Feedback    []Review     `json:"feedback,omitempty"`
	History     []Submission `json:"history,omitempty"`
	Unread      bool         `json:"feedback_unread"`
	// Concerns are the keys of concerning safety-check answers: for the
	// counselor only.
	Concerns []string `json:"concerns,omitempty"`
	raw      Response
}

// Detail is an assignment with its pinned template version and the
// responses the caller may see.
type Detail struct {
	Assignment
	Schema      exercise.Schema `json:"schema"`
	Description string          `json:"-"`
	ClientText  string          `json:"template_instructions"`
	Responses   []ResponseView  `json:"responses"`
	ReplyOf     *ResponseView   `json:"reply_of,omitempty"`
	access      access
}

// Access tells the caller's relation to the couple (for pages).
func (d Detail) Access() (counselor, admin bool, partnerID int64) {
	return d.access.Counselor, d.access.Admin, d.access.PartnerID
}

// Get returns an assignment the caller may see, with the responses they may
// read. Reads of someone else's clinical content are audited.
func (s *Service) Get(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	var d Detail
	asg, err := getAssignment(ctx, s.db, a.ClinicID, id)
	if err != nil {
		return d, err
	}
	acc, err := coupleAccess(ctx, s.db, a, asg.CoupleID)
	if err != nil {
		return d, err
	}
	if !acc.visibleAssignment(asg) {
		return d, errNotFound
	}
	d.Assignment, d.access = asg, acc
	if !acc.contentReader() {
		d.Instructions = "" // the counselor's words to the couple: not for an admin
	} else {
		if d.Schema, err = schemaOf(ctx, s.db, asg); err != nil {
			return d, err
		}
		var texts struct {
			Description  string `db:"description"`
			Instructions string `db:"instructions"`
		}
		if err := s.db.GetContext(ctx, &texts, `SELECT description, instructions FROM template_versions WHERE template_id = $1 AND version = $2`,
			asg.TemplateID, asg.TemplateVersion); err != nil {
			return d, err
		}
		d.Description, d.ClientText = texts.Description, texts.Instructions
	}
	var rs []Response
	if err := s.db.SelectContext(ctx, &rs, `SELECT * FROM responses WHERE assignment_id = $1 ORDER BY occurs_on NULLS FIRST, partner_id NULLS FIRST, id`, id); err != nil {
		return d, err
	}
	d.Responses, err = s.views(ctx, a, acc, asg, rs, false)
	if err != nil {
		return d, err
	}
	if asg.ReplyTo.Valid && acc.PartnerID != 0 || asg.ReplyTo.Valid && acc.Counselor {
		var orig Response
		if err := s.db.GetContext(ctx, &orig, `SELECT * FROM responses WHERE id = $1`, asg.ReplyTo.Int64); err == nil {
			origAsg, _ := getAssignment(ctx, s.db, a.ClinicID, orig.AssignmentID)
			if vs, err := s.views(ctx, a, acc, origAsg, []Response{orig}, false); err == nil && len(vs) == 1 && vs[0].Answers != nil {
				d.ReplyOf = &vs[0]
			}
		}
	}
	return d, s.auditReads(ctx, a, acc, d.Responses, asg.CoupleID)
}

// GetResponse returns one response with its assignment, for its page.
func (s *Service) GetResponse(ctx context.Context, a actor.Actor, id int64) (Detail, ResponseView, error) {
	var r Response
	err := s.db.GetContext(ctx, &r, `SELECT * FROM responses WHERE id = $1 AND clinic_id = $2`, id, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, ResponseView{}, errNotFound
	}
	if err != nil {
		return Detail{}, ResponseView{}, err
	}
	d, err := s.Get(ctx, a, r.AssignmentID)
	if err != nil {
		return d, ResponseView{}, err
	}
	for _, v := range d.Responses {
		if v.ID == id {
			if v.Answers == nil && !v.Mine {
				return d, v, errNotFound // the caller may know it exists, not open it
			}
			if err := s.withHistory(ctx, d.access, &v); err != nil {
				return d, v, err
			}
			return d, v, nil
		}
	}
	return d, ResponseView{}, errNotFound
}

// views turns responses into what the caller may see.
func (s *Service) views(ctx context.Context, a actor.Actor, acc access, asg Assignment, rs []Response, _ bool) ([]ResponseView, error) {
	names := map[int64]string{}
	var ps []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &ps, `SELECT id, name FROM partners WHERE couple_id = $1`, asg.CoupleID); err != nil {
		return nil, err
	}
	for _, p := range ps {
		names[p.ID] = p.Name
	}
	// Reveal together: per occurrence, are both partners' responses submitted?
	submittedBoth := map[string]int{}
	for _, r := range rs {
		if r.SubmittedAt.Valid {
			submittedBoth[occKey(r)]++
		}
	}
	now := s.now()
	out := make([]ResponseView, 0, len(rs))
	for _, r := range rs {
		v := ResponseView{ID: r.ID, PartnerID: ptrInt(r.PartnerID), Status: r.Status, Version: r.Version, Shared: r.Shared,
			DueAt: ptrTime(r.DueAt), Overdue: r.Overdue(now), SubmittedAt: ptrTime(r.SubmittedAt), Mine: acc.mine(r), raw: r}
		if asg.Status == StatusCancelled && r.Status != Accepted {
			v.Overdue = false
		}
		if r.PartnerID.Valid {
			v.PartnerName = names[r.PartnerID.Int64]
		} else {
			v.PartnerName = "Both partners"
		}
		if r.OccursOn.Valid {
			d := r.OccursOn.Time.Format(time.DateOnly)
			v.OccursOn = &d
		}
		switch acc.readable(asg, r, submittedBoth[occKey(r)] >= 2) {
		case "current":
			json.Unmarshal(r.Answers, &v.Answers)
			v.AnswersFrom = "current"
		case "submitted":
			var raw []byte
			if err := s.db.GetContext(ctx, &raw, `SELECT answers FROM submissions WHERE response_id = $1 ORDER BY id DESC LIMIT 1`, r.ID); err != nil {
				return nil, err
			}
			json.Unmarshal(raw, &v.Answers)
			v.AnswersFrom = "submitted"
		}
		if v.Answers == nil && !v.Mine && acc.PartnerID != 0 || !acc.contentReader() {
			// The other partner's choice shows only as what they let you read;
			// an admin gets statuses and dates, not the partners' choices.
			v.Shared = false
		}
		if !r.PartnerID.Valid {
			sigs, err := signaturesOf(ctx, s.db, r.ID)
			if err != nil {
				return nil, err
			}
			v.Signatures = sigs
		} else {
			v.Signatures = []Signature{}
		}
		if acc.Counselor && len(r.ConcernFields) > 0 {
			v.Concerns = r.ConcernFields
		}
		if v.Mine || acc.Counselor {
			if err := s.db.SelectContext(ctx, &v.Feedback, `SELECT * FROM reviews WHERE response_id = $1 ORDER BY id DESC`, r.ID); err != nil {
				return nil, err
			}
			v.Unread = v.Mine && r.FeedbackUnread
		}
		out = append(out, v)
	}
	return out, nil
}

func occKey(r Response) string {
	return r.OccursOn.Time.Format(time.DateOnly)
}

// withHistory adds the submission snapshots, for the counselor and authors.
func (s *Service) withHistory(ctx context.Context, acc access, v *ResponseView) error {
	if !v.Mine && !acc.Counselor {
		return nil
	}
	return s.db.SelectContext(ctx, &v.History, `SELECT * FROM submissions WHERE response_id = $1 ORDER BY id DESC`, v.ID)
}

// MarkFeedbackRead clears the unread flag when the author opens feedback.
func (s *Service) MarkFeedbackRead(ctx context.Context, a actor.Actor, v ResponseView) error {
	if !v.Mine || !v.Unread {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE responses SET feedback_unread = false WHERE id = $1 AND clinic_id = $2`, v.ID, a.ClinicID)
	return err
}

// auditReads records, in one event per request, every read of clinical
// content (answers or a counselor's comments), the caller's own included:
// ids only, never the content.
func (s *Service) auditReads(ctx context.Context, a actor.Actor, acc access, vs []ResponseView, coupleID int64) error {
	var ids []int64
	for _, v := range vs {
		if v.Answers != nil || len(v.Feedback) > 0 {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "assignment",
		ObjectID: vs[0].raw.AssignmentID, CoupleID: coupleID, Detail: map[string]any{"responses": ids}})
}

// Summary is one assignment in a list: statuses and dates, no content.
type Summary struct {
	Assignment
	CounselorID   int64 `db:"couple_counselor_id"`
	CallerPartner bool  `db:"caller_partner"`
	Total         int   `db:"total"`
	Open          int   `db:"open"`
	Waiting       int   `db:"waiting"`
	Done          int   `db:"done"`
	OverdueN      int   `db:"overdue"`
}

// ListFilter narrows a list of assignments.
type ListFilter struct {
	CoupleID int64
	Status   string // active | cancelled
	After    int64  // keyset: assignments with a smaller id
	Limit    int
}

// List returns the assignments the caller may know about, newest first:
// a counselor's caseload, a client's couple (less the other partner's
// safety check), or, for an admin, the clinic (statuses only).
func (s *Service) List(ctx context.Context, a actor.Actor, f ListFilter) ([]Summary, error) {
	if f.Status != "" && f.Status != StatusActive && f.Status != StatusCancelled {
		return nil, apperr.New(apperr.BadRequest, "status must be active or cancelled")
	}
	var scope string
	switch {
	case a.Has(actor.RoleAdmin):
		scope = `$2::bigint > 0` // every assignment of the clinic; $2 keeps its type
	case a.Has(actor.RoleCounselor):
		scope = `c.counselor_id = $2`
	default:
		scope = `EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2)`
	}
	// Whatever the role, a partner of the couple never learns of the other
	// partner's safety check (a person may be staff and client in one clinic).
	scope += ` AND NOT EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2
			AND ` + privateExpr + ` AND a.partner_id IS DISTINCT FROM me.id)`
	items := []Summary{}
	err := s.db.SelectContext(ctx, &items, `SELECT `+assignmentCols+`, c.counselor_id AS couple_counselor_id,
		EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2) AS caller_partner,
		(SELECT count(*) FROM responses r WHERE r.assignment_id = a.id) AS total,
		(SELECT count(*) FROM responses r WHERE r.assignment_id = a.id AND r.status IN ('draft','revision_requested')
			AND (r.occurs_on IS NULL OR r.occurs_on <= current_date)) AS open,
		(SELECT count(*) FROM responses r WHERE r.assignment_id = a.id AND r.status = 'submitted') AS waiting,
		(SELECT count(*) FROM responses r WHERE r.assignment_id = a.id AND r.status = 'accepted') AS done,
		(SELECT count(*) FROM responses r WHERE r.assignment_id = a.id AND r.status IN ('draft','revision_requested') AND r.due_at < now()) AS overdue
		`+assignmentFrom+` WHERE a.clinic_id = $1 AND `+scope+`
		AND ($3 = 0 OR a.couple_id = $3) AND ($4 = '' OR a.status = $4) AND ($5 = 0 OR a.id < $5)
		ORDER BY a.id DESC LIMIT $6`, a.ClinicID, a.UserID, f.CoupleID, f.Status, f.After, f.Limit)
	if err != nil {
		return nil, err
	}
	// The counselor's instructions are clinical content: an admin (who is
	// not the couple's counselor) gets statuses and dates only.
	if a.Has(actor.RoleAdmin) {
		for i := range items {
			if !(a.Has(actor.RoleCounselor) && items[i].CounselorID == a.UserID) && !items[i].CallerPartner {
				items[i].Instructions = ""
			}
		}
	}
	return items, nil
}

// MarshalJSON writes the assignment with its version's fields and the
// responses the caller may see.
func (d Detail) MarshalJSON() ([]byte, error) {
	extra := map[string]any{"schema": d.Schema, "template_instructions": d.ClientText, "responses": d.Responses}
	if d.ReplyOf != nil {
		extra["reply_of"] = d.ReplyOf
	}
	return withAssignment(d.Assignment, extra)
}

// MarshalJSON writes the assignment with its counts.
func (s Summary) MarshalJSON() ([]byte, error) {
	return withAssignment(s.Assignment, map[string]any{"responses": s.Total, "open": s.Open,
		"awaiting_review": s.Waiting, "accepted": s.Done, "overdue": s.OverdueN})
}
