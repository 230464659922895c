// Package settings holds what people choose about Mend itself: a person's
// own time zone and which mail they receive (reminders, updates, the
// counselor's digest, and at which local hour), a clinic's name, time zone
// and two-factor rule, and the one-click unsubscribe that mail carries.
//
// The mail worker (internal/mail) reads notification_settings when it
// sends, so a change takes effect on the next mail, queued or not.
package settings

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/security"
	"github.com/mend-clinic/mend/internal/tz"
)

// Local hours at which reminders and the digest may be sent: never during
// the quiet hours, 21:00 to 8:00.
const (
	FirstHour = 8
	LastHour  = 20
)

// Defaults are the settings of a person who has chosen none (no row).
var Defaults = Notifications{Reminders: true, ReminderHour: 9, CheckinHour: 19, Updates: true, Digest: true, DigestHour: 8}

// AlwaysSent names the mail that cannot be turned off: each carries a link
// the person needs or tells them about their account or a safety concern.
var AlwaysSent = []string{"invitations", "password reset links", "security notices (password changed, two-factor turned off, a new sign-in after a reset)", "safety alerts to counselors"}

// Notifications is one person's choices.
type Notifications struct {
	// TimeZone is the person's own IANA zone; "" follows the clinic's.
	TimeZone     string `db:"time_zone"`
	Reminders    bool   `db:"reminders"`
	ReminderHour int    `db:"reminder_hour"`
	CheckinHour  int    `db:"checkin_hour"`
	Updates      bool   `db:"updates"`
	Digest       bool   `db:"digest"`
	DigestHour   int    `db:"digest_hour"`
	// Counselor: the person counsels in some clinic, so the digest applies.
	Counselor bool `db:"counselor"`
}

// Patch changes some of a person's choices; nil fields stay as they are.
type Patch struct {
	TimeZone     *string
	Reminders    *bool
	ReminderHour *int
	CheckinHour  *int
	Updates      *bool
	Digest       *bool
	DigestHour   *int
}

// Service reads and changes settings.
type Service struct {
	db    *sqlx.DB
	audit *audit.Logger
	sign  auth.Signer
	// OnChange, when set, runs in the transaction that changes a person's
	// zone or notification settings (reminders are planned from them).
	OnChange func(ctx context.Context, tx *db.Tx, userID int64) error
	// OnClinicZone, when set, runs in the transaction that changes a
	// clinic's time zone.
	OnClinicZone func(ctx context.Context, tx *db.Tx, clinicID int64) error
}

// New returns the settings service; secretKey keys the unsubscribe links
// (the same key the mail worker signs them with).
func New(d *sqlx.DB, al *audit.Logger, secretKey []byte) (*Service, error) {
	sign, err := mail.UnsubscribeSigner(secretKey)
	if err != nil {
		return nil, err
	}
	return &Service{db: d, audit: al, sign: sign}, nil
}

const notificationsSQL = `SELECT coalesce(u.time_zone, '') AS time_zone,
		coalesce(s.reminders, true) AS reminders, coalesce(s.reminder_hour, 9) AS reminder_hour,
		coalesce(s.checkin_hour, 19) AS checkin_hour, coalesce(s.updates, true) AS updates,
		coalesce(s.digest, true) AS digest, coalesce(s.digest_hour, 8) AS digest_hour,
		EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'counselor' AND m.active) AS counselor
	FROM users u LEFT JOIN notification_settings s ON s.user_id = u.id WHERE u.id = $1 AND u.active`

// Notifications returns the caller's own settings (the defaults when they
// have chosen none).
func (s *Service) Notifications(ctx context.Context, a actor.Actor) (Notifications, error) {
	return s.read(ctx, s.db, a.UserID, "")
}

func (s *Service) read(ctx context.Context, q sqlx.QueryerContext, userID int64, lock string) (Notifications, error) {
	var n Notifications
	err := sqlx.GetContext(ctx, q, &n, notificationsSQL+lock, userID)
	if errors.Is(err, sql.ErrNoRows) {
		return n, apperr.New(apperr.NotFound, "We could not find that account.")
	}
	return n, err
}

