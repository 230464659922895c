package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/settings"
	"github.com/mend-clinic/mend/internal/tz"
)

func init() {
	// Zone choosers list Go's zones grouped by area (templates/partials.html "zoneselect").
	funcs["zoneAreas"] = tz.Areas
	funcs["zoneOffered"] = tz.Offered
}

// settingsPageRoutes are a person's own settings and the one-click
// unsubscribe page (which needs no session: see sessionlessRoutes).
func (s *Server) settingsPageRoutes() []route {
	return []route{
		{"GET", "/settings/notifications", "account:manage_self", s.notificationSettingsPage},
		{"POST", "/settings/notifications", "account:manage_self", s.saveNotifications},
	}
}

// settingsAPIRoutes are the API's settings endpoints.
func (s *Server) settingsAPIRoutes() []route {
	return []route{
		{"GET", "/clinic", "clinic:configure", s.apiClinic},
		{"PATCH", "/clinic", "clinic:configure", s.apiPatchClinic},
		{"GET", "/me/notification-settings", "account:manage_self", s.apiNotificationSettings},
		{"PATCH", "/me/notification-settings", "account:manage_self", s.apiPatchNotifications},
	}
}

// sessionlessRoutes are public pages that read no session and need no
// CSRF token: a mail program's one-click unsubscribe (RFC 8058) POSTs with
// no cookie, and the link's MAC authorizes exactly that one change.
func (s *Server) sessionlessRoutes() []route {
	return []route{
		{"GET", "/healthz", public, s.healthz},
		{"GET", "/unsubscribe/:uid/:category/:mac", public, s.unsubscribePage},
		{"POST", "/unsubscribe/:uid/:category/:mac", public, s.unsubscribe},
	}
}

// ---- the clinic's settings (admins) ----

// settingsPage shows the clinic's settings: its name, its time zone and
// whether staff must use two-factor sign-in.
func (s *Server) settingsPage(c echo.Context) error {
	cl, err := s.Settings.Clinic(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	form := map[string]string{"name": cl.Name, "time_zone": "", "require_staff_mfa": ""}
	if cl.TimeZone != nil {
		form["time_zone"] = *cl.TimeZone
	}
	if cl.RequireStaffMFA {
		form["require_staff_mfa"] = "on"
	}
	return s.renderClinicSettings(c, http.StatusOK, cl, page{Form: form})
}

// clinicSettingsView is the clinic settings page's model.
type clinicSettingsView struct {
	Clinic  settings.Clinic
	ZoneSet bool // the clinic chose a zone (else UTC is in use)
}

func (s *Server) renderClinicSettings(c echo.Context, status int, cl settings.Clinic, p page) error {
	p.Title = "Clinic settings"
	p.Data = clinicSettingsView{Clinic: cl, ZoneSet: cl.TimeZone != nil}
	return s.render(c, status, "settings", p)
}

func (s *Server) saveSettings(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	f := formValues(c, "name", "time_zone", "require_staff_mfa")
	errs := map[string]string{}
	var p settings.ClinicPatch
	if _, ok := c.Request().PostForm["name"]; ok {
		p.Name = ptr(f["name"])
	}
	// The chooser has no empty choice once a zone is set: an empty value
	// leaves the zone as it is (unset until chosen).
	if f["time_zone"] != "" {
		p.TimeZone = ptr(f["time_zone"])
	}
	switch f["require_staff_mfa"] {
	case "", "on":
		p.RequireStaffMFA = ptr(f["require_staff_mfa"] == "on")
	default:
		errs["require_staff_mfa"] = "Tick the box or leave it empty."
	}
	var err error
	if len(errs) == 0 {
		_, err = s.Settings.UpdateClinic(ctx, a, p)
	}
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		for k, v := range ae.Fields {
			errs[k] = v
		}
	} else if err != nil {
		return err
	}
	if len(errs) > 0 {
		cl, err := s.Settings.Clinic(ctx, a)
		if err != nil {
			return err
		}
		return s.renderClinicSettings(c, http.StatusUnprocessableEntity, cl, page{Form: f, Errors: errs,
			Error: "Please correct the highlighted fields."})
	}
	s.flash(c, "Settings saved.")
	return c.Redirect(http.StatusSeeOther, "/admin/settings")
}

