package clinic

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mend-clinic/mend/internal/actor"
)

// Taking a couple over: an admin who also counsels may reassign a couple
// to themself, which opens its clinical content to them. Small practices
// need that, so it is kept, as a deliberate and visible act: it needs a
// reason, it is its own audit event (couple.takeover), and it shows on
// every admin's home and on the previous counselor's for TakeoverNoticeDays.

// MaxTakeoverReason bounds the reason of a takeover.
const MaxTakeoverReason = 1000

// TakeoverNoticeDays is how long a takeover shows on the homes.
const TakeoverNoticeDays = 30

// Takeover is one couple taken over by an admin.
type Takeover struct {
	ID                  int64     `db:"id" json:"id"`
	CoupleID            int64     `db:"couple_id" json:"couple_id"`
	CoupleLabel         string    `db:"couple_label" json:"couple_label"`
	AdminID             int64     `db:"admin_id" json:"admin_id"`
	AdminName           string    `db:"admin_name" json:"admin_name"`
	PreviousCounselorID int64     `db:"previous_counselor_id" json:"previous_counselor_id"`
	PreviousName        string    `db:"previous_name" json:"previous_counselor_name"`
	Reason              string    `db:"reason" json:"reason"`
	At                  time.Time `db:"created_at" json:"at"`
}

// checkReason validates a takeover's reason ("" message when fine).
func checkReason(r *string) (string, string) {
	if r == nil {
		return "", "Say why you are taking this couple over: every admin and the previous counselor will see it."
	}
	v := strings.TrimSpace(strings.ReplaceAll(*r, "\r", ""))
	switch {
	case v == "":
		return v, "Say why you are taking this couple over: every admin and the previous counselor will see it."
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return v, "The reason contains characters that are not allowed."
	case utf8.RuneCountInString(v) > MaxTakeoverReason:
		return v, "Use at most 1000 characters."
	}
	return v, ""
}

const takeoverSelect = `SELECT t.id, t.couple_id, c.label AS couple_label, t.admin_id, ua.name AS admin_name,
	t.previous_counselor_id, up.name AS previous_name, t.reason, t.created_at
	FROM couple_takeovers t JOIN couples c ON c.id = t.couple_id
	JOIN users ua ON ua.id = t.admin_id JOIN users up ON up.id = t.previous_counselor_id
	WHERE t.clinic_id = $1 AND t.created_at > now() - $2 * interval '1 day'`

// RecentTakeovers lists the clinic's takeovers of the last
// TakeoverNoticeDays, newest first: something for every admin to look at
// (the admin home shows them).
func (s *Service) RecentTakeovers(ctx context.Context, a actor.Actor) ([]Takeover, error) {
	out := []Takeover{}
	if !a.Has(actor.RoleAdmin) {
		return out, nil
	}
	err := s.db.SelectContext(ctx, &out, takeoverSelect+` ORDER BY t.created_at DESC, t.id DESC LIMIT 50`, a.ClinicID, TakeoverNoticeDays)
	return out, err
}

// TakenFrom lists the takeovers of the last TakeoverNoticeDays of couples
// taken from the caller (their notice as the previous counselor).
func (s *Service) TakenFrom(ctx context.Context, a actor.Actor) ([]Takeover, error) {
	out := []Takeover{}
	err := s.db.SelectContext(ctx, &out, takeoverSelect+` AND t.previous_counselor_id = $3
		ORDER BY t.created_at DESC, t.id DESC LIMIT 50`, a.ClinicID, TakeoverNoticeDays, a.UserID)
	return out, err
}
