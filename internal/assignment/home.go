package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/notify"
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
	// State is the coarse state of the other partner's work (PartnerWork):
	// StateToDo or StateDone, all they learn of it.
	State string `db:"-"`
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
	PartnerWork []HomeItem // the other partner's individual work: title and coarse State only
	Missed      int        // recurring occurrences left unfilled more than two days ago
	More        int        // completed items not listed
	// WithdrawnMore and PartnerMore count the items those lists leave out.
	WithdrawnMore int
	PartnerMore   int
}

// HomeRecent bounds the lists that look back (completed, withdrawn, the
// partner's): the latest HomeRecent, with a count of the rest.
const HomeRecent = 10

// homeBase is the couple's work whose day has come, once per request: $1
// is the partner, $2 the couple, $3 the clinic, $4 today. Each list of the
// home page reads it with its own filter, order and bound.
var homeBase = `SELECT r.id AS response_id, r.assignment_id, v.title AS template_title, a.mode,
		r.status, a.status AS assignment_status, r.occurs_on, r.due_at, r.submitted_at, r.feedback_unread,
		r.partner_id IS NULL AS joint, r.started_at IS NOT NULL AS started, a.updated_at AS assignment_updated_at,
		r.reviewed_at, (r.partner_id IS NULL OR r.partner_id = $1) AS mine, ` + privateExpr + ` AS private
	FROM responses r
	JOIN assignments a ON a.id = r.assignment_id
	JOIN exercise_templates t ON t.id = a.template_id
	JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version
	WHERE r.couple_id = $2 AND r.clinic_id = $3 AND ` + dayHasComeHome

// homeCols are the columns of homeBase, which every list reads.
const homeCols = `response_id, assignment_id, template_title, mode, status, assignment_status, occurs_on, due_at,
	submitted_at, feedback_unread, joint, started, assignment_updated_at, reviewed_at, mine, private`

// dayHasComeHome: the home lists hold only work whose day has come.
var dayHasComeHome = DayHasComeSQL("r", "$4")

// homeList is one list of the home page: which work, in what order, how
// many at most (0: all), and whether a recurring exercise shows only its
// latest occurrence in it.
type homeList struct {
	name, where, order string
	limit              int
	latest             bool
}

var homeLists = []homeList{
	// Open work (recurring ones from the last three days) and unread
	// feedback: never bounded by the history.
	{"open", `mine AND assignment_status = 'active' AND (feedback_unread OR status IN ('draft', 'revision_requested')
		AND (occurs_on IS NULL OR occurs_on >= $4::date - 2))`, `due_at NULLS LAST, response_id`, 0, false},
	{"submitted", `mine AND assignment_status = 'active' AND status = 'submitted'`, `due_at NULLS LAST, response_id`, 0, true},
	{"done", `mine AND assignment_status = 'active' AND status = 'accepted' AND NOT feedback_unread`,
		`reviewed_at DESC NULLS LAST, response_id DESC`, HomeRecent, true},
	{"withdrawn", `mine AND assignment_status = 'cancelled'`, `assignment_updated_at DESC, response_id DESC`, HomeRecent, true},
	// The other partner's individual work, never their safety check. Their
	// one-partner work stays listed whatever the counselor does with it (a
	// withdrawal is not theirs to learn); each-partner work the caller
	// shares leaves with the caller's own when withdrawn.
	{"partner", `NOT mine AND NOT private AND (assignment_status = 'active' OR mode = 'individual')`, `assignment_id DESC`, HomeRecent, true},
}

// homeQuery is every list in one statement (one round trip, one plan):
// the couple's work is read once, and each list is one bounded branch of
// it, numbered in its order, with its full size for "and N more".
var homeQuery = func() string {
	var branches []string
	for _, l := range homeLists {
		src, where := "base", " WHERE "+l.where
		if l.latest {
			src = `(SELECT DISTINCT ON (assignment_id) ` + homeCols + ` FROM base WHERE ` + l.where +
				` ORDER BY assignment_id, occurs_on DESC NULLS LAST, response_id DESC)`
			where = ""
		}
		b := `(SELECT '` + l.name + `' AS list, ` + homeCols + `, count(*) OVER () AS total, row_number() OVER (ORDER BY ` + l.order + `) AS pos
			FROM ` + src + ` x` + where + ` ORDER BY ` + l.order
		if l.limit > 0 {
			b += ` LIMIT ` + strconv.Itoa(l.limit)
		}
		branches = append(branches, b+`)`)
	}
	return `WITH base AS MATERIALIZED (` + homeBase + `)
		SELECT list, ` + homeCols + `, total, pos FROM (` + strings.Join(branches, "\nUNION ALL\n") + `) lists ORDER BY list, pos`
}()

