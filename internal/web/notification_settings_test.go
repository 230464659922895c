package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
)

type settingsRow struct {
	Reminders    bool `db:"reminders"`
	ReminderHour int  `db:"reminder_hour"`
	CheckinHour  int  `db:"checkin_hour"`
	Updates      bool `db:"updates"`
	Digest       bool `db:"digest"`
	DigestHour   int  `db:"digest_hour"`
}

func settingsOf(t *testing.T, app *apptest.App, email string) (settingsRow, bool) {
	t.Helper()
	var r settingsRow
	err := app.DB.Get(&r, `SELECT s.reminders, s.reminder_hour, s.checkin_hour, s.updates, s.digest, s.digest_hour
		FROM notification_settings s JOIN users u ON u.id = s.user_id WHERE u.email = $1`, email)
	return r, err == nil
}

// The page: every signed-in role reaches it from the account menu; a bad
// hour or zone is shown beside its field with what was typed, and nothing
// is saved; good values are saved, audited, and shown back.
func TestNotificationSettingsPage(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	alex := app.Browser()
	alex.Login("alex@h.test")
	home := alex.Get("/").Body
	if !strings.Contains(home, `href="/settings/notifications"`) {
		t.Fatalf("no link to the settings from the account menu:\n%s", home)
	}
	page := alex.Get("/settings/notifications")
	if page.Status != 200 || !strings.Contains(page.Body, "Notifications and time zone") {
		t.Fatalf("settings page: %d\n%s", page.Status, page.Body)
	}
	for _, want := range []string{`value="9"`, `value="19"`, "The clinic&#39;s time zone (UTC)", "cannot be turned off", "invitations", "password reset links", "security notices", "safety alerts"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, `name="digest"`) {
		t.Error("a client is offered the counselor's digest")
	}

	bad := alex.Post("/settings/notifications", url.Values{"time_zone": {"Nowhere/Else"}, "reminders": {"on"},
		"reminder_hour": {"22"}, "checkin_hour": {"seven"}, "updates": {"on"}}, "/settings/notifications")
	if bad.Status != 422 {
		t.Fatalf("bad settings: %d", bad.Status)
	}
	for _, want := range []string{
		`<p class="error" id="e-reminder_hour">Choose an hour from 8:00 to 20:00`,
		`<p class="error" id="e-checkin_hour">Give a whole hour from 8 to 20`,
		`<p class="error" id="e-time_zone">Choose a time zone from the list`,
		`name="reminder_hour" type="number" value="22"`, `name="checkin_hour" type="number" value="seven"`,
		`<option value="Nowhere/Else" selected>Nowhere/Else</option>`,
		"nothing was saved",
	} {
		if !strings.Contains(bad.Body, want) {
			t.Errorf("the refused form lacks %q", want)
		}
	}
	if _, saved := settingsOf(t, app, "alex@h.test"); saved {
		t.Error("refused settings were saved")
	}

	ok := alex.Post("/settings/notifications", url.Values{"time_zone": {"Europe/Berlin"}, "reminder_hour": {"8"},
		"checkin_hour": {"20"}, "updates": {"on"}, "digest": {"on"}, "digest_hour": {"6"}}, "/settings/notifications")
	if ok.Status != 303 || ok.Location != "/settings/notifications" {
		t.Fatalf("save: %d\n%s", ok.Status, ok.Body)
	}
	got, _ := settingsOf(t, app, "alex@h.test")
	if want := (settingsRow{Reminders: false, ReminderHour: 8, CheckinHour: 20, Updates: true, Digest: true, DigestHour: 8}); got != want {
		t.Errorf("saved %+v, want %+v (a client's digest fields are ignored)", got, want)
	}
	var zone string
	app.DB.Get(&zone, `SELECT time_zone FROM users WHERE email = 'alex@h.test'`)
	if zone != "Europe/Berlin" {
		t.Errorf("zone %q", zone)
	}
	shown := alex.Get("/settings/notifications").Body
	if !strings.Contains(shown, "Your settings are saved.") || !strings.Contains(shown, `<option value="Europe/Berlin" selected>Berlin</option>`) ||
		strings.Contains(shown, `id="f-reminders" type="checkbox" name="reminders" value="on" checked`) {
		t.Errorf("saved settings not shown back:\n%s", shown)
	}
	var detail string
	app.DB.Get(&detail, `SELECT detail::text FROM audit_log WHERE action = 'settings.notifications' AND actor_id = (SELECT id FROM users WHERE email = 'alex@h.test')`)
	if detail = strings.ReplaceAll(detail, " ", ""); !strings.Contains(detail, `"reminders":false`) || !strings.Contains(detail, `"time_zone":"Europe/Berlin"`) {
		t.Errorf("audit detail %s", detail)
	}

	// A counselor has the digest, and its hour follows the same rule.
	cora := app.Browser()
	cora.Login("cora@h.test")
	if page := cora.Get("/settings/notifications").Body; !strings.Contains(page, `name="digest"`) || !strings.Contains(page, `name="digest_hour" type="number" value="8"`) {
		t.Errorf("counselor's page lacks the digest:\n%s", page)
	}
	r := cora.Post("/settings/notifications", url.Values{"reminders": {"on"}, "reminder_hour": {"9"}, "checkin_hour": {"19"},
		"updates": {"on"}, "digest_hour": {"21"}}, "/settings/notifications")
	if r.Status != 422 || !strings.Contains(r.Body, `id="e-digest_hour"`) {
		t.Errorf("digest at 21:00: %d", r.Status)
	}
	r = cora.Post("/settings/notifications", url.Values{"reminders": {"on"}, "reminder_hour": {"9"}, "checkin_hour": {"19"},
		"updates": {"on"}, "digest_hour": {"7"}}, "/settings/notifications")
	if r.Status != 422 {
		t.Errorf("digest at 7:00: %d", r.Status)
	}
	r = cora.Post("/settings/notifications", url.Values{"reminders": {"on"}, "reminder_hour": {"9"}, "checkin_hour": {"19"},
		"updates": {"on"}, "digest_hour": {"12"}}, "/settings/notifications")
	if got, _ := settingsOf(t, app, "cora@h.test"); r.Status != 303 || got.Digest || got.DigestHour != 12 {
		t.Errorf("counselor's digest off at 12: %d %+v", r.Status, got)
	}
	// Without the CSRF token nothing changes.
	if r := cora.PostRaw("/settings/notifications", url.Values{"reminder_hour": {"10"}}); r.Status != 403 {
		t.Errorf("without CSRF: %d", r.Status)
	}
}

