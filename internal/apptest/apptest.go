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
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/app"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/auth"
	"github.com/mend-clinic/mend/internal/config"
	"github.com/mend-clinic/mend/internal/jobs"
	"github.com/mend-clinic/mend/internal/library"
	"github.com/mend-clinic/mend/internal/mail/mailtest"
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
	// Services is every service, built as `mend serve` builds them.
	Services *app.App
	// Mail is the SMTP server mail is delivered to (NewWithMail only).
	Mail *mailtest.Server
}

// Tests that use apptest hash passwords at argon2id's cheapest cost: a
// fixture makes several accounts, each costing 19 MiB and two passes at the
// real cost (tens of milliseconds, far more under -race). auth.UseTestCost
// refuses to work outside a test binary.
func init() { auth.UseTestCost() }

// Key is the fixed test key for tokens and the audit chain.
var Key = bytes.Repeat([]byte{7}, 32)

// New starts the server on a fresh database. Options may adjust the config.
// Mail is queued but nobody works the queue (see NewWithMail).
func New(t testing.TB, opts ...func(*config.Config)) *App {
	t.Helper()
	return start(t, nil, false, opts...)
}

// NewWithMail is New with mail really delivered: a test SMTP server
// (mailtest) is MEND_SMTP_URL, and a job runner works the queue as a
// `mend serve` would, polling fast and retrying quickly.
func NewWithMail(t testing.TB, opts ...func(*config.Config)) *App {
	t.Helper()
	srv := mailtest.Start(t)
	return start(t, srv, true, opts...)
}

// NewWithMailNoJobs is NewWithMail without the job runner: the test
// starts runners itself (StartJobs, StartJobsAt) once its fixtures are in
// place, e.g. to run the sweeps at a chosen instant.
func NewWithMailNoJobs(t testing.TB, opts ...func(*config.Config)) *App {
	t.Helper()
	a := start(t, mailtest.Start(t), false, opts...)
	return a
}

func start(t testing.TB, mailSrv *mailtest.Server, runJobs bool, opts ...func(*config.Config)) *App {
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
	if mailSrv != nil {
		cfg.SMTPURL = mailSrv.URL()
	}
	for _, o := range opts {
		o(&cfg)
	}
	logger := testLogger()
	svc, err := app.New(cfg, d, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := svc.Server(0)
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(func() { hs.Close(); srv.Close() })
	a := &App{T: t, DB: d, Server: srv, HTTP: hs, URL: hs.URL, Config: cfg, Accounts: svc.Accounts, Audit: svc.Audit,
		Services: svc, Mail: mailSrv}
	if runJobs {
		a.StartJobs("test-instance")
	}
	return a
}

// StartJobs starts a job runner (one more `mend serve` instance's worth)
// on this app's database, stopped when the test ends.
func (a *App) StartJobs(id string) *jobs.Runner {
	a.T.Helper()
	return a.StartJobsAt(id, nil)
}

// StartJobsAt is StartJobs with the sweeps (occurrences, reminders,
// digests) run at the instants now returns (nil: the real clock).
func (a *App) StartJobsAt(id string, now func() time.Time) *jobs.Runner {
	a.T.Helper()
	r, err := a.Services.Runner(app.RunnerOptions{ID: id, PollInterval: 50 * time.Millisecond,
		Retry: jobs.Backoff{Base: 100 * time.Millisecond, Max: 500 * time.Millisecond}, Now: now})
	if err != nil {
		a.T.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		a.T.Fatal(err)
	}
	a.T.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Stop(ctx)
	})
	return r
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
