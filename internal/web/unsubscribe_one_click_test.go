package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/db"
	"github.com/mend-clinic/mend/internal/mail"
)

// oneClick is what a mail program sends for RFC 8058: a POST with the body
// List-Unsubscribe=One-Click, no cookie, no CSRF token.
func oneClick(t *testing.T, link string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", link, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if len(res.Cookies()) > 0 {
		t.Errorf("the one-click answer sets cookies: %v", res.Cookies())
	}
	return res.StatusCode, string(body)
}

func get(t *testing.T, link string) (int, string) {
	t.Helper()
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// A reminder mail carries List-Unsubscribe and List-Unsubscribe-Post; its
// link works without signing in: GET only asks, the cookie-less one-click
// POST turns reminders off (audited as the person), a repeat changes
// nothing, and the next reminder is not sent. A tampered link is 404.
func TestUnsubscribeOneClick(t *testing.T) {
	t.Parallel()
	app := apptest.NewWithMail(t)
	clinic := app.Clinic("Harbor")
	alex := app.User(clinic, "client", "alex@h.test", "Alex")
	queue := func(a mail.Args) {
		t.Helper()
		if err := db.InTx(context.Background(), app.DB, func(tx *db.Tx) error {
			return app.Services.Outbox.Queue(context.Background(), tx, a)
		}); err != nil {
			t.Fatal(err)
		}
	}
	queue(mail.Args{What: mail.Reminder, ClinicID: clinic, UserID: alex, Counts: map[string]int{"due_today": 1}})
	msgs := app.Mail.Wait(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d mails", len(msgs))
	}
	h := msgs[0].Header
	link := strings.Trim(h.Get("List-Unsubscribe"), "<>")
	if !strings.HasPrefix(link, app.URL+"/unsubscribe/") || h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("headers: %q %q", h.Get("List-Unsubscribe"), h.Get("List-Unsubscribe-Post"))
	}
	if want := fmt.Sprintf("/unsubscribe/%d/reminders/", alex); !strings.Contains(link, want) {
		t.Fatalf("link %s does not name %s", link, want)
	}

	status, page := get(t, link)
	if status != 200 || !strings.Contains(page, "Stop reminder emails?") || !strings.Contains(page, `<form method="post"`) ||
		strings.Contains(page, "csrf_token") {
		t.Fatalf("GET: %d\n%s", status, page)
	}
	if on := reminders(t, app, alex); !on {
		t.Fatal("GET turned reminders off")
	}
	status, page = oneClick(t, link)
	if status != 200 || !strings.Contains(page, "You will no longer get reminder emails") {
		t.Fatalf("one-click POST: %d\n%s", status, page)
	}
	if reminders(t, app, alex) {
		t.Fatal("reminders still on")
	}
	var actor int64
	var detail string
	if err := app.DB.QueryRow(`SELECT actor_id, detail::text FROM audit_log WHERE action = 'settings.unsubscribe'`).Scan(&actor, &detail); err != nil || actor != alex ||
		!strings.Contains(strings.ReplaceAll(detail, " ", ""), `"category":"reminders"`) {
		t.Fatalf("audit: actor %d detail %s err %v", actor, detail, err)
	}
	if status, _ := oneClick(t, link); status != 200 {
		t.Errorf("repeat: %d", status)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'settings.unsubscribe'`)
	if n != 1 {
		t.Errorf("%d unsubscribe events after a repeat, want 1", n)
	}
	if status, page := get(t, link); status != 200 || !strings.Contains(page, "You will no longer get reminder emails") || strings.Contains(page, "<form") {
		t.Errorf("GET after: %d\n%s", status, page)
	}

	// The next reminder is not sent; updates (still on) are.
	queue(mail.Args{What: mail.Reminder, ClinicID: clinic, UserID: alex, Counts: map[string]int{"due_today": 1}})
	queue(mail.Args{What: mail.NewWork, ClinicID: clinic, UserID: alex})
	app.Mail.Wait(2, 10*time.Second)
	waitJobsDone(t, app.DB)
	if got := app.Mail.To("alex@h.test"); len(got) != 2 || got[1].Header.Get("List-Unsubscribe") == link {
		t.Errorf("after unsubscribing: %d mails", len(got))
	}

	// Tampered, for someone else, for mail that cannot be turned off, or
	// for an unknown account: 404, and nothing changes.
	i := strings.LastIndexByte(link, '/')
	mac := link[i+1:]
	flipped := link[:i+1] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, mac[:1]) + mac[1:]
	blair := app.User(clinic, "client", "blair@h.test", "Blair")
	sign, _ := mail.UnsubscribeSigner(apptest.Key)
	for _, bad := range []string{
		flipped,
		link[:i+1] + "x",
		strings.Replace(link, fmt.Sprintf("/%d/", alex), fmt.Sprintf("/%d/", blair), 1),
		strings.Replace(link, "/reminders/", "/updates/", 1),
		app.URL + mail.UnsubscribePath(sign, 999999, mail.Reminders),
		app.URL + mail.UnsubscribePath(sign, alex, mail.Always),
		app.URL + strings.Replace(mail.UnsubscribePath(sign, blair, mail.Reminders), fmt.Sprintf("/%d/", blair), fmt.Sprintf("/0%d/", blair), 1),
	} {
		if status, _ := oneClick(t, bad); status != 404 {
			t.Errorf("POST %s: %d, want 404", bad, status)
		}
		if status, _ := get(t, bad); status != 404 {
			t.Errorf("GET %s: %d, want 404", bad, status)
		}
	}
	if !reminders(t, app, blair) || !updates(t, app, alex) {
		t.Error("a bad link changed a setting")
	}
	// The same link for the digest and updates works alike.
	if status, _ := oneClick(t, app.URL+mail.UnsubscribePath(sign, alex, mail.Updates)); status != 200 || updates(t, app, alex) {
		t.Errorf("updates link: %d", status)
	}
}

func reminders(t *testing.T, app *apptest.App, uid int64) bool {
	var on bool
	app.DB.Get(&on, `SELECT coalesce((SELECT reminders FROM notification_settings WHERE user_id = $1), true)`, uid)
	return on
}

func updates(t *testing.T, app *apptest.App, uid int64) bool {
	var on bool
	app.DB.Get(&on, `SELECT coalesce((SELECT updates FROM notification_settings WHERE user_id = $1), true)`, uid)
	return on
}
