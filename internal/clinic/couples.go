package clinic

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/notify"
	"github.com/mend-clinic/mend/internal/paging"
	"github.com/mend-clinic/mend/internal/tz"
)

// Couple statuses.
const (
	StatusActive = "active"
	StatusPaused = "paused"
	StatusClosed = "closed"
)

// Statuses lists the couple statuses in display order.
var Statuses = []string{StatusActive, StatusPaused, StatusClosed}

// Page limits for lists.
const (
	DefaultLimit = paging.Default
	MaxLimit     = paging.Max
)

// Couple is a couple as staff see it: statuses, dates and people, never
// clinical content.
type Couple struct {
	ID            int64     `db:"id" json:"id"`
	Label         string    `db:"label" json:"label"`
	Status        string    `db:"status" json:"status"`
	CounselorID   int64     `db:"counselor_id" json:"counselor_id"`
	CounselorName string    `db:"counselor_name" json:"counselor_name"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	UpdatedAt     time.Time `db:"updated_at" json:"updated_at"`
	// LastActivityAt is when work was last assigned or submitted: events
	// its staff see, never a draft. A partner of the couple does not get it
	// (nil): the other partner's submissions and the counselor's work for
	// them are not all theirs to see.
	LastActivityAt *time.Time `db:"last_activity_at" json:"last_activity_at,omitempty"`
	Partners       []Partner  `db:"-" json:"partners,omitempty"`
}

// Partner is one partner of a couple.
type Partner struct {
	ID         int64             `db:"id" json:"id"`
	Slot       string            `db:"slot" json:"slot"`
	Name       string            `db:"name" json:"name"`
	Email      string            `db:"email" json:"email"`
	UserID     sql.NullInt64     `db:"user_id" json:"-"`
	Joined     bool              `db:"joined" json:"joined"`
	Invitation *InvitationStatus `db:"-" json:"invitation_status,omitempty"`
}

// CoupleFilter selects and pages the couples list.
type CoupleFilter struct {
	Q           string // label substring
	CounselorID int64
	Status      string
	Limit       int
	After       string // opaque cursor from a previous page
}

// CouplePage is one page of couples.
type CouplePage struct {
	Items []Couple
	Next  string // empty on the last page
}

type cursor struct {
	L string `json:"l"`
	I int64  `json:"i"`
}

func encodeCursor(label string, id int64) string {
	return paging.EncodeCursor(cursor{L: strings.ToLower(label), I: id})
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if err := paging.DecodeCursor(s, &c); err != nil {
		return c, err
	}
	if c.I <= 0 {
		return c, paging.ErrBadCursor
	}
	return c, nil
}

// escapeLike escapes LIKE wildcards in user input (the escape is backslash).
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

const coupleCols = `c.id, c.label, c.status, c.counselor_id, u.name AS counselor_name, c.created_at, c.updated_at, c.last_activity_at`

// ListCouples pages the clinic's couples by (lower(label), id).
func (s *Service) ListCouples(ctx context.Context, a actor.Actor, f CoupleFilter) (CouplePage, error) {
	q, args, limit, err := listQuery(a, f)
	if err != nil {
		return CouplePage{}, err
	}
	items := []Couple{}
	if err := s.db.SelectContext(ctx, &items, q, args...); err != nil {
		return CouplePage{}, err
	}
	var p CouplePage
	if len(items) > limit {
		items = items[:limit]
		last := items[len(items)-1]
		p.Next = encodeCursor(last.Label, last.ID)
	}
	p.Items = items
	return p, nil
}

// listQuery builds the couples list query: every filter is a bound
// parameter, and the keyset condition matches the (clinic_id, lower(label), id)
// index so a deep page costs the same as the first.
func listQuery(a actor.Actor, f CoupleFilter) (string, []any, int, error) {
	if f.Limit <= 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit > MaxLimit {
		f.Limit = MaxLimit
	}
	q := `SELECT ` + coupleCols + ` FROM couples c JOIN users u ON u.id = c.counselor_id WHERE c.clinic_id = $1`
	args := []any{a.ClinicID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.CounselorID != 0 {
		q += ` AND c.counselor_id = ` + arg(f.CounselorID)
	}
	if f.Status != "" {
		if !validStatus(f.Status) {
			return "", nil, 0, apperr.Fields("Unknown status.", map[string]string{"status": "Choose active, paused or closed."})
		}
		q += ` AND c.status = ` + arg(f.Status)
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		q += ` AND lower(c.label) LIKE ` + arg("%"+escapeLike(strings.ToLower(t))+"%")
	}
	if f.After != "" {
		cur, err := decodeCursor(f.After)
		if err != nil {
			return "", nil, 0, err
		}
		q += fmt.Sprintf(` AND (lower(c.label), c.id) > (%s, %s)`, arg(cur.L), arg(cur.I))
	}
	q += ` ORDER BY lower(c.label), c.id LIMIT ` + arg(f.Limit+1)
	return q, args, f.Limit, nil
}

func validStatus(s string) bool { return s == StatusActive || s == StatusPaused || s == StatusClosed }

// Couple returns one couple with its partners, when the actor may see it:
// an admin any couple of the clinic, a counselor their own, a client the
// couple they are a partner of. Anything else is NotFound. Only the
// couple's staff (an admin, its counselor) get the partners' emails and
// invitation states: a partner sees names, blanked here so no handler can
// leak the other partner's address.
func (s *Service) Couple(ctx context.Context, a actor.Actor, id int64) (Couple, error) {
	var c Couple
	var row struct {
		Couple
		CallerPartner bool `db:"caller_partner"`
	}
	err := s.db.GetContext(ctx, &row, `SELECT `+coupleCols+`,
			EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = c.id AND p.user_id = $5) AS caller_partner
		FROM couples c JOIN users u ON u.id = c.counselor_id
		WHERE c.id = $1 AND c.clinic_id = $2 AND ($3 OR ($4 AND c.counselor_id = $5)
			OR ($6 AND EXISTS (SELECT 1 FROM partners p WHERE p.couple_id = c.id AND p.user_id = $5)))`,
		id, a.ClinicID, a.Has(actor.RoleAdmin), a.Has(actor.RoleCounselor), a.UserID, a.Has(actor.RoleClient))
	if errors.Is(err, sql.ErrNoRows) {
		return c, errNoCouple
	}
	if err != nil {
		return c, err
	}
	c = row.Couple
	if row.CallerPartner {
		// Whatever else the caller is: activity comes from events a partner
		// may not all see (the other's submissions, work assigned to them).
		c.LastActivityAt = nil
	}
	c.Partners = []Partner{}
	if err := s.db.SelectContext(ctx, &c.Partners, `SELECT id, slot, name, email, user_id, user_id IS NOT NULL AS joined
		FROM partners WHERE couple_id = $1 AND clinic_id = $2 ORDER BY slot`, id, a.ClinicID); err != nil {
		return c, err
	}
	if !(a.Has(actor.RoleAdmin) || (a.Has(actor.RoleCounselor) && c.CounselorID == a.UserID)) {
		for i := range c.Partners {
			c.Partners[i].Email = ""
		}
		return c, nil
	}
	for i := range c.Partners {
		st, err := s.partnerInvitation(ctx, a.ClinicID, c.Partners[i].ID)
		if err != nil {
			return c, err
		}
		c.Partners[i].Invitation = st
	}
	return c, nil
}

var errNoCouple = apperr.New(apperr.NotFound, "We could not find that couple.")

// NewPartner is one partner of a new couple.
type NewPartner struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// NewCouple is what CreateCouple needs.
type NewCouple struct {
	Label       string       `json:"label"`
	CounselorID int64        `json:"counselor_id"`
	Partners    []NewPartner `json:"partners"`
	// EmailReuseOK: go ahead although a partner's email is already a
	// partner's in another couple of the clinic (see emailInUse).
	EmailReuseOK bool `json:"email_reuse_ok"`
}

// EmailInUse is a partner of another couple of the clinic whose email a
// new couple's partner (Slot 0 or 1) would share.
type EmailInUse struct {
	Slot     int    `db:"-" json:"partner"`
	CoupleID int64  `db:"couple_id" json:"couple_id"`
	Name     string `db:"name" json:"name"`
	Couple   string `db:"label" json:"couple"`
}

// emailInUse refuses (409, the existing partners in Data["existing"]) a
// new couple whose partner's email is a partner's in another couple of
// the clinic: usually a typo or the same person entered twice, under
// another name.
func emailInUse(ctx context.Context, tx *db.Tx, clinicID int64, partners []NewPartner) error {
	var found []EmailInUse
	fields := map[string]string{}
	for i, p := range partners {
		var e EmailInUse
		err := tx.GetContext(ctx, &e, `SELECT p.couple_id, p.name, c.label FROM partners p JOIN couples c ON c.id = p.couple_id
			WHERE p.clinic_id = $1 AND lower(p.email) = lower($2) ORDER BY p.id LIMIT 1`, clinicID, p.Email)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		} else if err != nil {
			return err
		}
		e.Slot = i
		found = append(found, e)
		fields[fmt.Sprintf("partners.%d.email", i)] = fmt.Sprintf("This email is already %s\u2019s, in the couple %s.", e.Name, e.Couple)
	}
	if len(found) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Conflict, Message: "An email is already used by a partner in another couple. Check it, or confirm it is the same person.",
		Fields: fields, Data: map[string]any{"existing": found}}
}

// CheckLabel validates a couple label.
func CheckLabel(label string) (string, error) {
	l := strings.TrimSpace(label)
	switch {
	case l == "":
		return "", apperr.New(apperr.Invalid, "Enter a label, such as \u201cRivera & Chen\u201d.")
	case !utf8.ValidString(l) || strings.ContainsRune(l, 0):
		return "", apperr.New(apperr.Invalid, "The label contains characters that are not allowed.")
	case utf8.RuneCountInString(l) > 200:
		return "", apperr.New(apperr.Invalid, "Use at most 200 characters.")
	}
	return l, nil
}

// CreateCouple creates a couple, its two partners and an invitation for
// each. Field errors are keyed label, counselor_id, partners.0.name, ...
func (s *Service) CreateCouple(ctx context.Context, a actor.Actor, in NewCouple) (Couple, []Invitation, error) {
	fields := map[string]string{}
	label, err := CheckLabel(in.Label)
	if err != nil {
		fields["label"] = apperr.Message(err)
	}
	if in.CounselorID == 0 {
		fields["counselor_id"] = "Choose the counselor."
	}
	if len(in.Partners) != 2 {
		fields["partners"] = "A couple has exactly two partners."
		in.Partners = append(in.Partners, make([]NewPartner, 2)...)[:2]
	}
	for i := range in.Partners {
		p := &in.Partners[i]
		n, err := account.CheckName(p.Name)
		if err != nil {
			fields[fmt.Sprintf("partners.%d.name", i)] = apperr.Message(err)
		}
		e, err := account.NormalizeEmail(p.Email)
		if err != nil {
			fields[fmt.Sprintf("partners.%d.email", i)] = apperr.Message(err)
		}
		p.Name, p.Email = n, e
	}
	if fields["partners.1.email"] == "" && in.Partners[0].Email != "" && in.Partners[0].Email == in.Partners[1].Email {
		fields["partners.1.email"] = "Each partner needs their own email address."
	}
	if len(fields) > 0 {
		return Couple{}, nil, apperr.Fields("Please correct the highlighted fields.", fields)
	}
	var id int64
	var invs []Invitation
	err = db.InTx(ctx, s.db, func(tx *db.Tx) error {
		if err := s.checkCounselor(ctx, tx, a, in.CounselorID, 0); err != nil {
			return err
		}
		// A client is never also staff of the same clinic: a counselor would
		// otherwise sit in their own caseload (or read a partner's flags).
		staff := map[string]string{}
		for i, p := range in.Partners {
			taken, err := staffOf(ctx, tx, a.ClinicID, p.Email)
			if err != nil {
				return err
			}
			if taken {
				staff[fmt.Sprintf("partners.%d.email", i)] = msgStaffAsPartner
			}
		}
		if len(staff) > 0 {
			return &apperr.Error{Code: apperr.Conflict, Message: msgStaffAsPartner, Fields: staff}
		}
		if !in.EmailReuseOK {
			if err := emailInUse(ctx, tx, a.ClinicID, in.Partners); err != nil {
				return err
			}
		}
		if err := tx.GetContext(ctx, &id, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, $2, $3) RETURNING id`,
			a.ClinicID, label, in.CounselorID); err != nil {
			return err
		}
		var pids []int64
		for i, p := range in.Partners {
			var pid int64
			if err := tx.GetContext(ctx, &pid, `INSERT INTO partners (couple_id, clinic_id, slot, name, email) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
				id, a.ClinicID, []string{"A", "B"}[i], p.Name, p.Email); err != nil {
				return err
			}
			pids = append(pids, pid)
			inv, err := s.issue(ctx, tx, a, Invitation{Email: p.Email, Name: p.Name, Role: actor.RoleClient, PartnerID: pid, CoupleID: id})
			if err != nil {
				return err
			}
			invs = append(invs, inv)
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "couple.create", ObjectType: "couple", ObjectID: id, CoupleID: id,
			Detail: map[string]any{"counselor_id": in.CounselorID, "partner_ids": pids}})
	})
	if err != nil {
		return Couple{}, nil, err
	}
	c, err := s.Couple(ctx, a, id)
	return c, invs, err
}

// checkCounselor confirms that uid is an active counselor of the actor's
// clinic, and not a client of it: never a partner of the couple (coupleID,
// 0 for a new one), nor of another couple of the clinic (staff and clients
// stay apart even where older data mixed them).
func (s *Service) checkCounselor(ctx context.Context, q sqlx.QueryerContext, a actor.Actor, uid, coupleID int64) error {
	var st struct {
		Counselor bool `db:"counselor"`
		OwnCouple bool `db:"own_couple"`
		Client    bool `db:"client"`
	}
	if err := sqlx.GetContext(ctx, q, &st, `SELECT
		EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.user_id = $1 AND m.clinic_id = $2 AND m.role = 'counselor' AND m.active AND u.active) AS counselor,
		EXISTS (SELECT 1 FROM partners p LEFT JOIN users u ON u.id = $1
			WHERE p.couple_id = $3 AND p.clinic_id = $2 AND (p.user_id = $1 OR lower(p.email) = lower(u.email))) AS own_couple,
		`+clientOfSQL("(SELECT email FROM users WHERE id = $1)", "$2")+` AS client`, uid, a.ClinicID, coupleID); err != nil {
		return err
	}
	switch {
	case !st.Counselor:
		return apperr.Fields("Choose an active counselor of this clinic.", map[string]string{"counselor_id": "Choose an active counselor of this clinic."})
	case st.OwnCouple:
		msg := "This counselor is one of this couple's partners: a couple's counselor is never one of them."
		return &apperr.Error{Code: apperr.Conflict, Message: msg, Fields: map[string]string{"counselor_id": msg}}
	case st.Client:
		msg := "This counselor is also a client of this clinic (a partner of a couple): choose another counselor."
		return &apperr.Error{Code: apperr.Conflict, Message: msg, Fields: map[string]string{"counselor_id": msg}}
	}
	return nil
}

// CouplePatch changes a couple; nil fields are left alone.
type CouplePatch struct {
	Label       *string `json:"label"`
	Status      *string `json:"status"`
	CounselorID *int64  `json:"counselor_id"`
	// Reason is required when an admin assigns the couple to themself (a
	// takeover); it is shown to every admin and the previous counselor.
	Reason *string `json:"reason"`
}

// allowed status transitions: active<->paused, active/paused->closed, closed->active.
func canMove(from, to string) bool {
	switch {
	case from == to:
		return true
	case to == StatusClosed:
		return true
	case from == StatusClosed:
		return to == StatusActive
	}
	return true // active <-> paused
}

// UpdateCouple applies a patch (admin only: the route requires couple:manage).
// A closed couple is read-only unless the same request reopens it.
func (s *Service) UpdateCouple(ctx context.Context, a actor.Actor, id int64, p CouplePatch) (Couple, error) {
	fields := map[string]string{}
	var label string
	if p.Label != nil {
		l, err := CheckLabel(*p.Label)
		if err != nil {
			fields["label"] = apperr.Message(err)
		}
		label = l
	}
	if p.Status != nil && !validStatus(*p.Status) {
		fields["status"] = "Choose active, paused or closed."
	}
	if len(fields) > 0 {
		return Couple{}, apperr.Fields("Please correct the highlighted fields.", fields)
	}
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		var cur struct {
			Label       string `db:"label"`
			Status      string `db:"status"`
			CounselorID int64  `db:"counselor_id"`
		}
		err := tx.GetContext(ctx, &cur, `SELECT label, status, counselor_id FROM couples WHERE id = $1 AND clinic_id = $2 FOR UPDATE`, id, a.ClinicID)
		if errors.Is(err, sql.ErrNoRows) {
			return errNoCouple
		}
		if err != nil {
			return err
		}
		status, counselor := cur.Status, cur.CounselorID
		if p.Status != nil {
			status = *p.Status
		}
		if p.CounselorID != nil {
			counselor = *p.CounselorID
		}
		if p.Label == nil {
			label = cur.Label
		}
		if !canMove(cur.Status, status) {
			return apperr.New(apperr.Conflict, "A closed couple can only be reopened (set to active).")
		}
		if cur.Status == StatusClosed && status == StatusClosed && (label != cur.Label || counselor != cur.CounselorID) {
			return apperr.New(apperr.Conflict, "This couple is closed and read-only. Reopen it first.")
		}
		// A new counselor, or a couple coming back from closed, needs an
		// active counselor of this clinic.
		if counselor != cur.CounselorID || (cur.Status == StatusClosed && status != StatusClosed) {
			if err := s.checkCounselor(ctx, tx, a, counselor, id); err != nil {
				return err
			}
		}
		// An admin assigning the couple to themself takes over its clinical
		// content: a deliberate act, with a reason everyone concerned sees.
		takeover := counselor != cur.CounselorID && counselor == a.UserID && a.Has(actor.RoleAdmin)
		var reason string
		if takeover {
			var msg string
			if reason, msg = checkReason(p.Reason); msg != "" {
				return apperr.Fields("Say why you are taking this couple over.", map[string]string{"reason": msg})
			}
		}
		if label == cur.Label && status == cur.Status && counselor == cur.CounselorID {
			return nil
		}
		// paused_at is when the clock stopped: set on pausing, cleared on
		// leaving the pause (resumeWork moves the due dates on first).
		var moved resumed
		if cur.Status == StatusPaused && status == StatusActive {
			if moved, err = resumeWork(ctx, tx, id, a.ClinicLoc()); err != nil {
				return err
			}
		}
		if status == StatusActive && cur.Status == StatusClosed {
			// Reopened: the days it was closed get no occurrences either.
			if err := skipDays(ctx, tx, id, a.ClinicLoc()); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE couples SET label = $1, status = $2, counselor_id = $3, updated_at = now(),
			paused_at = CASE WHEN $2 = 'paused' THEN coalesce(paused_at, now()) END
			WHERE id = $4 AND clinic_id = $5`, label, status, counselor, id, a.ClinicID); err != nil {
			return err
		}
		log := func(action string, detail map[string]any) error {
			return s.audit.Log(ctx, tx, a, audit.Event{Action: action, ObjectType: "couple", ObjectID: id, CoupleID: id, Detail: detail})
		}
		switch {
		case takeover:
			var tid int64
			if err := tx.GetContext(ctx, &tid, `INSERT INTO couple_takeovers (clinic_id, couple_id, admin_id, previous_counselor_id, reason)
				VALUES ($1, $2, $3, $4, $5) RETURNING id`, a.ClinicID, id, a.UserID, cur.CounselorID, reason); err != nil {
				return err
			}
			// Its own event (the reason stays in the takeover: ids here).
			if err := log("couple.takeover", map[string]any{"from_counselor_id": cur.CounselorID, "to_counselor_id": counselor,
				"takeover_id": tid}); err != nil {
				return err
			}
			// The previous counselor is told, in the app and by mail.
			if err := s.notify.Tell(ctx, tx, notify.Event{Kind: notify.CoupleTakenOver, ClinicID: a.ClinicID, ActorID: a.UserID,
				CoupleID: id}, cur.CounselorID); err != nil {
				return err
			}
		case counselor != cur.CounselorID:
			if err := log("couple.reassign", map[string]any{"from_counselor_id": cur.CounselorID, "to_counselor_id": counselor}); err != nil {
				return err
			}
		}
		if status != cur.Status {
			detail := map[string]any{"from": cur.Status, "to": status}
			if moved.Seconds > 0 {
				detail["paused_seconds"], detail["responses_moved"], detail["assignments_moved"] = moved.Seconds, moved.Responses, moved.Assignments
			}
			if err := log("couple.status", detail); err != nil {
				return err
			}
		}
		if status == StatusClosed && cur.Status != StatusClosed {
			// Closing withdraws the partners' open invitations.
			if err := s.revokePending(ctx, tx, a, `partner_id IN (SELECT id FROM partners WHERE couple_id = $2)`, id); err != nil {
				return err
			}
		}
		if label != cur.Label {
			if err := log("couple.relabel", nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Couple{}, err
	}
	return s.Couple(ctx, a, id)
}

