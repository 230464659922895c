// Package assignment is the heart of Mend: counselors assign exercises to a
// couple, partners complete them (drafts, sharing, joint signatures), and
// counselors review what comes back. It owns the privacy rules between
// partners: who may read which answers, and when.
package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/notify"
)

// Modes and states.
const (
	ModeIndividual = "individual"
	ModeEach       = "each"
	ModeJoint      = "joint"

	RevealPrivate  = "private"
	RevealTogether = "together"

	StatusActive    = "active"
	StatusCancelled = "cancelled"

	// A couple's status, as assignment rules read it (internal/clinic owns it).
	CouplePaused = "paused"

	Draft             = "draft"
	Submitted         = "submitted"
	RevisionRequested = "revision_requested"
	Accepted          = "accepted"
)

// Limits.
const (
	MaxInstructions = 4000
	MaxComment      = 8000
	MaxOccurrences  = 366
)

// Service holds the assignment rules.
type Service struct {
	db     *sqlx.DB
	audit  *audit.Logger
	notify *notify.Service
	now    func() time.Time
}

// NewService returns the assignment service; partners and counselors are
// told what happened through n (nil: nobody is told, for unit tests).
func NewService(d *sqlx.DB, a *audit.Logger, n *notify.Service) *Service {
	return &Service{db: d, audit: a, notify: n, now: time.Now}
}

// tell notifies the accounts of the named partners of a couple (the
// partners who have joined) about ev, in tx.
func (s *Service) tell(ctx context.Context, tx *db.Tx, a actor.Actor, ev notify.Event, coupleID int64, partnerIDs ...int64) error {
	if s.notify == nil {
		return nil
	}
	users, err := notify.PartnerUsers(ctx, tx, coupleID, partnerIDs...)
	if err != nil {
		return err
	}
	ev.ClinicID, ev.ActorID = a.ClinicID, a.UserID
	return s.notify.Tell(ctx, tx, ev, users...)
}

// tellCounselor notifies a couple's counselor about ev, in tx.
func (s *Service) tellCounselor(ctx context.Context, tx *db.Tx, a actor.Actor, ev notify.Event, counselorID int64) error {
	ev.ClinicID, ev.ActorID = a.ClinicID, a.UserID
	return s.notify.Tell(ctx, tx, ev, counselorID)
}

