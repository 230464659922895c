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
// yet, without sending them. Two steps: who is to be mailed now (open
// work due in the next two days, read from the covering index
// responses_open_due_cover_idx, with each person's own zone from
// users_own_zone_idx, narrowed in SQL by their local hour and today's
// reminder_sends row), then everything open of those people, which plan
// decides on exactly and counts.
func (s *Service) PlanReminders(ctx context.Context, now time.Time) ([]Plan, error) {
	z, err := s.zones(ctx, now)
	if err != nil || len(z.names) == 0 {
		return nil, err // every zone in use is in its quiet hours
	}
	var due []int64
	if err := s.db.SelectContext(ctx, &due, `WITH open AS MATERIALIZED (
			SELECT r.clinic_id, r.couple_id, r.partner_id, r.due_at, r.occurs_on FROM responses r
			WHERE r.status IN ('draft', 'revision_requested') AND r.due_at > $1 AND r.due_at <= $2),
		who AS (
			SELECT o.clinic_id, o.couple_id, o.partner_id, o.due_at, o.occurs_on, p.user_id FROM open o JOIN partners p ON p.id = o.partner_id WHERE p.user_id IS NOT NULL
			UNION ALL
			SELECT o.clinic_id, o.couple_id, o.partner_id, o.due_at, o.occurs_on, p.user_id FROM open o JOIN partners p ON p.couple_id = o.couple_id
			WHERE o.partner_id IS NULL AND p.user_id IS NOT NULL)
		SELECT DISTINCT w.user_id FROM who w
		LEFT JOIN (SELECT id, time_zone FROM users WHERE time_zone IS NOT NULL) u ON u.id = w.user_id
		JOIN clinics cl ON cl.id = w.clinic_id
		JOIN unnest($3::text[], $4::date[], $5::int[], $6::timestamptz[]) AS z(zone, today, hour, tomorrow_end)
			ON z.zone = coalesce(u.time_zone, cl.time_zone, 'UTC')
		LEFT JOIN notification_settings ns ON ns.user_id = w.user_id
		WHERE coalesce(ns.reminders, true)
		  AND (w.occurs_on IS NULL AND w.due_at <= z.tomorrow_end AND z.hour >= coalesce(ns.reminder_hour, $7)
		       OR w.occurs_on IS NOT NULL AND z.hour >= coalesce(ns.checkin_hour, $8))
		  AND NOT EXISTS (SELECT 1 FROM reminder_sends rs WHERE rs.user_id = w.user_id AND rs.kind = 'reminder' AND rs.day = z.today)
		ORDER BY w.user_id`, now, now.Add(window), pq.Array(z.names), pq.Array(z.today), pq.Array(z.hour), pq.Array(z.tomorrowEnd),
		DefaultReminderHour, DefaultCheckinHour); err != nil {
		return nil, err
	}
	if len(due) == 0 {
		return nil, nil
	}
	// Everything open of those people that the mail may count.
	var items []openItem
	if err := s.db.SelectContext(ctx, &items, `SELECT p.user_id, r.clinic_id, r.due_at, a.recur_every IS NOT NULL AS recurring,
			r.occurs_on, u.time_zone AS user_zone, cl.time_zone AS clinic_zone,
			coalesce(ns.reminder_hour, $4) AS reminder_hour, coalesce(ns.checkin_hour, $5) AS checkin_hour
		FROM partners p
		JOIN responses r ON r.couple_id = p.couple_id AND (r.partner_id IS NULL OR r.partner_id = p.id)
		JOIN assignments a ON a.id = r.assignment_id AND a.status = 'active'
		JOIN couples c ON c.id = r.couple_id AND c.status = 'active'
		JOIN clinics cl ON cl.id = r.clinic_id
		JOIN users u ON u.id = p.user_id AND u.active
		JOIN memberships m ON m.user_id = u.id AND m.clinic_id = r.clinic_id AND m.role = 'client' AND m.active
		LEFT JOIN notification_settings ns ON ns.user_id = u.id
		WHERE p.user_id = ANY($3) AND r.status IN ('draft', 'revision_requested') AND r.due_at > $1 AND r.due_at <= $2
		  AND coalesce(ns.reminders, true)
		ORDER BY p.user_id, r.clinic_id`, now, now.Add(window), pq.Array(due), DefaultReminderHour, DefaultCheckinHour); err != nil {
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

// zoneTable is, for each zone in use that is not in its quiet hours at
// now, the local date, hour and end of tomorrow: the sweep's SQL compares
// with them, so every local day is computed by Go's zone rules (tz).
type zoneTable struct {
	names       []string
	today       []string
	hour        []int64
	tomorrowEnd []time.Time
}

// zones lists the zones in use: the clinics' and those people chose
// (users_own_zone_idx), and UTC.
func (s *Service) zones(ctx context.Context, now time.Time) (zoneTable, error) {
	var names []string
	if err := s.db.SelectContext(ctx, &names, `SELECT time_zone FROM clinics WHERE time_zone IS NOT NULL
		UNION SELECT time_zone FROM users WHERE time_zone IS NOT NULL UNION SELECT 'UTC'`); err != nil {
		return zoneTable{}, err
	}
	var z zoneTable
	for _, n := range names {
		loc := tz.Or(n)
		if Quiet(now, loc) {
			continue
		}
		today := tz.Today(now, loc)
		z.names = append(z.names, n)
		z.today = append(z.today, today.Format(time.DateOnly))
		z.hour = append(z.hour, int64(now.In(loc).Hour()))
		z.tomorrowEnd = append(z.tomorrowEnd, tz.End(tz.AddDays(today, 1), loc))
	}
	return z, nil
}

// plan decides one person's reminder at now from their open items. Each
// item is judged in the person's zone (their own, else the item's
// clinic's): a letter, plan or worksheet due today or tomorrow from the
// reminder hour on, an open check-in of today from the check-in hour on,
// never in the quiet hours. The mail then counts everything open.
func plan(items []openItem, now time.Time) (Plan, bool) {
	var p Plan
	c := map[string]int{}
	for _, it := range items {
		loc := zoneOf(it.UserZone, it.ClinicZone)
		today := tz.Today(now, loc)
		hour := now.In(loc).Hour()
		soon := false
		switch {
		case it.Recurring:
			// Today's check-in: made (its clinic day has come) and not past due.
			if it.OccursOn == nil || it.OccursOn.After(tz.Today(now, zoneOf(nil, it.ClinicZone))) {
				continue
			}
			c["checkin"]++
			soon = hour >= it.CheckinHour
		case tz.DateOf(it.DueAt, loc).Equal(today):
			c["due_today"]++
			soon = hour >= it.ReminderHour
		case tz.DateOf(it.DueAt, loc).Equal(tz.AddDays(today, 1)):
			c["due_tomorrow"]++
			soon = hour >= it.ReminderHour
		}
		if soon && !Quiet(now, loc) && p.UserID == 0 {
			p = Plan{UserID: it.UserID, ClinicID: it.ClinicID, Day: today}
		}
	}
	if p.UserID == 0 {
		return Plan{}, false
	}
	p.Counts = c
	return p, true
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