// The API: GET shows the settings (defaults until chosen) and what is
// always sent; PATCH is a merge patch, 422 with fields for each bad member
// and nothing saved then.
func TestNotificationSettingsAPI(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	alex, cora := app.Login("alex@h.test"), app.Login("cora@h.test")
	var got map[string]any
	if r := alex.Do("GET", "/api/v1/me/notification-settings", nil, &got); r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if got["time_zone"] != nil || got["zone"] != "UTC" || got["reminders"] != true || got["reminder_hour"] != 9.0 || got["checkin_hour"] != 19.0 ||
		got["updates"] != true || got["always_sent"] == nil {
		t.Errorf("defaults: %v", got)
	}
	if _, ok := got["digest"]; ok {
		t.Errorf("a client has a digest: %v", got)
	}
	var fe struct {
		Fields map[string]string
	}
	r := alex.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"time_zone": "Mars/Olympus", "reminder_hour": 7,
		"checkin_hour": 21, "reminders": "yes", "digest": true, "colour": "blue"}, &fe)
	if r.Status != 422 {
		t.Fatalf("bad patch: %d %s", r.Status, r.Body)
	}
	// Wrong types and unknown fields are named first; the rules once the
	// members parse.
	for _, k := range []string{"reminders", "colour"} {
		if fe.Fields[k] == "" {
			t.Errorf("no message for %s: %v", k, fe.Fields)
		}
	}
	r = alex.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"time_zone": "Mars/Olympus", "reminder_hour": 7,
		"checkin_hour": 21, "digest": true}, &fe)
	if r.Status != 422 {
		t.Fatalf("bad patch: %d %s", r.Status, r.Body)
	}
	for _, k := range []string{"time_zone", "reminder_hour", "checkin_hour", "digest"} {
		if fe.Fields[k] == "" {
			t.Errorf("no message for %s: %v", k, fe.Fields)
		}
	}
	if _, saved := settingsOf(t, app, "alex@h.test"); saved {
		t.Error("a refused patch was saved")
	}
	if r := alex.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"reminder_hour": 9.5}, &fe); r.Status != 422 || fe.Fields["reminder_hour"] == "" {
		t.Errorf("half hour: %d %s", r.Status, r.Body)
	}
	// A merge patch changes only what it names; null gives the zone back to the clinic.
	if r := alex.Do("PATCH", "/api/v1/me/notification-settings", `{"time_zone":"America/Chicago","updates":false}`, &got); r.Status != 200 ||
		got["time_zone"] != "America/Chicago" || got["zone"] != "America/Chicago" || got["updates"] != false || got["reminders"] != true {
		t.Fatalf("patch: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("PATCH", "/api/v1/me/notification-settings", `{"time_zone":null}`, &got); r.Status != 200 || got["time_zone"] != nil || got["updates"] != false {
		t.Fatalf("null zone: %d %s", r.Status, r.Body)
	}
	// application/merge-patch+json is taken too.
	req, _ := http.NewRequest("PATCH", app.URL+"/api/v1/me/notification-settings", strings.NewReader(`{"reminder_hour":10}`))
	req.Header.Set("Content-Type", "application/merge-patch+json")
	req.Header.Set("Authorization", "Bearer "+alex.Token)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("merge-patch+json: %v %v", res, err)
	} else {
		res.Body.Close()
	}
	if got, _ := settingsOf(t, app, "alex@h.test"); got.ReminderHour != 10 || got.Updates {
		t.Errorf("after the merge patch: %+v", got)
	}
	if r := cora.Do("PATCH", "/api/v1/me/notification-settings", map[string]any{"digest": false, "digest_hour": 20}, &got); r.Status != 200 ||
		got["digest"] != false || got["digest_hour"] != 20.0 {
		t.Fatalf("counselor's digest: %d %s", r.Status, r.Body)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'settings.notifications'`)
	if n != 4 {
		t.Errorf("%d settings events, want 4 (one per change, one clinic each)", n)
	}
}

// Settings take effect in the mail worker: a person who turned updates or
// reminders off is not sent them (queued before or after), while mail that
// cannot be turned off still goes.
func TestSettingsTakeEffectInTheMailWorker(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithMail(t)
	clinic := app.Clinic("Harbor")
	alex := app.User(clinic, "client", "alex@h.test", "Alex")
	blair := app.User(clinic, "client", "blair@h.test", "Blair")
	b := app.Browser()
	b.Login("alex@h.test")
	if r := b.Post("/settings/notifications", url.Values{"reminder_hour": {"9"}, "checkin_hour": {"19"}}, "/settings/notifications"); r.Status != 303 {
		t.Fatalf("turning updates and reminders off: %d %s", r.Status, r.Body)
	}
	queue := func(args ...mail.Args) {
		t.Helper()
		err := db.InTx(context.Background(), app.DB, func(tx *db.Tx) error {
			for _, a := range args {
				if err := app.Services.Outbox.Queue(context.Background(), tx, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	queue(mail.Args{What: mail.NewWork, ClinicID: clinic, UserID: alex}, mail.Args{What: mail.Reminder, ClinicID: clinic, UserID: alex, Counts: map[string]int{"due_today": 1}},
		mail.Args{What: mail.NewWork, ClinicID: clinic, UserID: blair}, mail.Args{What: mail.PasswordChanged, ClinicID: clinic, UserID: alex, When: time.Now()})
	app.Mail.Wait(2, 10*time.Second)
	waitJobsDone(t, app.DB)
	if got := app.Mail.To("alex@h.test"); len(got) != 1 || got[0].Header.Get("List-Unsubscribe") != "" {
		t.Errorf("alex got %d mails, want only the security notice: %+v", len(got), got)
	}
	if got := app.Mail.To("blair@h.test"); len(got) != 1 || got[0].Header.Get("List-Unsubscribe") == "" {
		t.Errorf("blair got %d mails, want the update with its unsubscribe link", len(got))
	}
}

// waitJobsDone waits until no mail job is left to run.
func waitJobsDone(t *testing.T, d *sqlx.DB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		d.Get(&n, `SELECT count(*) FROM river_job WHERE kind = 'mail' AND state NOT IN ('completed', 'cancelled', 'discarded')`)
		if n == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("mail jobs still waiting")
}