// HourMessage is the one message for an hour outside 8..20.
const HourMessage = "Choose an hour from 8:00 to 20:00: Mend sends nothing during the quiet hours (21:00–8:00)."

// ZoneMessage is the one message for a time zone Mend does not know.
const ZoneMessage = "Choose a time zone from the list: an IANA name such as Europe/Berlin or America/New_York."

// UpdateNotifications applies p to the caller's own settings, after
// checking every field: the time zone is an IANA name or "" (the
// clinic's), hours are 8..20, and only counselors have a digest. A change
// is audited (settings.notifications, naming what changed) for each clinic
// of the account.
func (s *Service) UpdateNotifications(ctx context.Context, a actor.Actor, p Patch) (Notifications, error) {
	var out Notifications
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		cur, err := s.read(ctx, tx, a.UserID, " FOR UPDATE OF u")
		if err != nil {
			return err
		}
		next, fields := apply(cur, p)
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		out = next
		changed := diff(cur, next)
		if len(changed) == 0 {
			return nil
		}
		return s.write(ctx, tx, a, a.UserID, next, audit.Event{Action: "settings.notifications", ObjectType: "user", ObjectID: a.UserID, Detail: changed})
	})
	return out, err
}

// Check returns what is wrong with p as a change of cur, by field (nil:
// nothing), without saving anything.
func Check(cur Notifications, p Patch) map[string]string {
	if _, fields := apply(cur, p); len(fields) > 0 {
		return fields
	}
	return nil
}

// apply checks p against the rules and returns the settings it makes.
func apply(cur Notifications, p Patch) (Notifications, map[string]string) {
	next, fields := cur, map[string]string{}
	if p.TimeZone != nil {
		if z := *p.TimeZone; z != "" && !tz.Valid(z) {
			fields["time_zone"] = ZoneMessage
		} else {
			next.TimeZone = z
		}
	}
	hour := func(name string, v *int, dst *int) {
		if v == nil {
			return
		}
		if *v < FirstHour || *v > LastHour {
			fields[name] = HourMessage
			return
		}
		*dst = *v
	}
	hour("reminder_hour", p.ReminderHour, &next.ReminderHour)
	hour("checkin_hour", p.CheckinHour, &next.CheckinHour)
	if p.Reminders != nil {
		next.Reminders = *p.Reminders
	}
	if p.Updates != nil {
		next.Updates = *p.Updates
	}
	if (p.Digest != nil || p.DigestHour != nil) && !cur.Counselor {
		if p.Digest != nil {
			fields["digest"] = "Only counselors receive a daily digest."
		}
		if p.DigestHour != nil {
			fields["digest_hour"] = "Only counselors receive a daily digest."
		}
	} else {
		hour("digest_hour", p.DigestHour, &next.DigestHour)
		if p.Digest != nil {
			next.Digest = *p.Digest
		}
	}
	return next, fields
}

// diff names the settings that differ, with their new values (none of
// them personal: a zone, switches and hours).
func diff(a, b Notifications) map[string]any {
	d := map[string]any{}
	if a.TimeZone != b.TimeZone {
		d["time_zone"] = b.TimeZone
	}
	if a.Reminders != b.Reminders {
		d["reminders"] = b.Reminders
	}
	if a.ReminderHour != b.ReminderHour {
		d["reminder_hour"] = b.ReminderHour
	}
	if a.CheckinHour != b.CheckinHour {
		d["checkin_hour"] = b.CheckinHour
	}
	if a.Updates != b.Updates {
		d["updates"] = b.Updates
	}
	if a.Digest != b.Digest {
		d["digest"] = b.Digest
	}
	if a.DigestHour != b.DigestHour {
		d["digest_hour"] = b.DigestHour
	}
	return d
}