// WithClock returns a copy of the service that reads the current time from
// now: for tests and tools that act at a chosen instant (the days of
// recurring work, "today", what is overdue).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// Assignment is one exercise given to a couple.
type Assignment struct {
	ID              int64          `db:"id" json:"id"`
	ClinicID        int64          `db:"clinic_id" json:"-"`
	CoupleID        int64          `db:"couple_id" json:"couple_id"`
	CoupleLabel     string         `db:"couple_label" json:"couple_label"`
	CoupleStatus    string         `db:"couple_status" json:"-"`
	TemplateID      int64          `db:"template_id" json:"template_id"`
	TemplateVersion int            `db:"template_version" json:"template_version"`
	TemplateTitle   string         `db:"template_title" json:"template_title"`
	Private         bool           `db:"private_to_counselor" json:"private_to_counselor"`
	Measure         string         `db:"measure" json:"measure,omitempty"` // the pinned version's validated measure ("csi-4"), or ""
	Mode            string         `db:"mode" json:"mode"`
	PartnerID       sql.NullInt64  `db:"partner_id" json:"-"`
	Reveal          string         `db:"reveal" json:"reveal"`
	ReplyTo         sql.NullInt64  `db:"reply_to" json:"-"`
	DueAt           sql.NullTime   `db:"due_at" json:"-"`
	Instructions    string         `db:"instructions" json:"instructions"`
	RecurEvery      sql.NullString `db:"recur_every" json:"-"`
	RecurUntil      sql.NullTime   `db:"recur_until" json:"-"`
	Status          string         `db:"status" json:"status"`
	// ReviewBeforeSharing: its authors may share a submission with the other
	// partner only once the counselor has accepted it.
	ReviewBeforeSharing bool `db:"review_before_sharing" json:"review_before_sharing"`
	// NeedsReview: its submitted work waits in the counselor's review queue
	// (what its template said when it was assigned). Work that does not is
	// still open to a review from the couple page.
	NeedsReview bool      `db:"needs_review" json:"needs_review"`
	CreatedBy   int64     `db:"created_by" json:"-"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time `db:"updated_at" json:"updated_at"`
	// partnerView: this is the other partner's one-partner work, as its
	// other partner sees it (othersAssignment): what it is and State only.
	partnerView bool
	// State is the coarse state of the other partner's work (partnerView).
	State string `db:"-" json:"-"`
}

// PartnerView reports whether the assignment is the other partner's
// one-partner work as its other partner sees it: its title and coarse
// State, nothing of its instructions, dates, status or review.
func (a Assignment) PartnerView() bool { return a.partnerView }

// forOtherPartner is the assignment as the other partner may see it.
func (a Assignment) forOtherPartner(state string) Assignment {
	return Assignment{ID: a.ID, ClinicID: a.ClinicID, CoupleID: a.CoupleID, CoupleLabel: a.CoupleLabel, CoupleStatus: a.CoupleStatus,
		TemplateID: a.TemplateID, TemplateVersion: a.TemplateVersion, TemplateTitle: a.TemplateTitle, Private: a.Private, Mode: a.Mode,
		PartnerID: a.PartnerID, Reveal: a.Reveal, ReplyTo: a.ReplyTo, Status: StatusActive, ReviewBeforeSharing: a.ReviewBeforeSharing,
		partnerView: true, State: state}
}

// MarshalJSON writes nullable fields as null or values. The other partner's
// one-partner work (PartnerView) keeps the same keys, its status, times,
// instructions and recurrence null, with its coarse "state".
func (a Assignment) MarshalJSON() ([]byte, error) {
	if a.partnerView {
		return json.Marshal(map[string]any{"id": a.ID, "couple_id": a.CoupleID, "couple_label": a.CoupleLabel,
			"template_id": a.TemplateID, "template_version": a.TemplateVersion, "template_title": a.TemplateTitle,
			"private_to_counselor": false, "mode": a.Mode, "partner_id": ptrInt(a.PartnerID), "reveal": a.Reveal,
			"reply_to": ptrInt(a.ReplyTo), "state": a.State, "status": nil, "instructions": nil, "due_at": nil,
			"recurrence": nil, "created_at": nil, "updated_at": nil})
	}
	type plain Assignment
	out := struct {
		plain
		PartnerID  *int64          `json:"partner_id"`
		ReplyTo    *int64          `json:"reply_to"`
		DueAt      *time.Time      `json:"due_at"`
		Recurrence *map[string]any `json:"recurrence"`
	}{plain: plain(a), PartnerID: ptrInt(a.PartnerID), ReplyTo: ptrInt(a.ReplyTo), DueAt: ptrTime(a.DueAt)}
	if a.RecurEvery.Valid {
		out.Recurrence = &map[string]any{"every": a.RecurEvery.String, "until": a.RecurUntil.Time.Format(time.DateOnly)}
	}
	return json.Marshal(out)
}

// Response is one partner's (or the couple's joint) work on an assignment.
type Response struct {
	ID           int64           `db:"id"`
	ClinicID     int64           `db:"clinic_id"`
	CoupleID     int64           `db:"couple_id"`
	AssignmentID int64           `db:"assignment_id"`
	PartnerID    sql.NullInt64   `db:"partner_id"`
	OccursOn     sql.NullTime    `db:"occurs_on"`
	DueAt        sql.NullTime    `db:"due_at"`
	Status       string          `db:"status"`
	Answers      json.RawMessage `db:"answers"`
	Version      int             `db:"version"`
	// Shared is the author's last choice about sharing (it pre-sets the
	// question at the next submission); SharedSubmissionID is what the other
	// partner may read: the submission the author shared, or none.
	Shared             bool          `db:"shared"`
	SharedSubmissionID sql.NullInt64 `db:"shared_submission_id"`
	StartedAt          sql.NullTime  `db:"started_at"`
	SubmittedAt        sql.NullTime  `db:"submitted_at"`
	ReviewedAt         sql.NullTime  `db:"reviewed_at"`
	FeedbackUnread     bool          `db:"feedback_unread"`
	UpdatedAt          time.Time     `db:"updated_at"`
	// ConcernFields are the keys of a safety check's concerning answers.
	ConcernFields pq.StringArray `db:"concern_fields"`
}

// The columns each struct reads, named so an instance of this release keeps
// working while a newer one adds columns (see docs/migrations.md): never a
// star (all columns), which sqlx refuses to scan once the table has a
// column the struct does not know ("missing destination name").
const (
	responseCols = `id, clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at, status, answers,
		version, shared, shared_submission_id, started_at, submitted_at, reviewed_at, feedback_unread, updated_at, concern_fields`
	submissionCols = `id, response_id, version, answers, submitted_by, submitted_at, signatures`
	reviewCols     = `id, response_id, submission_id, counselor_id, decision, comment, created_at`
)

// Signature is one partner's signature of a joint response's version.
type Signature struct {
	ResponseID int64     `db:"response_id" json:"-"`
	PartnerID  int64     `db:"partner_id" json:"partner_id"`
	Version    int       `db:"version" json:"version"`
	SignedAt   time.Time `db:"signed_at" json:"signed_at"`
	// Name is the signing partner's name, for pages.
	Name string `db:"-" json:"-"`
}

// SignedText is what one partner last signed of a joint response: the
// version and its answers, kept when a later edit clears the signature.
// Changed lists the answers' keys that differ from the text the caller now
// reads (sorted; [] when nothing changed). Only the signing partner gets
// their own, and only where they read the live draft: never the
// counselor, an admin or the other partner.
type SignedText struct {
	ResponseID int64           `db:"response_id" json:"-"`
	Version    int             `db:"version" json:"version"`
	SignedAt   time.Time       `db:"signed_at" json:"signed_at"`
	Answers    json.RawMessage `db:"answers" json:"answers"`
	Changed    []string        `db:"-" json:"changed_since_signed"`
}

// Signatures are the signatures a submission was submitted with, kept as
// JSON in the snapshot (the live ones are cleared by the next edit).
type Signatures []Signature

// Scan reads the jsonb column.
func (s *Signatures) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*s = Signatures{}
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("assignment: cannot scan %T into Signatures", src)
	}
	out := Signatures{}
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	*s = out
	return nil
}

// Submission is a kept snapshot of a submitted response.
type Submission struct {
	ID          int64           `db:"id" json:"id"`
	ResponseID  int64           `db:"response_id" json:"-"`
	Version     int             `db:"version" json:"version"`
	Answers     json.RawMessage `db:"answers" json:"answers"`
	SubmittedBy int64           `db:"submitted_by" json:"submitted_by"`
	SubmittedAt time.Time       `db:"submitted_at" json:"submitted_at"`
	// Signatures of a joint response's submitted version ([] otherwise).
	Signatures Signatures `db:"signatures" json:"signatures"`
}

// Review is a counselor's decision and comment on a submission.
type Review struct {
	ID           int64     `db:"id" json:"id"`
	ResponseID   int64     `db:"response_id" json:"-"`
	SubmissionID int64     `db:"submission_id" json:"submission_id"`
	CounselorID  int64     `db:"counselor_id" json:"counselor_id"`
	Decision     string    `db:"decision" json:"decision"`
	Comment      string    `db:"comment" json:"comment"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
}

// Overdue reports whether an open response is past its due time.
func (r Response) Overdue(now time.Time) bool {
	return r.DueAt.Valid && r.DueAt.Time.Before(now) && (r.Status == Draft || r.Status == RevisionRequested)
}

func ptrInt(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	return &n.Int64
}

func ptrTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	return &t.Time
}

// withAssignment writes an assignment's JSON with extra keys merged in
// (Detail and Summary embed Assignment, whose MarshalJSON would otherwise
// hide their own fields).
func withAssignment(a Assignment, extra map[string]any) ([]byte, error) {
	base, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(base, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		m[k] = v
	}
	return json.Marshal(m)
}