// ---- a person's own notification settings ----

// notificationForm is how the page shows settings: checkboxes "on" or "",
// hours as numbers.
func notificationForm(n settings.Notifications) map[string]string {
	on := func(b bool) string {
		if b {
			return "on"
		}
		return ""
	}
	return map[string]string{"time_zone": n.TimeZone, "reminders": on(n.Reminders), "reminder_hour": strconv.Itoa(n.ReminderHour),
		"checkin_hour": strconv.Itoa(n.CheckinHour), "updates": on(n.Updates), "digest": on(n.Digest), "digest_hour": strconv.Itoa(n.DigestHour)}
}

func (s *Server) notificationSettingsPage(c echo.Context) error {
	n, err := s.Settings.Notifications(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return s.renderNotifications(c, http.StatusOK, n, page{Form: notificationForm(n)})
}

// notificationSettingsView is the notification settings page's model.
type notificationSettingsView struct {
	Counselor     bool   // the digest rows are shown to counselors only
	ClinicZone    string // the zone used when the person chooses none
	ClinicZoneSet bool
	AlwaysSent    []string // mail that cannot be turned off
	First, Last   int      // the hours a mail may be chosen for
}

func (s *Server) renderNotifications(c echo.Context, status int, n settings.Notifications, p page) error {
	a := mustActor(c)
	p.Title = "Notifications and time zone"
	p.Data = notificationSettingsView{Counselor: n.Counselor, ClinicZone: tz.Name(a.ClinicLoc()), ClinicZoneSet: a.ClinicZoneSet,
		AlwaysSent: settings.AlwaysSent, First: settings.FirstHour, Last: settings.LastHour}
	return s.render(c, status, "settings_notifications", p)
}

// saveNotifications stores the whole form: a box left unticked is off.
func (s *Server) saveNotifications(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	cur, err := s.Settings.Notifications(ctx, a)
	if err != nil {
		return err
	}
	f := formValues(c, "time_zone", "reminders", "reminder_hour", "checkin_hour", "updates", "digest", "digest_hour")
	errs := map[string]string{}
	p := settings.Patch{TimeZone: ptr(f["time_zone"]), Reminders: ptr(f["reminders"] == "on"), Updates: ptr(f["updates"] == "on")}
	hour := func(name string) *int {
		v := strings.TrimSpace(f[name])
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(v, ":00"), "h"))
		if err != nil {
			errs[name] = "Give a whole hour from 8 to 20, such as 9 or 19."
			return nil
		}
		return &n
	}
	p.ReminderHour, p.CheckinHour = hour("reminder_hour"), hour("checkin_hour")
	if cur.Counselor {
		p.Digest, p.DigestHour = ptr(f["digest"] == "on"), hour("digest_hour")
	}
	if len(errs) > 0 { // a malformed hour: say what else is wrong too, save nothing
		for k, v := range settings.Check(cur, p) {
			errs[k] = v
		}
	} else {
		_, err = s.Settings.UpdateNotifications(ctx, a, p)
	}
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		for k, v := range ae.Fields {
			if errs[k] == "" {
				errs[k] = v
			}
		}
	} else if err != nil {
		return err
	}
	if len(errs) > 0 {
		return s.renderNotifications(c, http.StatusUnprocessableEntity, cur, page{Form: f, Errors: errs,
			Error: "Please correct the highlighted fields: nothing was saved."})
	}
	s.flash(c, "Your settings are saved.")
	return c.Redirect(http.StatusSeeOther, "/settings/notifications")
}

// ---- one-click unsubscribe (no sign-in) ----

// categoryWords names a mail category on the unsubscribe page.
var categoryWords = map[mail.Category]string{
	mail.Reminders: "reminder emails",
	mail.Updates:   "update emails (new work, feedback, your partner shared something)",
	mail.Digests:   "the daily digest email",
}

// unsubscribePage asks before turning a category off: link checkers and
// mail scanners open links, so a GET changes nothing.
func (s *Server) unsubscribePage(c echo.Context) error {
	u, err := s.Settings.Link(c.Request().Context(), c.Param("uid"), c.Param("category"), c.Param("mac"))
	if err != nil {
		return err
	}
	return s.renderUnsubscribe(c, u, false)
}

