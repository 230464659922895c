package assignment

import (
	"context"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
)

// Choice is one option in the assign form.
type Choice struct {
	ID        int64  `db:"id"`
	Title     string `db:"title"`
	Category  string `db:"category"`
	Mode      string `db:"suggested_mode"`
	Private   bool   `db:"private_to_counselor"`
	Recurring bool   `db:"recurring"`
	Measure   string `db:"measure"`
}

// PartnerChoice is a partner of the couple.
type PartnerChoice struct {
	ID   int64  `db:"id"`
	Slot string `db:"slot"`
	Name string `db:"name"`
}

// ReplyChoice is a submitted response that a reply can answer.
type ReplyChoice struct {
	ID        int64  `db:"id"`
	Title     string `db:"title"`
	PartnerID int64  `db:"partner_id"`
	Partner   string `db:"partner"`
	// Other is the partner who would reply; OtherReads tells whether they
	// may read the response yet (shared, or revealed together).
	Other      string `db:"other"`
	OtherReads bool   `db:"other_reads"`
}

// AssignOptions is what the assign form offers for one couple.
type AssignOptions struct {
	CoupleID     int64
	CoupleLabel  string
	CoupleStatus string
	Partners     []PartnerChoice
	Templates    []Choice
	Replies      []ReplyChoice
}

// Options loads the assign form's choices for the couple's own counselor.
func (s *Service) Options(ctx context.Context, a actor.Actor, coupleID int64) (AssignOptions, error) {
	var o AssignOptions
	acc, err := coupleAccess(ctx, s.db, a, coupleID)
	if err != nil {
		return o, err
	}
	if !acc.Counselor {
		if acc.Admin || acc.PartnerID != 0 {
			return o, apperr.New(apperr.Forbidden, "Only the couple's counselor can assign exercises.")
		}
		return o, errNotFound
	}
	o.CoupleID, o.CoupleLabel, o.CoupleStatus = coupleID, acc.CoupleLabel, acc.CoupleStatus
	if err := s.db.SelectContext(ctx, &o.Partners, `SELECT id, slot, name FROM partners WHERE couple_id = $1 ORDER BY slot`, coupleID); err != nil {
		return o, err
	}
	if err := s.db.SelectContext(ctx, &o.Templates, `SELECT t.id, t.title, t.category, t.suggested_mode, t.private_to_counselor, t.recurring,
		coalesce(t.measure, '') AS measure FROM exercise_templates t WHERE t.archived_at IS NULL AND `+
		`(t.visibility = 'builtin' OR (t.clinic_id = $1 AND (t.visibility = 'clinic' OR t.owner_id = $2)))
		ORDER BY t.visibility = 'builtin', lower(t.title), t.id LIMIT 500`, a.ClinicID, a.UserID); err != nil {
		return o, err
	}
	err = s.db.SelectContext(ctx, &o.Replies, `SELECT r.id, v.title, r.partner_id, p.name AS partner, op.name AS other,
			`+partnerReadsExpr+` AS other_reads
		FROM responses r JOIN assignments a ON a.id = r.assignment_id
		JOIN exercise_templates t ON t.id = a.template_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version AND NOT `+privateExpr+`
		JOIN partners p ON p.id = r.partner_id
		JOIN partners op ON op.couple_id = r.couple_id AND op.id <> r.partner_id
		WHERE r.couple_id = $1 AND r.submitted_at IS NOT NULL AND r.occurs_on IS NULL AND v.measure IS NULL
		ORDER BY r.submitted_at DESC LIMIT 100`, coupleID)
	return o, err
}