// Home lists the partner's own and joint work in their couple, and the
// other partner's individual work (statuses only). Occurrences of
// recurring exercises appear on their day, not before. Two queries: who
// the partner is, then every list, each bounded on its own: everything
// open (to do, revisions, unread feedback) is listed whatever the
// history; what looks back lists the latest occurrence of each exercise,
// the latest HomeRecent at most.
func (s *Service) Home(ctx context.Context, a actor.Actor) (ClientHome, error) {
	var h ClientHome
	today := s.today(a)
	var me struct {
		ID       int64  `db:"id"`
		CoupleID int64  `db:"couple_id"`
		Status   string `db:"status"`
		Missed   int    `db:"missed"`
	}
	// Missed: recurring occurrences left open more than two days ago (they
	// leave the to-do list; the counselor still sees them overdue).
	err := s.db.GetContext(ctx, &me, `SELECT p.id, p.couple_id, c.status,
			(SELECT count(*) FROM responses r JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			 WHERE r.couple_id = p.couple_id AND (r.partner_id IS NULL OR r.partner_id = p.id)
			   AND r.status IN ('draft', 'revision_requested') AND NOT (r.status = 'revision_requested' AND r.feedback_unread)
			   AND r.occurs_on < $3::date - 2) AS missed
		FROM partners p JOIN couples c ON c.id = p.couple_id
		WHERE p.user_id = $1 AND p.clinic_id = $2 ORDER BY c.status = 'closed', p.id DESC LIMIT 1`, a.UserID, a.ClinicID, today)
	if err == sql.ErrNoRows {
		return h, nil
	}
	if err != nil {
		return h, err
	}
	h.CoupleID, h.PartnerID, h.Missed = me.CoupleID, me.ID, me.Missed
	var rows []struct {
		HomeItem
		List              string       `db:"list"`
		Mine              bool         `db:"mine"`
		Private           bool         `db:"private"`
		AssignmentUpdated time.Time    `db:"assignment_updated_at"`
		ReviewedAt        sql.NullTime `db:"reviewed_at"`
		Total             int          `db:"total"`
		Pos               int          `db:"pos"`
	}
	if err := s.db.SelectContext(ctx, &rows, homeQuery, me.ID, me.CoupleID, a.ClinicID, today); err != nil {
		return h, err
	}
	now := s.now()
	over, rest := []HomeItem{}, []HomeItem{}
	for _, r := range rows {
		x := r.HomeItem
		x.Overdue = x.DueAt.Valid && x.DueAt.Time.Before(now) && (x.Status == Draft || x.Status == RevisionRequested) &&
			x.AssignStatus == StatusActive && me.Status != CouplePaused // a pause stops the clock
		switch r.List {
		case "open":
			switch {
			case x.FeedbackUnread && (x.Status == RevisionRequested || x.Status == Accepted):
				h.Feedback = append(h.Feedback, x)
			case x.Status != Draft && x.Status != RevisionRequested:
				// Submitted since (submitting clears the flag): not open.
			case x.Overdue:
				over = append(over, x)
			default:
				rest = append(rest, x)
			}
		case "submitted":
			h.Submitted = append(h.Submitted, x)
		case "done":
			h.Done = append(h.Done, x)
			h.More = r.Total - len(h.Done)
		case "withdrawn":
			h.Withdrawn = append(h.Withdrawn, x)
			h.WithdrawnMore = r.Total - len(h.Withdrawn)
		case "partner":
			// What it is and a coarse state: no status (a revision asked
			// for), no dates, no trace of drafting.
			x.State = StateToDo
			if x.SubmittedAt.Valid {
				x.State = StateDone // coarseState
			}
			x.Status, x.Started, x.Overdue, x.FeedbackUnread = "", false, false, false
			x.DueAt, x.SubmittedAt = sql.NullTime{}, sql.NullTime{}
			h.PartnerWork = append(h.PartnerWork, x)
			h.PartnerMore = r.Total - len(h.PartnerWork)
		}
	}
	h.Due = append(over, rest...) // overdue first, then by due date
	return h, nil
}

// Counts are the in-app badges.
type Counts struct {
	AwaitingReview int `db:"awaiting_review" json:"awaiting_review"` // counselor: new submissions
	NewFeedback    int `db:"new_feedback" json:"new_feedback"`       // client: reviewed with unread feedback
	// SafetyConcerns counts submitted safety checks with concerning
	// answers that the counselor has not reviewed yet.
	SafetyConcerns int `db:"safety_concerns" json:"safety_concerns"`
	// Unread counts the caller's unread notifications ("What's new").
	Unread int `db:"unread" json:"unread_notifications"`
}

// CountsFor returns the caller's badges in one query.
func (s *Service) CountsFor(ctx context.Context, a actor.Actor) (Counts, error) {
	var c Counts
	err := s.db.GetContext(ctx, &c, countsQuery[b2i(a.Has(actor.RoleCounselor))][b2i(a.Has(actor.RoleClient))], a.ClinicID, a.UserID)
	return c, err
}