func (s *Server) renderUnsubscribe(c echo.Context, u settings.Unsubscription, done bool) error {
	title := "Stop " + categoryWords[u.Category] + "?"
	if done || !u.On {
		title = "You will no longer get " + categoryWords[u.Category]
	}
	// The page is one of a mail's: no caching by a proxy, no referrer.
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "unsubscribe", page{Title: title, Data: unsubscribeView{
		Words: categoryWords[u.Category], On: u.On, Done: done, Action: c.Request().URL.Path,
	}})
}

// unsubscribeView is the unsubscribe page's model.
type unsubscribeView struct {
	Words  string // what the category is called ("reminders")
	On     bool   // the category is still on
	Done   bool   // it was turned off just now
	Action string
}

// unsubscribe turns the category off. It answers both the button on the
// page and a mail program's RFC 8058 one-click POST (body
// List-Unsubscribe=One-Click, no cookie, no CSRF token): the MAC in the
// path authorizes exactly this change.
func (s *Server) unsubscribe(c echo.Context) error {
	a := baseActor(c)
	u, err := s.Settings.Unsubscribe(c.Request().Context(), a, c.Param("uid"), c.Param("category"), c.Param("mac"))
	if err != nil {
		return err
	}
	return s.renderUnsubscribe(c, u, true)
}

// ---- API ----

// clinicJSON is the clinic as GET/PATCH /clinic answer it.
type clinicJSON struct {
	settings.Clinic
	// Zone is the zone the clinic runs on: time_zone, or UTC until chosen.
	Zone string `json:"zone"`
}

func (s *Server) apiClinic(c echo.Context) error {
	cl, err := s.Settings.Clinic(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, clinicJSON{cl, cl.Zone()})
}

// apiPatchClinic applies a JSON Merge Patch: name, time_zone (null: back to
// UTC until chosen), require_staff_mfa.
func (s *Server) apiPatchClinic(c echo.Context) error {
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	p := settings.ClinicPatch{Name: pr.str("name", false), TimeZone: pr.str("time_zone", true), RequireStaffMFA: pr.boolean("require_staff_mfa")}
	pr.ignore("id", "zone")
	if err := pr.done(); err != nil {
		return err
	}
	cl, err := s.Settings.UpdateClinic(c.Request().Context(), mustActor(c), p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, clinicJSON{cl, cl.Zone()})
}

// notificationsJSON is a person's settings in the API: time_zone null
// follows the clinic's (zone is the one in effect); the digest only for
// counselors; always_sent names the mail that cannot be turned off.
func notificationsJSON(a actor.Actor, n settings.Notifications) map[string]any {
	out := map[string]any{"time_zone": nil, "zone": tz.Name(a.ClinicLoc()), "reminders": n.Reminders, "reminder_hour": n.ReminderHour,
		"checkin_hour": n.CheckinHour, "updates": n.Updates, "always_sent": settings.AlwaysSent}
	if n.TimeZone != "" {
		out["time_zone"], out["zone"] = n.TimeZone, n.TimeZone
	}
	if n.Counselor {
		out["digest"], out["digest_hour"] = n.Digest, n.DigestHour
	}
	return out
}

func (s *Server) apiNotificationSettings(c echo.Context) error {
	a := mustActor(c)
	n, err := s.Settings.Notifications(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, notificationsJSON(a, n))
}

// apiPatchNotifications applies a JSON Merge Patch to the caller's
// settings; 422 with fields for each bad one (nothing is saved then).
func (s *Server) apiPatchNotifications(c echo.Context) error {
	pr, err := readPatch(c)
	if err != nil {
		return err
	}
	p := settings.Patch{TimeZone: pr.str("time_zone", true), Reminders: pr.boolean("reminders"), ReminderHour: pr.hour("reminder_hour"),
		CheckinHour: pr.hour("checkin_hour"), Updates: pr.boolean("updates"), Digest: pr.boolean("digest"), DigestHour: pr.hour("digest_hour")}
	pr.ignore("zone", "always_sent")
	if err := pr.done(); err != nil {
		return err
	}
	a := mustActor(c)
	n, err := s.Settings.UpdateNotifications(c.Request().Context(), a, p)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, notificationsJSON(a, n))
}

func ptr[T any](v T) *T { return &v }
