// Package notify tells people what happened between sessions: one row per
// person in "What's new" (in the app, where titles may show) and, for the
// kinds that have one, a neutral mail (see internal/mail). Both are written
// in the transaction of the change that caused them, so a person is told
// if and only if it happened.
//
// A person is only ever told of what they may see: callers name the
// recipients, and List shows a row only while its reader still has the
// relation to the couple that the row was written for.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
)

// Kind is what a notification is about.
type Kind string

// The kinds of notification, and the mail each sends (none: in the app only).
const (
	WorkAssigned    Kind = "work.assigned"      // partners who must do it
	WorkRevise      Kind = "work.revise"        // the author(s): revision requested
	WorkAccepted    Kind = "work.accepted"      // the author(s)
	WorkShared      Kind = "work.shared"        // the other partner
	WorkRevealed    Kind = "work.revealed"      // both partners: reveal together complete
	WorkSubmitted   Kind = "work.submitted"     // the counselor (mail: the daily digest instead)
	SafetyConcern   Kind = "safety.concern"     // the counselor, mailed at once
	MailUndelivered Kind = "mail.undeliverable" // the clinic's admins
	CounselorJoined Kind = "counselor.joined"   // the clinic's admins
	CoupleTakenOver Kind = "couple.taken_over"  // the previous counselor
	DueMoved        Kind = "work.due_moved"     // partners: a due date changed
	// SessionMoved and SessionCancelled tell the partners (work due before
	// the session follows it; see internal/appointment).
	SessionMoved     Kind = "session.moved"
	SessionCancelled Kind = "session.cancelled"
	// A measure's score needs the counselor's eye (in the app; the daily
	// digest counts them, internal/measure.AlertCounts): it crossed the
	// cut-off into distress, dropped by the reliable-change figure or more,
	// or the partners moved apart.
	MeasureDistress Kind = "measure.distress"
	MeasureDrop     Kind = "measure.drop"
	MeasureApart    Kind = "measure.apart"
)

var mailOf = map[Kind]mail.Kind{
	WorkAssigned: mail.NewWork, WorkRevise: mail.Feedback, WorkAccepted: mail.Feedback, WorkShared: mail.PartnerShared,
	WorkRevealed: mail.BothSubmitted, SafetyConcern: mail.SafetyAlert, MailUndelivered: mail.Undeliverable,
	CounselorJoined: mail.CounselorJoined, CoupleTakenOver: mail.CaseloadChanged,
	SessionMoved: mail.SessionMoved, SessionCancelled: mail.SessionCancelled,
}

// Event is one thing that happened, naming its objects by id.
type Event struct {
	Kind         Kind
	ClinicID     int64
	ActorID      int64 // who caused it (0: Mend itself)
	CoupleID     int64
	AssignmentID int64
	ResponseID   int64
	// Who is a name the mail may carry (a staff member's, never a client's).
	Who string
	// When is a time the mail may carry (a session's new or cancelled start).
	When time.Time
}

// Service writes notifications.
type Service struct {
	db     *sqlx.DB
	outbox *mail.Outbox
	now    func() time.Time
}

// New returns the notification service; outbox may be nil (no mail).
func New(d *sqlx.DB, o *mail.Outbox) *Service { return &Service{db: d, outbox: o, now: time.Now} }