// write stores a person's settings and audits ev once per clinic of the
// account (the admins of each see it; the values are not personal).
func (s *Service) write(ctx context.Context, tx *db.Tx, a actor.Actor, userID int64, n Notifications, ev audit.Event) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET time_zone = NULLIF($2, ''), updated_at = now() WHERE id = $1`, userID, n.TimeZone); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO notification_settings (user_id, reminders, reminder_hour, checkin_hour, updates, digest, digest_hour)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id) DO UPDATE SET reminders = $2, reminder_hour = $3, checkin_hour = $4, updates = $5, digest = $6,
			digest_hour = $7, updated_at = now()`,
		userID, n.Reminders, n.ReminderHour, n.CheckinHour, n.Updates, n.Digest, n.DigestHour); err != nil {
		return err
	}
	if s.OnChange != nil {
		if err := s.OnChange(ctx, tx, userID); err != nil {
			return err
		}
	}
	return security.LogAccountEvent(ctx, tx, s.audit, a, userID, ev)
}

// ---- one-click unsubscribe ----

// Turnable are the categories a person may turn off, by the name their
// unsubscribe link carries.
var Turnable = map[string]mail.Category{
	string(mail.Updates): mail.Updates, string(mail.Reminders): mail.Reminders, string(mail.Digests): mail.Digests,
}

var errNoLink = apperr.New(apperr.NotFound, "This unsubscribe link is not valid. Sign in to change which emails you receive.")

// Unsubscription is what an unsubscribe link stands for.
type Unsubscription struct {
	UserID   int64
	Category mail.Category
	// On: the category is still being sent.
	On bool
}

// Link checks an unsubscribe link (the user id, category and MAC of its
// path) and says whether that category is still on. A bad MAC, a category
// that cannot be turned off or an unknown or disabled account is NotFound.
func (s *Service) Link(ctx context.Context, uid, category, mac string) (Unsubscription, error) {
	u, _, err := s.link(ctx, s.db, uid, category, mac, "")
	return u, err
}

func (s *Service) link(ctx context.Context, q sqlx.QueryerContext, uid, category, mac, lock string) (Unsubscription, Notifications, error) {
	cat, ok := Turnable[category]
	id, err := strconv.ParseInt(uid, 10, 64)
	if !ok || err != nil || id <= 0 || strconv.FormatInt(id, 10) != uid || !s.sign.Verify(uid+":"+category, mac) {
		return Unsubscription{}, Notifications{}, errNoLink
	}
	n, err := s.read(ctx, q, id, lock)
	if apperr.Is(err, apperr.NotFound) {
		return Unsubscription{}, n, errNoLink
	}
	if err != nil {
		return Unsubscription{}, n, err
	}
	u := Unsubscription{UserID: id, Category: cat}
	switch cat {
	case mail.Updates:
		u.On = n.Updates
	case mail.Reminders:
		u.On = n.Reminders
	case mail.Digests:
		u.On = n.Digest
	}
	return u, n, nil
}

// Unsubscribe turns off the category an unsubscribe link names, without a
// sign-in: the link's MAC authorizes exactly this one change. It is audited
// with the account holder as the actor (settings.unsubscribe); a repeat
// (mail programs may POST twice) changes and records nothing.
func (s *Service) Unsubscribe(ctx context.Context, a actor.Actor, uid, category, mac string) (Unsubscription, error) {
	var out Unsubscription
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		u, n, err := s.link(ctx, tx, uid, category, mac, " FOR UPDATE OF u")
		if err != nil {
			return err
		}
		out = u
		if !u.On {
			return nil
		}
		switch u.Category {
		case mail.Updates:
			n.Updates = false
		case mail.Reminders:
			n.Reminders = false
		case mail.Digests:
			n.Digest = false
		}
		out.On = false
		a.UserID = u.UserID
		return s.write(ctx, tx, a, u.UserID, n, audit.Event{Action: "settings.unsubscribe", ObjectType: "user", ObjectID: u.UserID,
			Detail: map[string]any{"category": string(u.Category), "via": "link"}})
	})
	return out, err
}

// ---- the clinic ----

// Clinic is a clinic's settings.
type Clinic struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
	// TimeZone is the clinic's IANA zone, null until chosen (UTC meanwhile).
	TimeZone        *string `db:"time_zone" json:"time_zone"`
	RequireStaffMFA bool    `db:"require_staff_mfa" json:"require_staff_mfa"`
}

