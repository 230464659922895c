package remind

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/tz"
)

// counselor is one counselor membership whose digest may be due.
type counselor struct {
	UserID     int64      `db:"user_id"`
	ClinicID   int64      `db:"clinic_id"`
	UserZone   *string    `db:"user_zone"`
	ClinicZone *string    `db:"clinic_zone"`
	Hour       int        `db:"digest_hour"`
	LastDay    *time.Time `db:"last_day"`
	LastSent   *time.Time `db:"last_sent"`
}

// DigestCounts are what a digest tells, for the counselor's active couples.
type DigestCounts struct {
	// Submitted: submissions (first or again) since the previous digest, or
	// in the last 24 hours when there was none.
	Submitted int `db:"submitted"`
	// Waiting: submitted work not reviewed yet.
	Waiting int `db:"waiting"`
	// Overdue: open work past its due time.
	Overdue int `db:"overdue"`
	// Attention: submitted safety checks with concerning answers not
	// reviewed yet (cardinality(concern_fields) > 0).
	Attention int `db:"attention"`
	// Measures: outcome-measure alerts since the previous digest (a score
	// into distress, a drop, partners moving apart; internal/measure).
	Measures int `db:"measures"`
}

func (c DigestCounts) any() bool { return c.Submitted+c.Waiting+c.Overdue+c.Attention+c.Measures > 0 }

func (c DigestCounts) mail() map[string]int {
	out := map[string]int{}
	for k, v := range map[string]int{"submitted": c.Submitted, "waiting": c.Waiting, "overdue": c.Overdue, "attention": c.Attention,
		"measures": c.Measures} {
		if v > 0 {
			out[k] = v
		}
	}
	return out
}

// Digests sends each counselor's daily digest at their digest hour (default
// 8:00) in their zone, and returns how many it queued. A digest counts the
// counselor's active couples only (a paused couple has nothing overdue, a
// closed one nothing at all). A day is settled once: at the first run
// from the digest hour on (until the quiet hours), it is recorded in
// reminder_sends and mailed when something is not zero, so a quiet morning
// is not followed by a "digest" in the afternoon. Turned off: nothing is
// planned (the mail worker checks again at send time).
func (s *Service) Digests(ctx context.Context, now time.Time) (int, error) {
	var rows []counselor
	// Counselors with an active couple, through their memberships (not the
	// users), with their last digest day (the reminder_sends key).
	if err := s.db.SelectContext(ctx, &rows, `SELECT m.user_id, m.clinic_id, u.time_zone AS user_zone, cl.time_zone AS clinic_zone,
			coalesce(ns.digest_hour, $1) AS digest_hour, last.day AS last_day, last.sent_at AS last_sent
		FROM memberships m
		JOIN users u ON u.id = m.user_id AND u.active
		JOIN clinics cl ON cl.id = m.clinic_id
		LEFT JOIN notification_settings ns ON ns.user_id = m.user_id
		LEFT JOIN LATERAL (SELECT rs.day, rs.sent_at FROM reminder_sends rs WHERE rs.user_id = m.user_id AND rs.kind = 'digest'
			ORDER BY rs.day DESC LIMIT 1) last ON true
		WHERE m.role = 'counselor' AND m.active AND coalesce(ns.digest, true)
		  AND EXISTS (SELECT 1 FROM couples c WHERE c.clinic_id = m.clinic_id AND c.counselor_id = m.user_id AND c.status = 'active')
		ORDER BY m.user_id, m.clinic_id`, DefaultDigestHour); err != nil {
		return 0, err
	}
	var sends []send
	for i := 0; i < len(rows); {
		j := i
		clinics := []int64{}
		for j < len(rows) && rows[j].UserID == rows[i].UserID {
			clinics = append(clinics, rows[j].ClinicID)
			j++
		}
		c := rows[i]
		i = j
		loc := zoneOf(c.UserZone, c.ClinicZone)
		today := tz.Today(now, loc)
		if Quiet(now, loc) || now.In(loc).Hour() < c.Hour || c.LastDay != nil && !c.LastDay.Before(today) {
			continue
		}
		since := now.Add(-24 * time.Hour)
		if c.LastSent != nil {
			since = *c.LastSent
		}
		counts, err := s.DigestCounts(ctx, c.UserID, clinics, since, now)
		if err != nil {
			return 0, err
		}
		x := send{UserID: c.UserID, Day: today}
		if counts.any() {
			x.Args = &mail.Args{What: mail.Digest, ClinicID: c.ClinicID, UserID: c.UserID, Day: dayName(today), Path: "/",
				Counts: counts.mail()}
		}
		sends = append(sends, x)
	}
	return s.record(ctx, "digest", now, sends)
}

// DigestCounts counts a counselor's active couples in the given clinics at
// now; submissions are counted from since.
func (s *Service) DigestCounts(ctx context.Context, counselorID int64, clinics []int64, since, now time.Time) (DigestCounts, error) {
	var c DigestCounts
	err := s.db.GetContext(ctx, &c, `SELECT
			count(*) FILTER (WHERE `+assignment.WaitsForReviewSQL("r", "a")+`) AS waiting,
			count(*) FILTER (WHERE r.status = 'submitted' AND cardinality(r.concern_fields) > 0) AS attention,
			count(*) FILTER (WHERE r.status IN ('draft', 'revision_requested') AND r.due_at < $4) AS overdue,
			coalesce(sum((SELECT count(*) FROM submissions s WHERE s.response_id = r.id AND s.submitted_at > $3 AND s.submitted_at <= $4))
				FILTER (WHERE r.submitted_at > $3), 0) AS submitted,
			(SELECT count(*) FROM measure_alerts m JOIN couples mc ON mc.id = m.couple_id
				WHERE mc.clinic_id = ANY($2) AND mc.counselor_id = $1 AND mc.status = 'active'
				  AND m.created_at > $3 AND m.created_at <= $4) AS measures
		FROM couples c
		JOIN responses r ON r.couple_id = c.id
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
		WHERE c.clinic_id = ANY($2) AND c.counselor_id = $1 AND c.status = 'active'`,
		counselorID, pq.Array(clinics), since, now)
	return c, err
}
