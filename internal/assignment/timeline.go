package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"time"

	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/paging"
)

// Kinds of timeline events.
const (
	EventAssigned          = "assigned"
	EventWithdrawn         = "withdrawn"
	EventSubmitted         = "submitted"
	EventSigned            = "signed"
	EventAccepted          = "accepted"
	EventRevisionRequested = "revision_requested"
	EventShared            = "shared"
	EventUnshared          = "unshared"
	EventSessionScheduled  = "session_scheduled"
	EventSessionMoved      = "session_moved"
	EventSessionCancelled  = "session_cancelled"
)

// timelineActions are the audit actions the timeline shows, in SQL as
// migration 00032's partial index names them (literally, so the planner
// can use the index). Drafting is never audited, and reads, edits of
// instructions and session notes are left out: the timeline is what
// happened to the work and the sessions.
const timelineActions = `('assignment.create', 'assignment.cancel', 'response.submit', 'response.review',
        'response.share', 'response.unshare', 'appointment.create', 'appointment.move', 'appointment.cancel')`

// Event is one thing that happened to a couple's work or sessions: what,
// which exercise (its title), for whom, who did it and when. Never an
// answer, a comment, an instruction or a note.
type Event struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
	// By is who did it: a partner's name, or the counselor's.
	By           string  `json:"by"`
	Title        string  `json:"template_title,omitempty"`
	AssignmentID int64   `json:"assignment_id,omitempty"`
	ResponseID   int64   `json:"response_id,omitempty"`
	PartnerName  string  `json:"partner_name,omitempty"` // whose work: a partner, or "Both partners"
	OccursOn     *string `json:"occurs_on,omitempty"`    // a recurring exercise's day
	// Resubmission: a submission after the first one of the same response.
	Resubmission  bool       `json:"resubmission,omitempty"`
	AppointmentID int64      `json:"appointment_id,omitempty"`
	SessionAt     *time.Time `json:"session_at,omitempty"` // the session's start (moved: its new one)
	MovedFrom     *time.Time `json:"moved_from,omitempty"` // a moved session's earlier start
	Sessions      int        `json:"sessions,omitempty"`   // scheduled: how many (a series)
	seq           int64
	n             int
}

var errNoCouple = apperr.New(apperr.NotFound, "We could not find that couple.")

// Timeline is one page of a couple's events, newest first.
type Timeline struct {
	CoupleID    int64
	CoupleLabel string
	paging.Page[Event]
}

type timelineCursor struct {
	S int64 `json:"s"` // the audit row
	N int   `json:"n"` // the item of that row (0: the event, 1…: a submission's signatures)
}

type timelineRow struct {
	Seq      int64         `db:"seq"`
	At       time.Time     `db:"at"`
	Action   string        `db:"action"`
	ObjectID sql.NullInt64 `db:"object_id"`
	Detail   string        `db:"detail"`
	By       string        `db:"by_name"`
}