// countsQuery is the badge query for [counselor][client]: one text per mix
// of roles, with the counts a role does not have left out, rather than one
// text choosing them by parameters. Each text is a prepared statement that
// keeps a generic plan; with CASE WHEN $3 … PostgreSQL planned the query
// afresh on every page (2.7 ms of planning for a counselor, under load).
var countsQuery = func() (q [2][2]string) {
	awaiting := `(SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id AND r.status = 'submitted'
			JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed' AND ` + WaitsForReviewSQL("r", "a") + `)`
	const feedback = `(SELECT count(*) FROM partners p JOIN responses r ON r.couple_id = p.couple_id
			AND (r.partner_id = p.id OR r.partner_id IS NULL) AND r.feedback_unread
			WHERE p.user_id = $2 AND p.clinic_id = $1)`
	const concerns = `(SELECT count(*) FROM couples c JOIN responses r ON r.couple_id = c.id AND r.status = 'submitted'
			AND cardinality(r.concern_fields) > 0
			WHERE c.clinic_id = $1 AND c.counselor_id = $2 AND c.status <> 'closed')`
	for i, counselor := range []bool{false, true} {
		for j, client := range []bool{false, true} {
			aw, fb, co := "0", "0", "0"
			if counselor {
				aw, co = awaiting, concerns
			}
			if client {
				fb = feedback
			}
			q[i][j] = `SELECT ` + aw + ` AS awaiting_review, ` + fb + ` AS new_feedback, ` + co + ` AS safety_concerns,
		` + notify.UnreadSQL + ` AS unread`
		}
	}
	return q
}()

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
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
// both; a partner sees their own, and the other's where they may read it
// (shared, or revealed together once both submitted that day). The values
// are clinical content: the read is audited, one event with the responses.
func (s *Service) Checkins(ctx context.Context, a actor.Actor, coupleID int64) ([]Series, error) {
	acc, err := coupleAccess(ctx, s.db, a, coupleID)
	if err != nil {
		return nil, err
	}
	if !acc.Counselor && acc.PartnerID == 0 {
		return nil, errNotFound // admins: no clinical content
	}
	var rows []struct {
		ID           int64           `db:"id"`
		PartnerID    int64           `db:"partner_id"`
		Name         string          `db:"name"`
		Day          time.Time       `db:"occurs_on"`
		Current      json.RawMessage `db:"current"`
		Submitted    json.RawMessage `db:"submitted"`
		Shared       json.RawMessage `db:"shared"`
		PartnerMay   bool            `db:"partner_reads"`
		WasSubmitted bool            `db:"was_submitted"`
	}
	err = s.db.SelectContext(ctx, &rows, `SELECT r.id, r.partner_id, p.name, r.occurs_on, r.answers AS current,
			r.submitted_at IS NOT NULL AS was_submitted, `+partnerReadsExpr+` AS partner_reads,
			coalesce((SELECT s.answers FROM submissions s WHERE s.response_id = r.id ORDER BY s.id DESC LIMIT 1), 'null') AS submitted,
			coalesce((SELECT s.answers FROM submissions s WHERE s.id = r.shared_submission_id), 'null') AS shared
		FROM responses r
		JOIN assignments a ON a.id = r.assignment_id
		JOIN exercise_templates t ON t.id = a.template_id AND t.recurring
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version AND NOT `+privateExpr+`
		JOIN partners p ON p.id = r.partner_id
		WHERE r.couple_id = $1 AND r.clinic_id = $2 AND r.occurs_on IS NOT NULL AND `+DayHasComeSQL("r", "$3")+`
		ORDER BY p.slot, r.occurs_on`, coupleID, a.ClinicID, s.today(a))
	if err != nil {
		return nil, err
	}
	byPartner := map[int64]*Series{}
	var order, read []int64
	for _, r := range rows {
		var src json.RawMessage
		switch {
		case acc.PartnerID == r.PartnerID:
			src = r.Current
		case acc.PartnerID != 0:
			if !r.PartnerMay {
				continue
			}
			src = r.Shared // the submission its author shared
		case acc.Counselor && r.WasSubmitted:
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
		line := byPartner[r.PartnerID]
		if line == nil {
			line = &Series{PartnerID: r.PartnerID, Name: r.Name, Points: []Point{}}
			byPartner[r.PartnerID] = line
			order = append(order, r.PartnerID)
		}
		line.Points = append(line.Points, Point{Day: r.Day.Format(time.DateOnly), Trust: int(t)})
		read = append(read, r.ID)
	}
	out := []Series{}
	for _, id := range order {
		out = append(out, *byPartner[id])
	}
	if len(read) == 0 {
		return out, nil
	}
	return out, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "couple", ObjectID: coupleID,
		CoupleID: coupleID, Detail: map[string]any{"responses": read, "view": "checkins"}})
}
