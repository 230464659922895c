package remind

import (
	"context"
	"time"

	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/tz"
)

// window is how far ahead the reminder sweep looks for due times: the end
// of tomorrow in any zone is less than 50 hours away (a 25-hour day, and a
// person's zone up to a day from UTC's date).
const window = 50 * time.Hour

// openItem is one open response that is due soon, once per partner who
// writes it (a joint response is both partners' work).
type openItem struct {
	UserID       int64      `db:"user_id"`
	ClinicID     int64      `db:"clinic_id"`
	DueAt        time.Time  `db:"due_at"`
	Recurring    bool       `db:"recurring"`
	OccursOn     *time.Time `db:"occurs_on"`
	UserZone     *string    `db:"user_zone"`
	ClinicZone   *string    `db:"clinic_zone"`
	ReminderHour int        `db:"reminder_hour"`
	CheckinHour  int        `db:"checkin_hour"`
}

// Plan is one person's reminder for today, as the sweep decided it.
type Plan struct {
	UserID   int64
	ClinicID int64
	Day      tz.Date // the person's local day
	Counts   map[string]int
}

// Reminders sends the reminders due at now, at most one mail per person per
// local day, and returns how many it queued. Who gets one, and when, in the
// person's zone (users.time_zone, else the clinic's):
//
//   - open work (draft or revision requested) of active assignments of
//     active couples, their own or their couple's joint work, counts; never
//     submitted or accepted work, a withdrawn exercise, a paused or closed
//     couple, or a person who turned reminders off;
//   - letters, plans and worksheets (work that does not recur) due today or
//     tomorrow (and not past due yet) make the day's mail go at the
//     person's reminder hour (default 9:00): the day before and on the day;
//   - otherwise an open check-in of today (recurring work not done yet)
//     makes it go at the check-in hour (default 19:00);
//   - the one mail tells everything: due today, due tomorrow, today's open
//     check-ins, and work past due;
//   - never in the quiet hours: a run at or after 21:00 sends nothing more
//     that day.
//
// Each run recomputes this from the data of that minute, so changes are
// re-planned by themselves (see the package comment).
func (s *Service) Reminders(ctx context.Context, now time.Time) (int, error) {
	plans, err := s.PlanReminders(ctx, now)
	if err != nil {
		return 0, err
	}
	sends := make([]send, len(plans))
	for i, p := range plans {
		sends[i] = send{UserID: p.UserID, Day: p.Day, Args: &mail.Args{What: mail.Reminder, ClinicID: p.ClinicID,
			UserID: p.UserID, Day: dayName(p.Day), Path: "/", Counts: p.Counts}}
	}
	return s.record(ctx, "reminder", now, sends)
}

// PlanReminders returns the reminders due at now that have not been sent
// yet, without sending them.
func (s *Service) PlanReminders(ctx context.Context, now time.Time) ([]Plan, error) {
	// Open work due in the next two days, through the partial index on
	// open responses' due times; per partner who writes it.
	var items []openItem
	if err := s.db.SelectContext(ctx, &items, `SELECT p.user_id, r.clinic_id, r.due_at, a.recur_every IS NOT NULL AS recurring,
			r.occurs_on, u.time_zone AS user_zone, cl.time_zone AS clinic_zone,
			coalesce(ns.reminder_hour, $3) AS reminder_hour, coalesce(ns.checkin_hour, $4) AS checkin_hour
		FROM responses r
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
		JOIN couples c ON c.id = r.couple_id AND c.status = 'active'
		JOIN clinics cl ON cl.id = r.clinic_id
		JOIN partners p ON p.couple_id = r.couple_id AND p.user_id IS NOT NULL AND (r.partner_id IS NULL OR r.partner_id = p.id)
		JOIN users u ON u.id = p.user_id AND u.active
		JOIN memberships m ON m.user_id = u.id AND m.clinic_id = r.clinic_id AND m.role = 'client' AND m.active
		LEFT JOIN notification_settings ns ON ns.user_id = u.id
		WHERE r.status IN ('draft', 'revision_requested') AND r.due_at > $1 AND r.due_at <= $2
		  AND coalesce(ns.reminders, true)
		ORDER BY p.user_id, r.clinic_id`, now, now.Add(window), DefaultReminderHour, DefaultCheckinHour); err != nil {
		return nil, err
	}
	var plans []Plan
	for i := 0; i < len(items); {
		j := i
		for j < len(items) && items[j].UserID == items[i].UserID {
			j++
		}
		if p, ok := plan(items[i:j], now); ok {
			plans = append(plans, p)
		}
		i = j
	}
	if len(plans) == 0 {
		return nil, nil
	}
	return s.unsent(ctx, plans, now)
}