// CoupleTimeline pages what happened to a couple, newest first, for the
// couple's own counselor only (anyone else: not found; Casbin keeps admins
// and clients out before that). Its source is the audit trail: written in
// the same transaction as each change, append-only, and the only record of
// what the tables overwrite (a share withdrawn, a session moved). A joint
// submission's signatures come with it, just after it: they are visible to
// the counselor only as part of what was submitted.
func (s *Service) CoupleTimeline(ctx context.Context, a actor.Actor, coupleID int64, limit int, after string) (Timeline, error) {
	acc, err := coupleAccess(ctx, s.db, a, coupleID)
	if errors.Is(err, errNotFound) || err == nil && !acc.Counselor {
		return Timeline{}, errNoCouple // as every couple route answers
	}
	if err != nil {
		return Timeline{}, err
	}
	if limit <= 0 {
		limit = paging.Default
	}
	cur := timelineCursor{S: math.MaxInt64, N: -1}
	if after != "" {
		if err := paging.DecodeCursor(after, &cur); err != nil {
			return Timeline{}, err
		}
		if cur.S <= 0 || cur.N < 0 {
			return Timeline{}, paging.ErrBadCursor
		}
	}
	// Every row gives at least one item, and the cursor's own row may be
	// spent: limit+2 rows tell whether anything follows the page.
	var rows []timelineRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT l.seq, l.at, l.action, l.object_id, l.detail,
		coalesce(p.name, u.name, '') AS by_name
		FROM audit_log l
		LEFT JOIN partners p ON p.couple_id = l.couple_id AND p.user_id = l.actor_id
		LEFT JOIN users u ON u.id = l.actor_id
		WHERE l.clinic_id = $1 AND l.couple_id = $2 AND l.action IN `+timelineActions+` AND l.seq <= $3
		ORDER BY l.seq DESC LIMIT $4`, a.ClinicID, coupleID, cur.S, limit+2); err != nil {
		return Timeline{}, err
	}
	var asgIDs, respIDs, apIDs []int64
	for _, r := range rows {
		if !r.ObjectID.Valid {
			continue
		}
		switch r.Action {
		case "assignment.create", "assignment.cancel":
			asgIDs = append(asgIDs, r.ObjectID.Int64)
		case "appointment.create", "appointment.move", "appointment.cancel":
			apIDs = append(apIDs, r.ObjectID.Int64)
		default:
			respIDs = append(respIDs, r.ObjectID.Int64)
		}
	}
	type asgInfo struct {
		ID        int64         `db:"id"`
		Title     string        `db:"title"`
		Mode      string        `db:"mode"`
		PartnerID sql.NullInt64 `db:"partner_id"`
	}
	asgs := map[int64]asgInfo{}
	if len(asgIDs) > 0 {
		var list []asgInfo
		if err := s.db.SelectContext(ctx, &list, `SELECT a.id, v.title, a.mode, a.partner_id FROM assignments a
			JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
			WHERE a.id = ANY($1) AND a.couple_id = $2`, pq.Array(asgIDs), coupleID); err != nil {
			return Timeline{}, err
		}
		for _, x := range list {
			asgs[x.ID] = x
		}
	}
	type respInfo struct {
		ID           int64         `db:"id"`
		AssignmentID int64         `db:"assignment_id"`
		PartnerID    sql.NullInt64 `db:"partner_id"`
		OccursOn     sql.NullTime  `db:"occurs_on"`
		Title        string        `db:"title"`
	}
	resps := map[int64]respInfo{}
	// A response's submissions in order: which one a submit event made
	// (first or a resubmission) and the signatures it was submitted with.
	// A submission and its audit row are stamped with the same transaction's
	// now(), which pairs them (a version number may repeat: a resubmission
	// of unchanged text).
	type subKey struct {
		resp int64
		at   int64 // µs
	}
	type subInfo struct {
		Nth        int
		Signatures Signatures
	}
	subs := map[subKey]subInfo{}
	if len(respIDs) > 0 {
		var list []respInfo
		if err := s.db.SelectContext(ctx, &list, `SELECT r.id, r.assignment_id, r.partner_id, r.occurs_on, v.title FROM responses r
			JOIN assignments a ON a.id = r.assignment_id
			JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
			WHERE r.id = ANY($1) AND r.couple_id = $2`, pq.Array(respIDs), coupleID); err != nil {
			return Timeline{}, err
		}
		for _, x := range list {
			resps[x.ID] = x
		}
		var sl []struct {
			ResponseID int64      `db:"response_id"`
			At         time.Time  `db:"submitted_at"`
			Nth        int        `db:"nth"`
			Signatures Signatures `db:"signatures"`
		}
		if err := s.db.SelectContext(ctx, &sl, `SELECT response_id, submitted_at, signatures,
			row_number() OVER (PARTITION BY response_id ORDER BY id) AS nth
			FROM submissions WHERE response_id = ANY($1)`, pq.Array(respIDs)); err != nil {
			return Timeline{}, err
		}
		for _, x := range sl {
			subs[subKey{x.ResponseID, x.At.UnixMicro()}] = subInfo{Nth: x.Nth, Signatures: x.Signatures}
		}
	}
	type apInfo struct {
		ID       int64     `db:"id"`
		StartsAt time.Time `db:"starts_at"`
	}
	aps := map[int64]apInfo{}
	if len(apIDs) > 0 {
		var list []apInfo
		if err := s.db.SelectContext(ctx, &list, `SELECT id, starts_at FROM appointments WHERE id = ANY($1) AND couple_id = $2`,
			pq.Array(apIDs), coupleID); err != nil {
			return Timeline{}, err
		}
		for _, x := range list {
			aps[x.ID] = x
		}
	}

	var items []Event
	for _, r := range rows {
		var d struct {
			Decision string    `json:"decision"`
			From     time.Time `json:"from"`
			To       time.Time `json:"to"`
			Sessions []int64   `json:"sessions"`
		}
		json.Unmarshal([]byte(r.Detail), &d)
		ev := Event{At: r.At, By: r.By, seq: r.Seq}
		id := r.ObjectID.Int64
		var sigs Signatures
		switch r.Action {
		case "assignment.create", "assignment.cancel":
			x := asgs[id]
			ev.Kind, ev.AssignmentID, ev.Title = EventAssigned, id, x.Title
			switch {
			case x.PartnerID.Valid:
				ev.PartnerName = acc.Names[x.PartnerID.Int64]
			case x.Mode == string(exercise.ModeJoint):
				ev.PartnerName = "Both partners"
			case x.Mode != "":
				ev.PartnerName = "Each partner"
			}
			if r.Action == "assignment.cancel" {
				ev.Kind = EventWithdrawn
			}
		case "appointment.create", "appointment.move", "appointment.cancel":
			ev.AppointmentID = id
			if ap, ok := aps[id]; ok {
				at := ap.StartsAt
				ev.SessionAt = &at
			}
			switch r.Action {
			case "appointment.create":
				ev.Kind, ev.Sessions = EventSessionScheduled, max(len(d.Sessions), 1)
			case "appointment.move":
				ev.Kind = EventSessionMoved
				if !d.From.IsZero() {
					from, to := d.From, d.To
					ev.MovedFrom, ev.SessionAt = &from, &to
				}
			default:
				ev.Kind = EventSessionCancelled
			}
		default:
			info, ok := resps[id]
			if !ok {
				continue
			}
			ev.ResponseID, ev.AssignmentID, ev.Title = id, info.AssignmentID, info.Title
			ev.PartnerName = "Both partners"
			if info.PartnerID.Valid {
				ev.PartnerName = acc.Names[info.PartnerID.Int64]
			}
			if info.OccursOn.Valid {
				day := info.OccursOn.Time.Format(time.DateOnly)
				ev.OccursOn = &day
			}
			switch r.Action {
			case "response.submit":
				ev.Kind = EventSubmitted
				sub := subs[subKey{id, r.At.UnixMicro()}]
				ev.Resubmission = sub.Nth > 1
				sigs = sub.Signatures
			case "response.review":
				ev.Kind = EventRevisionRequested
				if d.Decision == "accept" {
					ev.Kind = EventAccepted
				}
			case "response.share":
				ev.Kind = EventShared
			default:
				ev.Kind = EventUnshared
			}
		}
		items = append(items, ev)
		// The signatures it was submitted with, latest first, just after it.
		for i := len(sigs) - 1; i >= 0; i-- {
			g := sigs[i]
			sg := ev
			sg.Kind, sg.At, sg.By, sg.Resubmission = EventSigned, g.SignedAt, acc.Names[g.PartnerID], false
			sg.n = len(sigs) - i
			items = append(items, sg)
		}
	}
	// Drop what the previous page showed (the cursor's row, up to its item).
	for len(items) > 0 && items[0].seq == cur.S && items[0].n <= cur.N {
		items = items[1:]
	}
	t := Timeline{CoupleID: coupleID, CoupleLabel: acc.CoupleLabel}
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		t.Next = paging.EncodeCursor(timelineCursor{S: last.seq, N: last.n})
	}
	t.Items = append([]Event{}, items...)
	return t, nil
}

// Label is the event in the pages' words (one name per state: a review
// asking for changes is "revision requested" everywhere).
func (e Event) Label() string {
	switch e.Kind {
	case EventAssigned:
		return "Assigned"
	case EventWithdrawn:
		return "Withdrawn"
	case EventSubmitted:
		if e.Resubmission {
			return "Resubmitted"
		}
		return "Submitted"
	case EventSigned:
		return "Signed"
	case EventAccepted:
		return "Accepted"
	case EventRevisionRequested:
		return "Revision requested"
	case EventShared:
		return "Shared with partner"
	case EventUnshared:
		return "Stopped sharing"
	case EventSessionScheduled:
		if e.Sessions > 1 {
			return "Sessions scheduled"
		}
		return "Session scheduled"
	case EventSessionMoved:
		return "Session moved"
	case EventSessionCancelled:
		return "Session cancelled"
	}
	return e.Kind
}