// resumed says what resuming a paused couple moved.
type resumed struct {
	Seconds     int64 // the length of the pause
	Responses   int64
	Assignments int64
}

// resumeWork ends a pause: nothing went overdue while it lasted, so the
// open work that was still ahead when the pause began (due_at > paused_at)
// is moved on by the pause's length, responses and the due dates of
// one-off assignments alike; work already overdue when it began stays as
// it was. Work due before a session follows its session instead (the
// counselor moves the session). Recurring work skips the paused days (no
// occurrences for them).
func resumeWork(ctx context.Context, tx *db.Tx, coupleID int64, loc *time.Location) (resumed, error) {
	var out resumed
	var pausedAt sql.NullTime
	if err := tx.GetContext(ctx, &pausedAt, `SELECT paused_at FROM couples WHERE id = $1`, coupleID); err != nil {
		return out, err
	}
	if err := skipDays(ctx, tx, coupleID, loc); err != nil || !pausedAt.Valid {
		return out, err
	}
	if err := tx.GetContext(ctx, &out.Seconds, `SELECT greatest(0, floor(extract(epoch FROM now() - $1::timestamptz)))::bigint`, pausedAt.Time); err != nil {
		return out, err
	}
	if out.Seconds == 0 {
		return out, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE responses r SET due_at = r.due_at + $3 * interval '1 second', updated_at = now()
		FROM assignments a WHERE a.id = r.assignment_id AND a.status = 'active' AND a.appointment_id IS NULL
		  AND r.couple_id = $1 AND r.status IN ('draft', 'revision_requested') AND r.due_at > $2`, coupleID, pausedAt.Time, out.Seconds)
	if err != nil {
		return out, err
	}
	out.Responses, _ = res.RowsAffected()
	res, err = tx.ExecContext(ctx, `UPDATE assignments a SET due_at = a.due_at + $3 * interval '1 second', updated_at = now()
		WHERE a.couple_id = $1 AND a.status = 'active' AND a.recur_every IS NULL AND a.appointment_id IS NULL AND a.due_at > $2
		  AND EXISTS (SELECT 1 FROM responses r WHERE r.assignment_id = a.id AND r.status IN ('draft', 'revision_requested'))`,
		coupleID, pausedAt.Time, out.Seconds)
	if err != nil {
		return out, err
	}
	out.Assignments, _ = res.RowsAffected()
	return out, nil
}

// skipDays moves the next occurrence of the couple's recurring work on to
// the clinic's today (keeping a weekly rhythm), so the days the couple was
// paused or closed are never made; today's is made by the next run of the
// occurrence job.
func skipDays(ctx context.Context, tx *db.Tx, coupleID int64, loc *time.Location) error {
	_, err := tx.ExecContext(ctx, `WITH s AS (SELECT id, `+assignment.StepDaysSQL("recur_every")+` AS step
			FROM assignments WHERE couple_id = $1 AND next_occurs_on IS NOT NULL AND next_occurs_on < $2::date)
		UPDATE assignments a SET next_occurs_on = CASE WHEN n.day <= a.recur_until THEN n.day END
		FROM (SELECT s.id, a.next_occurs_on + s.step * (($2::date - a.next_occurs_on + s.step - 1) / s.step) AS day
			FROM s JOIN assignments a ON a.id = s.id) n
		WHERE a.id = n.id`, coupleID, tz.Today(tx.Now(), loc))
	return err
}

// CaseloadCouple is one couple in a counselor's caseload.
type CaseloadCouple struct {
	ID             int64      `db:"id" json:"id"`
	Label          string     `db:"label" json:"label"`
	Status         string     `db:"status" json:"status"`
	PartnersJoined int        `db:"partners_joined" json:"partners_joined"`
	Due            int        `db:"due" json:"due"`
	Overdue        int        `db:"overdue" json:"overdue"`
	Awaiting       int        `db:"awaiting_review" json:"awaiting_review"`
	NextDue        *time.Time `db:"next_due" json:"next_due"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	LastActivityAt time.Time  `db:"last_activity_at" json:"last_activity_at"`
}

// Caseload lists the counselor's own couples (open ones first). "Due" is
// open work whose day has come in the clinic's zone; a paused couple has
// nothing overdue and no next due date (the clock is stopped).
func (s *Service) Caseload(ctx context.Context, a actor.Actor) ([]CaseloadCouple, error) {
	out := []CaseloadCouple{}
	err := s.db.SelectContext(ctx, &out, `SELECT c.id, c.label, c.status, c.created_at, c.last_activity_at,
		(SELECT count(*) FROM partners p WHERE p.couple_id = c.id AND p.user_id IS NOT NULL) AS partners_joined,
		w.due, w.overdue, w.awaiting_review, w.next_due
		FROM couples c
		LEFT JOIN LATERAL (SELECT
			count(*) FILTER (WHERE r.status IN ('draft', 'revision_requested') AND `+assignment.DayHasComeSQL("r", "$3")+`) AS due,
			count(*) FILTER (WHERE r.status IN ('draft', 'revision_requested') AND r.due_at < now() AND c.status <> 'paused') AS overdue,
			count(*) FILTER (WHERE `+assignment.WaitsForReviewSQL("r", "a")+`) AS awaiting_review,
			min(r.due_at) FILTER (WHERE r.status IN ('draft', 'revision_requested') AND r.due_at >= now() AND c.status <> 'paused') AS next_due
			FROM responses r JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
			WHERE r.couple_id = c.id) w ON true
		WHERE c.clinic_id = $1 AND c.counselor_id = $2
		ORDER BY c.status = 'closed', lower(c.label), c.id LIMIT 1000`, a.ClinicID, a.UserID,
		assignment.Today(time.Now(), a.ClinicLoc()).Format(time.DateOnly))
	return out, err
}

// CounselorLoad is one counselor's couples by status.
type CounselorLoad struct {
	UserID int64  `db:"user_id" json:"counselor_id"`
	Name   string `db:"name" json:"name"`
	Active bool   `db:"active" json:"active"`
	Open   int    `db:"n_active" json:"active_couples"`
	Paused int    `db:"n_paused" json:"paused_couples"`
	Closed int    `db:"n_closed" json:"closed_couples"`
}

// Caseloads are every counselor's loads and the clinic's totals.
type Caseloads struct {
	Counselors []CounselorLoad `json:"counselors"`
	Total      CounselorLoad   `json:"totals"`
}

// AllCaseloads counts each counselor's couples by status.
func (s *Service) AllCaseloads(ctx context.Context, a actor.Actor) (Caseloads, error) {
	out := Caseloads{Counselors: []CounselorLoad{}}
	err := s.db.SelectContext(ctx, &out.Counselors, `SELECT u.id AS user_id, u.name, bool_or(m.active) AS active,
		count(c.id) FILTER (WHERE c.status = 'active') AS n_active,
		count(c.id) FILTER (WHERE c.status = 'paused') AS n_paused,
		count(c.id) FILTER (WHERE c.status = 'closed') AS n_closed
		FROM memberships m JOIN users u ON u.id = m.user_id
		LEFT JOIN couples c ON c.clinic_id = m.clinic_id AND c.counselor_id = m.user_id
		WHERE m.clinic_id = $1 AND m.role = 'counselor'
		GROUP BY u.id, u.name ORDER BY lower(u.name), u.id`, a.ClinicID)
	if err != nil {
		return out, err
	}
	err = s.db.GetContext(ctx, &out.Total, `SELECT 0 AS user_id, '' AS name, true AS active,
		count(*) FILTER (WHERE status = 'active') AS n_active,
		count(*) FILTER (WHERE status = 'paused') AS n_paused,
		count(*) FILTER (WHERE status = 'closed') AS n_closed
		FROM couples WHERE clinic_id = $1`, a.ClinicID)
	return out, err
}

// A client is never also staff of the same clinic. These are the two sides
// of that rule, checked wherever someone becomes one or the other (a couple
// created, a counselor invited, an invitation accepted, a counselor chosen).
const (
	msgStaffAsPartner = "This address belongs to a staff member of this clinic (or someone invited as counselor); a partner needs their own address."
	msgClientAsStaff  = "This address belongs to a client of this clinic (a partner of a couple, joined or invited); a counselor needs their own address."
)

// clientOfSQL is the rule "email (an SQL expression) is a client of the
// clinic (the placeholder clinic)": a client membership, or a partner of one
// of its couples, joined or only invited.
func clientOfSQL(email, clinic string) string {
	return `(EXISTS (SELECT 1 FROM memberships m JOIN users mu ON mu.id = m.user_id
			WHERE m.clinic_id = ` + clinic + ` AND m.role = 'client' AND lower(mu.email) = lower(` + email + `))
		OR EXISTS (SELECT 1 FROM partners p LEFT JOIN users pu ON pu.id = p.user_id
			WHERE p.clinic_id = ` + clinic + ` AND (lower(p.email) = lower(` + email + `) OR lower(pu.email) = lower(` + email + `))))`
}

// clientOf reports whether an email is a client of the clinic (clientOfSQL).
func clientOf(ctx context.Context, q sqlx.QueryerContext, clinicID int64, email string) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, q, &ok, `SELECT `+clientOfSQL("$1::text", "$2"), email, clinicID)
	return ok, err
}

// staffOf reports whether an email is staff of the clinic: an active admin
// or counselor membership, or a pending counselor invitation.
func staffOf(ctx context.Context, q sqlx.QueryerContext, clinicID int64, email string) (bool, error) {
	var ok bool
	err := sqlx.GetContext(ctx, q, &ok, `SELECT EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.clinic_id = $1 AND m.active AND lower(u.email) = lower($2) AND m.role = ANY($3))
		OR EXISTS (SELECT 1 FROM invitations i WHERE i.clinic_id = $1 AND i.role = 'counselor' AND lower(i.email) = lower($2)
			AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())`,
		clinicID, email, pq.Array([]string{actor.RoleAdmin, actor.RoleCounselor}))
	return ok, err
}