// plan decides one person's reminder at now from their open items (all of
// one user, the first clinic's zone when they are a client of several).
func plan(items []openItem, now time.Time) (Plan, bool) {
	first := items[0]
	loc := zoneOf(first.UserZone, first.ClinicZone)
	if Quiet(now, loc) {
		return Plan{}, false
	}
	hour := now.In(loc).Hour()
	today := tz.Today(now, loc)
	tomorrow := tz.AddDays(today, 1)
	c := map[string]int{}
	for _, it := range items {
		switch {
		case it.Recurring:
			// Today's check-in: made (its clinic day has come) and not past due.
			if it.OccursOn != nil && !it.OccursOn.After(tz.Today(now, zoneOf(nil, it.ClinicZone))) {
				c["checkin"]++
			}
		case tz.DateOf(it.DueAt, loc).Equal(today):
			c["due_today"]++
		case tz.DateOf(it.DueAt, loc).Equal(tomorrow):
			c["due_tomorrow"]++
		}
	}
	soon := c["due_today"]+c["due_tomorrow"] > 0 && hour >= first.ReminderHour
	evening := c["checkin"] > 0 && hour >= first.CheckinHour
	if !soon && !evening {
		return Plan{}, false
	}
	return Plan{UserID: first.UserID, ClinicID: first.ClinicID, Day: today, Counts: c}, true
}

// unsent drops the plans already sent today and adds to the others the
// count of the person's work past its due date (letters, plans and
// worksheets; a missed check-in is not nagged about).
func (s *Service) unsent(ctx context.Context, plans []Plan, now time.Time) ([]Plan, error) {
	ids := make([]int64, len(plans))
	for i, p := range plans {
		ids[i] = p.UserID
	}
	var sent []struct {
		UserID int64     `db:"user_id"`
		Day    time.Time `db:"day"`
	}
	// A local day is within a day of UTC's date.
	if err := s.db.SelectContext(ctx, &sent, `SELECT user_id, day FROM reminder_sends
		WHERE user_id = ANY($1) AND kind = 'reminder' AND day >= $2::date`,
		pq.Array(ids), tz.AddDays(tz.Today(now, time.UTC), -1)); err != nil {
		return nil, err
	}
	done := map[int64]map[string]bool{}
	for _, x := range sent {
		if done[x.UserID] == nil {
			done[x.UserID] = map[string]bool{}
		}
		done[x.UserID][x.Day.Format(time.DateOnly)] = true
	}
	var overdue []struct {
		UserID int64 `db:"user_id"`
		N      int   `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &overdue, `SELECT p.user_id, count(*) AS n
		FROM partners p
		JOIN couples c ON c.id = p.couple_id AND c.status = 'active'
		JOIN responses r ON r.couple_id = p.couple_id AND (r.partner_id IS NULL OR r.partner_id = p.id)
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active' AND a.recur_every IS NULL
		WHERE p.user_id = ANY($1) AND r.status IN ('draft', 'revision_requested') AND r.due_at <= $2
		GROUP BY p.user_id`, pq.Array(ids), now); err != nil {
		return nil, err
	}
	late := map[int64]int{}
	for _, x := range overdue {
		late[x.UserID] = x.N
	}
	out := plans[:0]
	for _, p := range plans {
		if done[p.UserID][p.Day.Format(time.DateOnly)] {
			continue
		}
		if n := late[p.UserID]; n > 0 {
			p.Counts["overdue"] = n
		}
		out = append(out, p)
	}
	return out, nil
}
