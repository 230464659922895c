package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

func TestChangePasswordRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	app, _, _ := setup(t)
	here, elsewhere := app.Browser(), app.Browser()
	here.Login("coun@a.test")
	elsewhere.Login("coun@a.test")
	api := app.Login("coun@a.test")

	bad := here.Post("/account/password", url.Values{"current": {"wrong password!!"}, "password": {"a brand new passphrase here"}, "confirm": {"a brand new passphrase here"}}, "/account/password")
	if bad.Status != 422 || !strings.Contains(bad.Body, "not your current password") {
		t.Fatalf("wrong current: %d", bad.Status)
	}
	weak := here.Post("/account/password", url.Values{"current": {apptest.Password}, "password": {"password1234"}, "confirm": {"password1234"}}, "/account/password")
	if weak.Status != 422 || !strings.Contains(weak.Body, "common") {
		t.Fatalf("weak: %d", weak.Status)
	}
	ok := here.Post("/account/password", url.Values{"current": {apptest.Password}, "password": {"lantern orchard violet tide"}, "confirm": {"lantern orchard violet tide"}}, "/account/password")
	if ok.Status != 303 {
		t.Fatalf("change: %d %s", ok.Status, ok.Body)
	}
	if r := here.Get("/"); r.Status != 200 {
		t.Fatalf("this browser signed out: %d", r.Status)
	}
	if r := elsewhere.Get("/"); r.Status != 303 {
		t.Fatalf("other session survived a password change: %d", r.Status)
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 401 {
		t.Fatalf("API token survived a password change: %d", r.Status)
	}
	var n int
	app.DB.Get(&n, `SELECT count(*) FROM audit_log WHERE action = 'password.change'`)
	if n != 1 {
		t.Fatalf("audited %d times", n)
	}
	// The new password works, the old one does not.
	c := app.API()
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun@a.test", "password": apptest.Password}, nil); r.Status != 401 {
		t.Fatalf("old password: %d", r.Status)
	}
	if r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": "coun@a.test", "password": "lantern orchard violet tide"}, nil); r.Status != 200 {
		t.Fatalf("new password: %d", r.Status)
	}
}