// Zone is the zone the clinic runs on (UTC until chosen).
func (c Clinic) Zone() string {
	if c.TimeZone == nil {
		return tz.Default
	}
	return *c.TimeZone
}

// ClinicPatch changes some of a clinic's settings; nil fields stay. A
// TimeZone of "" clears the zone (the clinic runs on UTC again, and its
// admins are told so).
type ClinicPatch struct {
	Name            *string
	TimeZone        *string
	RequireStaffMFA *bool
}

// Clinic returns the caller's clinic's settings.
func (s *Service) Clinic(ctx context.Context, a actor.Actor) (Clinic, error) {
	return s.clinic(ctx, s.db, a.ClinicID, "")
}

func (s *Service) clinic(ctx context.Context, q sqlx.QueryerContext, id int64, lock string) (Clinic, error) {
	var c Clinic
	err := sqlx.GetContext(ctx, q, &c, `SELECT id, name, time_zone, require_staff_mfa FROM clinics WHERE id = $1`+lock, id)
	if errors.Is(err, sql.ErrNoRows) {
		return c, apperr.New(apperr.NotFound, "No such clinic.")
	}
	if err != nil {
		return c, fmt.Errorf("clinic %d: %w", id, err)
	}
	return c, nil
}

// UpdateClinic changes the caller's clinic (its admins: the route's
// permission says so). Each field is checked; a change is audited
// (clinic.settings, naming what changed).
func (s *Service) UpdateClinic(ctx context.Context, a actor.Actor, p ClinicPatch) (Clinic, error) {
	var out Clinic
	err := db.InTx(ctx, s.db, func(tx *db.Tx) error {
		cur, err := s.clinic(ctx, tx, a.ClinicID, " FOR UPDATE")
		if err != nil {
			return err
		}
		next, fields := cur, map[string]string{}
		if p.Name != nil {
			if n, err := account.CheckName(*p.Name); err != nil {
				fields["name"] = err.Error()
			} else {
				next.Name = n
			}
		}
		if p.TimeZone != nil {
			switch z := *p.TimeZone; {
			case z == "":
				next.TimeZone = nil
			case !tz.Valid(z):
				fields["time_zone"] = ZoneMessage
			default:
				next.TimeZone = &z
			}
		}
		if p.RequireStaffMFA != nil {
			next.RequireStaffMFA = *p.RequireStaffMFA
		}
		if len(fields) > 0 {
			return apperr.Fields("Please correct the highlighted fields.", fields)
		}
		out = next
		changed := map[string]any{}
		if next.Name != cur.Name {
			changed["name"] = next.Name
		}
		zoneChanged := (next.TimeZone == nil) != (cur.TimeZone == nil) || (next.TimeZone != nil && *next.TimeZone != *cur.TimeZone)
		if zoneChanged {
			changed["time_zone"] = next.TimeZone
		}
		if next.RequireStaffMFA != cur.RequireStaffMFA {
			changed["require_staff_mfa"] = next.RequireStaffMFA
		}
		if len(changed) == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE clinics SET name = $2, time_zone = $3, require_staff_mfa = $4 WHERE id = $1`,
			cur.ID, next.Name, next.TimeZone, next.RequireStaffMFA); err != nil {
			return err
		}
		if zoneChanged && s.OnClinicZone != nil {
			if err := s.OnClinicZone(ctx, tx, cur.ID); err != nil {
				return err
			}
		}
		return s.audit.Log(ctx, tx, a, audit.Event{Action: "clinic.settings", ObjectType: "clinic", ObjectID: cur.ID, ClinicID: cur.ID, Detail: changed})
	})
	return out, err
}

// ZoneOf is the zone to show a person times in when they are not signed
// in (a page behind a link mailed to them): their own, else the clinic's,
// else UTC.
func (s *Service) ZoneOf(ctx context.Context, userID, clinicID int64) (*time.Location, error) {
	var name string
	err := s.db.GetContext(ctx, &name, `SELECT coalesce((SELECT time_zone FROM users WHERE id = $1),
		(SELECT time_zone FROM clinics WHERE id = $2), '')`, userID, clinicID)
	return tz.Or(name), err
}