// Tell records ev for each user (duplicates and zero ids are skipped) and
// queues its mail, inside tx.
func (s *Service) Tell(ctx context.Context, tx *db.Tx, ev Event, userIDs ...int64) error {
	if s == nil {
		return nil // services built without notifications (unit tests)
	}
	seen := map[int64]bool{}
	for _, uid := range userIDs {
		if uid == 0 || seen[uid] {
			continue
		}
		seen[uid] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (clinic_id, user_id, kind, actor_id, couple_id, assignment_id, response_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, ev.ClinicID, uid, string(ev.Kind), nullID(ev.ActorID), nullID(ev.CoupleID),
			nullID(ev.AssignmentID), nullID(ev.ResponseID)); err != nil {
			return fmt.Errorf("notify %s: %w", ev.Kind, err)
		}
		if mk, ok := mailOf[ev.Kind]; ok && s.outbox != nil {
			if err := s.outbox.Queue(ctx, tx, mail.Args{What: mk, ClinicID: ev.ClinicID, UserID: uid, Who: ev.Who, When: ev.When}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Mail queues a mail that has no in-app row (account notices, links).
func (s *Service) Mail(ctx context.Context, tx *db.Tx, a mail.Args) error {
	if s == nil || s.outbox == nil {
		return nil
	}
	return s.outbox.Queue(ctx, tx, a)
}

// PartnerUsers returns the accounts of a couple's partners, or of the named
// partner rows only (partners who have not joined yet have none).
func PartnerUsers(ctx context.Context, q sqlx.QueryerContext, coupleID int64, partnerIDs ...int64) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT user_id FROM partners
		WHERE couple_id = $1 AND user_id IS NOT NULL AND (coalesce(cardinality($2::bigint[]), 0) = 0 OR id = ANY($2)) ORDER BY slot`,
		coupleID, pq.Array(partnerIDs))
	return ids, err
}

// Admins returns the active admins of a clinic.
func Admins(ctx context.Context, q sqlx.QueryerContext, clinicID int64) ([]int64, error) {
	var ids []int64
	err := sqlx.SelectContext(ctx, q, &ids, `SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id AND u.active
		WHERE m.clinic_id = $1 AND m.role = 'clinic_admin' AND m.active ORDER BY m.user_id`, clinicID)
	return ids, err
}

// MailFailed tells the clinic's admins that a mail could not be delivered
// (the hook of mail.Worker). A failed "undeliverable" notice itself is
// only shown in the app, so a broken address cannot start a loop.
func (s *Service) MailFailed(ctx context.Context, tx *db.Tx, f mail.Failure) error {
	if f.ClinicID == 0 {
		return nil
	}
	admins, err := Admins(ctx, tx, f.ClinicID)
	if err != nil {
		return err
	}
	teller := s
	if f.Kind == mail.Undeliverable {
		teller = &Service{db: s.db, now: s.now} // no outbox: in the app only
	}
	return teller.Tell(ctx, tx, Event{Kind: MailUndelivered, ClinicID: f.ClinicID}, admins...)
}

// Item is one row of "What's new", worded for its reader.
type Item struct {
	ID        int64     `json:"id"`
	Kind      Kind      `json:"kind"`
	Text      string    `json:"text"`
	Link      string    `json:"link"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

type row struct {
	ID           int64          `db:"id"`
	Kind         Kind           `db:"kind"`
	CreatedAt    time.Time      `db:"created_at"`
	Read         bool           `db:"is_read"`
	ActorName    sql.NullString `db:"actor_name"`
	CoupleID     sql.NullInt64  `db:"couple_id"`
	CoupleLabel  sql.NullString `db:"couple_label"`
	AssignmentID sql.NullInt64  `db:"assignment_id"`
	ResponseID   sql.NullInt64  `db:"response_id"`
	Title        sql.NullString `db:"title"`
	PartnerName  sql.NullString `db:"partner_name"`
}

// visible keeps a row only while its reader holds the relation it was
// written for: the couple's counselor now, one of its partners, or an
// admin for the clinic's own notices.
const visible = `(n.couple_id IS NULL OR c.counselor_id = n.user_id
	OR EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = n.couple_id AND p.user_id = n.user_id)
	OR n.kind = 'couple.taken_over')`

const listSQL = `SELECT n.id, n.kind, n.created_at, n.read_at IS NOT NULL AS is_read, u.name AS actor_name,
		n.couple_id, c.label AS couple_label, n.assignment_id, n.response_id, v.title,
		(SELECT p.name FROM responses r JOIN partners p ON p.id = r.partner_id WHERE r.id = n.response_id) AS partner_name
	FROM notifications n
	LEFT JOIN users u ON u.id = n.actor_id
	LEFT JOIN couples c ON c.id = n.couple_id
	LEFT JOIN assignments a ON a.id = n.assignment_id
	LEFT JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
	WHERE n.user_id = $1 AND n.clinic_id = $2 AND ($3::bigint = 0 OR n.id < $3) AND ` + visible + `
	ORDER BY n.id DESC LIMIT $4`

// List returns the caller's notifications in their clinic, newest first,
// before the id `before` (0: from the newest).
func (s *Service) List(ctx context.Context, a actor.Actor, before int64, limit int) ([]Item, error) {
	var rows []row
	if err := s.db.SelectContext(ctx, &rows, listSQL, a.UserID, a.ClinicID, before, limit); err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(rows))
	for _, r := range rows {
		items = append(items, word(r))
	}
	return items, nil
}

// Unread counts the caller's unread notifications in their clinic.
func (s *Service) Unread(ctx context.Context, a actor.Actor) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM notifications n LEFT JOIN couples c ON c.id = n.couple_id
		WHERE n.user_id = $1 AND n.clinic_id = $2 AND n.read_at IS NULL AND `+visible, a.UserID, a.ClinicID)
	return n, err
}

// UnreadSQL is Unread as a scalar subquery for a combined count query: $1
// the user, $2 the clinic.
const UnreadSQL = `(SELECT count(*) FROM notifications n LEFT JOIN couples c ON c.id = n.couple_id
	WHERE n.user_id = $2 AND n.clinic_id = $1 AND n.read_at IS NULL AND ` + visible + `)`

var errNoNotification = apperr.New(apperr.NotFound, "We could not find that notification.")

// Open marks one of the caller's notifications read and returns where it leads.
func (s *Service) Open(ctx context.Context, a actor.Actor, id int64) (Item, error) {
	var r row
	err := s.db.GetContext(ctx, &r, `WITH marked AS (UPDATE notifications SET read_at = coalesce(read_at, now())
			WHERE id = $1 AND user_id = $2 AND clinic_id = $3 RETURNING id, kind, created_at, actor_id, couple_id, assignment_id, response_id, user_id)
		SELECT n.id, n.kind, n.created_at, true AS is_read, u.name AS actor_name, n.couple_id, c.label AS couple_label,
			n.assignment_id, n.response_id, v.title, NULL::text AS partner_name
		FROM marked n LEFT JOIN users u ON u.id = n.actor_id LEFT JOIN couples c ON c.id = n.couple_id
		LEFT JOIN assignments a ON a.id = n.assignment_id
		LEFT JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
		WHERE `+visible, id, a.UserID, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return Item{}, errNoNotification
	}
	if err != nil {
		return Item{}, err
	}
	return word(r), nil
}

// ReadAll marks every notification of the caller in their clinic read.
func (s *Service) ReadAll(ctx context.Context, a actor.Actor) error {
	_, err := s.db.ExecContext(ctx, `UPDATE notifications SET read_at = now() WHERE user_id = $1 AND clinic_id = $2 AND read_at IS NULL`,
		a.UserID, a.ClinicID)
	return err
}

// word writes a row for its reader: inside the app titles may show.
func word(r row) Item {
	it := Item{ID: r.ID, Kind: r.Kind, CreatedAt: r.CreatedAt, Read: r.Read, Link: "/"}
	title := r.Title.String
	if title == "" {
		title = "an exercise"
	}
	who := r.ActorName.String
	if who == "" {
		who = "Your counselor"
	}
	respLink := func() string {
		if r.ResponseID.Valid {
			return fmt.Sprintf("/responses/%d", r.ResponseID.Int64)
		}
		if r.AssignmentID.Valid {
			return fmt.Sprintf("/assignments/%d", r.AssignmentID.Int64)
		}
		return "/"
	}
	switch r.Kind {
	case WorkAssigned:
		it.Text, it.Link = fmt.Sprintf("%s gave you something new: %s", who, title), respLink()
	case WorkRevise:
		it.Text, it.Link = fmt.Sprintf("%s asked for a revision: %s", who, title), respLink()
	case WorkAccepted:
		it.Text, it.Link = fmt.Sprintf("%s accepted: %s", who, title), respLink()
	case WorkShared:
		name := r.PartnerName.String
		if name == "" {
			name = "Your partner"
		}
		it.Text, it.Link = fmt.Sprintf("%s shared with you: %s", name, title), respLink()
	case WorkRevealed:
		it.Text, it.Link = fmt.Sprintf("You have both submitted %s: you can read each other's answers now", title), respLink()
	case WorkSubmitted:
		it.Text, it.Link = fmt.Sprintf("%s came in from %s", title, r.CoupleLabel.String), respLink()
	case SafetyConcern:
		it.Text, it.Link = fmt.Sprintf("A safety check from %s has concerning answers", r.CoupleLabel.String), respLink()
		if r.Title.Valid && strings.Contains(r.Title.String, "PHQ-9") { // item 9: thoughts of self-harm
			it.Text = fmt.Sprintf("%s from %s has a concerning answer about self-harm", r.Title.String, r.CoupleLabel.String)
		}
	case DueMoved:
		it.Text, it.Link = fmt.Sprintf("The due date of %s changed", title), respLink()
	case SessionMoved:
		it.Text, it.Link = fmt.Sprintf("%s moved a session to a new time: see it on your home page", who), "/"
	case SessionCancelled:
		it.Text, it.Link = fmt.Sprintf("%s cancelled a session", who), "/"
	case MeasureDistress, MeasureDrop, MeasureApart:
		name := r.PartnerName.String
		if name == "" {
			name = "A partner"
		}
		switch r.Kind {
		case MeasureDistress:
			it.Text = fmt.Sprintf("%s from %s: %s's score crossed the distress cut-off", title, r.CoupleLabel.String, name)
		case MeasureDrop:
			it.Text = fmt.Sprintf("%s from %s: %s's score worsened by the reliable-change figure or more", title, r.CoupleLabel.String, name)
		default:
			it.Text = fmt.Sprintf("%s from %s: the partners' scores moved apart", title, r.CoupleLabel.String)
		}
		it.Link = "/couples/" + fmt.Sprint(r.CoupleID.Int64) + "#measures"
	case MailUndelivered:
		it.Text, it.Link = "A message from Mend could not be delivered", "/admin/mail"
	case CounselorJoined:
		it.Text, it.Link = fmt.Sprintf("%s accepted the invitation and joined as a counselor", who), "/admin/counselors"
	case CoupleTakenOver:
		it.Text, it.Link = fmt.Sprintf("%s took over %s from your caseload", who, r.CoupleLabel.String), "/"
	default:
		it.Text = string(r.Kind)
	}
	return it
}

func nullID(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }
