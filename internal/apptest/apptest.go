// Package apptest runs the real Mend server against a fresh real
// PostgreSQL database for tests, with clients that behave like a browser
// (cookie jar, CSRF tokens) or an API caller (bearer tokens).
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/authz"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/config"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/pgtest"
	"github.com/mend-clinic/mend/internal/web"
)

// Password is the password of every account the fixtures create.
const Password = "correct-horse-battery-staple-42"

// App is a running server with its database.
type App struct {
	T        testing.TB
	DB       *sqlx.DB
	Server   *web.Server
	HTTP     *httptest.Server
	URL      string
	Config   config.Config
	Accounts *account.Service
	Audit    *audit.Logger
}

// Key is the fixed test key for tokens and the audit chain.
var Key = bytes.Repeat([]byte{7}, 32)

// New starts the server on a fresh database. Options may adjust the config.
func New(t testing.TB, opts ...func(*config.Config)) *App {
	t.Helper()
	d := pgtest.NewDB(t)
	if err := library.SyncBuiltins(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SecretKey, cfg.AuditKey = Key, Key
	hs := httptest.NewUnstartedServer(nil)
	cfg.BaseURL = "http://" + hs.Listener.Addr().String()
	for _, o := range opts {
		o(&cfg)
	}
	enf, err := authz.New()
	if err != nil {
		t.Fatal(err)
	}
	al := audit.New(cfg.AuditKey)
	acc := account.NewService(d, al)
	logger := testLogger()
	srv, err := web.New(web.Deps{
		Config: cfg, DB: d, Log: logger, Authz: enf, Audit: al, Mailer: mail.LogMailer{Log: logger},
		Accounts: acc, Clinic: clinic.NewService(d, al, auth.NewHasher(cfg.SecretKey)), Assignments: assignment.NewService(d, al), Tokens: auth.NewTokens(d, auth.NewHasher(cfg.SecretKey)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &App{T: t, DB: d, Server: srv, HTTP: hs, URL: hs.URL, Config: cfg, Accounts: acc, Audit: al}
}

// Clinic creates a clinic.
func (a *App) Clinic(name string) int64 {
	a.T.Helper()
	id, err := a.Accounts.CreateClinic(context.Background(), actor.System, name)
	if err != nil {
		a.T.Fatal(err)
	}
	return id
}

// User creates a user with a role in a clinic (password: Password).
func (a *App) User(clinicID int64, role, email, name string) int64 {
	a.T.Helper()
	id, err := a.Accounts.CreateUser(context.Background(), actor.System,
		account.NewUser{ClinicID: clinicID, Role: role, Email: email, Name: name, Password: Password})
	if err != nil {
		a.T.Fatal(err)
	}
	return id
}

// Member adds a role in another clinic to an existing user.
func (a *App) Member(userID, clinicID int64, role string) {
	a.T.Helper()
	if err := account.AddMembership(context.Background(), a.DB, userID, clinicID, role); err != nil {
		a.T.Fatal(err)
	}
}

// Exec runs SQL for fixtures.
func (a *App) Exec(q string, args ...any) {
	a.T.Helper()
	if _, err := a.DB.Exec(q, args...); err != nil {
		a.T.Fatal(err)
	}
}

// Browser is a client with a cookie jar that follows no redirects.
type Browser struct {
	app *App
	C   *http.Client
}

// Browser returns a new signed-out browser.
func (a *App) Browser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{app: a, C: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Response is a read response.
type Response struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
}

func (b *Browser) do(req *http.Request) Response {
	b.app.T.Helper()
	res, err := b.C.Do(req)
	if err != nil {
		b.app.T.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Body: string(body), Header: res.Header, Location: res.Header.Get("Location")}
}

// Get fetches a page.
func (b *Browser) Get(path string) Response {
	req, _ := http.NewRequest("GET", b.app.URL+path, nil)
	return b.do(req)
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// CSRF returns the CSRF token found on a page (fetching path).
func (b *Browser) CSRF(path string) string {
	b.app.T.Helper()
	m := csrfRe.FindStringSubmatch(b.Get(path).Body)
	if m == nil {
		b.app.T.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// PostRaw posts a form as is (no CSRF token added).
func (b *Browser) PostRaw(path string, form url.Values) Response {
	req, _ := http.NewRequest("POST", b.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// Post posts a form with the CSRF token of the page it came from (from
// defaults to the home page).
func (b *Browser) Post(path string, form url.Values, from ...string) Response {
	src := "/"
	if len(from) > 0 {
		src = from[0]
	}
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.CSRF(src))
	return b.PostRaw(path, form)
}

// Login signs in through the login page and expects success.
func (b *Browser) Login(email string) {
	b.app.T.Helper()
	r := b.Post("/login", url.Values{"email": {email}, "password": {Password}}, "/login")
	if r.Status != http.StatusSeeOther {
		b.app.T.Fatalf("login %s: status %d\n%s", email, r.Status, r.Body)
	}
}

// API is a JSON client.
type API struct {
	app    *App
	Token  string
	Clinic string // Mend-Clinic header, when set
}

// API returns a client without a token.
func (a *App) API() *API { return &API{app: a} }

// Login signs in through the API and returns a client with its token.
func (a *App) Login(email string) *API {
	a.T.Helper()
	c := a.API()
	var out struct{ Token string }
	r := c.Do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": Password}, &out)
	if r.Status != 200 || out.Token == "" {
		a.T.Fatalf("api login %s: %d %s", email, r.Status, r.Body)
	}
	c.Token = out.Token
	return c
}

// Do sends body as JSON (a string is sent raw) and decodes the answer into out.
func (c *API) Do(method, path string, body any, out any) Response {
	c.app.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, c.app.URL+path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if c.Clinic != "" {
		req.Header.Set("Mend-Clinic", c.Clinic)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.app.T.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if out != nil && len(raw) > 0 {
		json.Unmarshal(raw, out)
	}
	return Response{Status: res.StatusCode, Body: string(raw), Header: res.Header}
}

// testLogger discards server logs unless MEND_TEST_LOG=1.
func testLogger() *slog.Logger {
	if os.Getenv("MEND_TEST_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
