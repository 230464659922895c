package web

import (
	"encoding/csv"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/paging"
	"github.com/mend-clinic/mend/internal/security"
)

func init() {
	extraNav = append(extraNav,
		struct{ role, label, href string }{actor.RoleAdmin, "Audit", "/admin/audit"},
		struct{ role, label, href string }{actor.RoleAdmin, "Settings", "/admin/settings"},
	)
}

// pendingMFA is how long the second step of a sign-in may take.
const pendingMFA = 5 * time.Minute

// auditPage shows the clinic's audit trail with filters and an "Older"
// link, in the viewer's zone: its times, and the days of its filters.
func (s *Server) auditPage(c echo.Context) error {
	f, bad := parseAuditFilter(c, mustActor(c).Loc())
	form := map[string]string{}
	for _, k := range auditFilterKeys {
		form[k] = c.QueryParam(k)
	}
	actions, err := audit.Actions(c.Request().Context(), s.DB, mustActor(c).ClinicID)
	if err != nil {
		return err
	}
	p := page{Title: "Audit trail", Form: form, Errors: bad}
	status := http.StatusOK
	var list paging.Page[audit.Item]
	if len(bad) > 0 {
		status = http.StatusBadRequest
		p.Error = "Please correct the highlighted filters."
	} else if ae, ok := apperr.As(auditRangeError(f)); ok {
		status = statusOf[ae.Code]
		p.Error, p.Errors = "Please correct the highlighted filters.", ae.Fields
	} else {
		if list, err = audit.List(c.Request().Context(), s.DB, mustActor(c).ClinicID, f); err != nil {
			return err
		}
	}
	older := ""
	if list.Next != "" {
		q := url.Values{}
		for k, v := range form {
			if v != "" {
				q.Set(k, v)
			}
		}
		if f.Limit != paging.Default {
			q.Set("limit", strconv.Itoa(f.Limit))
		}
		q.Set("after", list.Next)
		older = "/admin/audit?" + q.Encode()
	}
	export := url.Values{}
	for k, v := range form {
		if v != "" {
			export.Set(k, v)
		}
	}
	p.Data = auditView{Items: list.Items, Older: older, Paged: f.After != 0,
		Actions: actions, Export: "/admin/audit.csv?" + export.Encode()}
	return s.render(c, status, "audit", p)
}

// auditFilterKeys are the audit trail's filters, kept by its links (older
// page, CSV export).
var auditFilterKeys = []string{"person", "couple", "actor", "couple_id", "action", "from", "to"}

// auditExportMax bounds one CSV export; a longer trail is exported in
// parts by narrowing the dates.
const auditExportMax = 100_000

// auditCSV exports the filtered trail as CSV: the page's filters, its
// permission and its scoping (audit.List on the caller's clinic), its
// times in the viewer's zone. Like the page, reading is not audited.
func (s *Server) auditCSV(c echo.Context) error {
	a := mustActor(c)
	f, bad := parseAuditFilter(c, a.Loc())
	if len(bad) > 0 {
		return &apperr.Error{Code: apperr.BadRequest, Message: "Some filters are malformed: correct them on the audit page.", Fields: bad}
	}
	f.Limit = paging.Max
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="audit-trail.csv"`)
	h.Set("Cache-Control", "no-store")
	// Buffered like a page: an error halfway gives a clean error, never half a file.
	var buf strings.Builder
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"seq", "at (" + a.Loc().String() + ")", "actor_id", "actor", "action", "object_type", "object_id", "couple_id", "couple", "request_id", "ip"})
	id := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for n := 0; n < auditExportMax; {
		list, err := audit.List(c.Request().Context(), s.DB, a.ClinicID, f)
		if err != nil {
			return err
		}
		for _, it := range list.Items {
			_ = w.Write(csvSafe([]string{strconv.FormatInt(it.Seq, 10), it.At.In(a.Loc()).Format("2006-01-02 15:04:05 MST"),
				id(it.ActorID), str(it.ActorName), it.Action, it.ObjectType, id(it.ObjectID), id(it.CoupleID), str(it.CoupleLabel), it.RequestID, it.IP}))
		}
		n += len(list.Items)
		if list.Next == "" {
			break
		}
		f.After = list.Items[len(list.Items)-1].Seq
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return c.String(http.StatusOK, buf.String())
}

// csvSafe guards cells against formula injection in spreadsheets: a cell
// that starts with =, +, -, @ (or a tab or carriage return, which some
// programs skip before reading a formula) gets a leading apostrophe.
func csvSafe(row []string) []string {
	for i, v := range row {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			row[i] = "'" + v
		}
	}
	return row
}

// accountSecurityPage shows two-factor status: enrol (QR code and secret)
// when off, disable when on.
func (s *Server) accountSecurityPage(c echo.Context) error {
	return s.renderSecurity(c, http.StatusOK, page{}, nil)
}

// auditView is the audit trail page's model.
type auditView struct {
	Items []audit.Item
	Older string // the next page's URL, "" on the last
	Paged bool   // this is not the first page
	// Actions are the ones in the clinic's trail, for the filter's list;
	// Export downloads the filtered events as CSV.
	Actions []string
	Export  string
}

// securityView is the account security page's model: CodesLeft when
// two-factor is on; Enrol, QR and Required when it is off.
type securityView struct {
	Enabled       bool
	RecoveryCodes []string // shown once, right after enrolling
	CodesLeft     int
	Enrol         security.Enrolment
	QR            template.URL
	Required      bool // the clinic requires two-factor of staff
}

// renderSecurity shows the account security page; codes are the recovery
// codes to show once (nil but right after enrolling).
func (s *Server) renderSecurity(c echo.Context, status int, p page, codes []string) error {
	ctx := c.Request().Context()
	a := mustActor(c)
	m := s.MFA
	on, err := m.Enabled(ctx, a.UserID)
	if err != nil {
		return err
	}
	data := securityView{Enabled: on, RecoveryCodes: codes}
	if on {
		left, err := m.RecoveryCodesLeft(ctx, a.UserID)
		if err != nil {
			return err
		}
		data.CodesLeft = left
	} else {
		en, err := m.Pending(ctx, a.UserID, a.Email)
		if err != nil {
			return err
		}
		data.Enrol = en
		data.QR = template.URL(en.QR) // a PNG data: URL we built; CSP allows img-src data:
		must, err := m.MustEnrol(ctx, a.ClinicID, a.UserID)
		if err != nil {
			return err
		}
		data.Required = must && (a.Has(actor.RoleAdmin) || a.Has(actor.RoleCounselor))
	}
	p.Title = "Account security"
	p.Data = data
	return s.render(c, status, "account_security", p)
}

func (s *Server) enrolMFA(c echo.Context) error {
	m := s.MFA
	code := c.FormValue("code")
	codes, err := m.Confirm(c.Request().Context(), mustActor(c), code)
	if errors.Is(err, security.ErrBadCode) {
		return s.renderSecurity(c, http.StatusUnprocessableEntity, page{Form: map[string]string{"code": code},
			Errors: map[string]string{"code": apperr.Message(err)}}, nil)
	}
	if err != nil {
		return err
	}
	return s.renderSecurity(c, http.StatusOK, page{Flash: "Two-factor sign-in is on."}, codes)
}

// disableMFA turns two-factor off with a current code. It is refused while
// any clinic where the user is staff requires two-factor (not only the
// clinic chosen now), and the code is throttled like a sign-in.
func (s *Server) disableMFA(c echo.Context) error {
	m := s.MFA
	code := c.FormValue("code")
	err := m.Disable(c.Request().Context(), mustActor(c), code)
	if err == nil {
		s.flash(c, "Two-factor sign-in is off.")
		return c.Redirect(http.StatusSeeOther, "/account/security")
	}
	if errors.Is(err, security.ErrBadCode) || errors.Is(err, security.ErrCodeMissing) {
		return s.renderSecurity(c, http.StatusUnprocessableEntity, page{Form: map[string]string{"code": code},
			Errors: map[string]string{"code": apperr.Message(err)}}, nil)
	}
	ae, ok := apperr.As(err)
	switch {
	case ok && ae.Code == apperr.Conflict: // a clinic requires it: named in the message
		return s.renderSecurity(c, http.StatusUnprocessableEntity, page{Error: ae.Message}, nil)
	case ok && ae.Code == apperr.TooMany:
		c.Response().Header().Set("Retry-After", toString(ae.Data["retry_after"]))
		return s.renderSecurity(c, http.StatusTooManyRequests, page{Error: ae.Message}, nil)
	}
	return err
}

// startTOTP is the end of a correct password step for a user with
// two-factor: the session holds the pending user, not a sign-in (and where
// to go once signed in).
func (s *Server) startTOTP(c echo.Context, u account.User, next string) error {
	ctx := c.Request().Context()
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, "user_id")
	s.sessions.Put(ctx, "mfa_user", u.ID)
	s.sessions.Put(ctx, "mfa_at", time.Now().Unix())
	s.sessions.Put(ctx, "mfa_next", next)
	return c.Redirect(http.StatusSeeOther, "/login/totp")
}

// pendingTOTP returns the user waiting for their second factor, if any.
func (s *Server) pendingTOTP(c echo.Context) int64 {
	ctx := c.Request().Context()
	uid := s.sessions.GetInt64(ctx, "mfa_user")
	at := time.Unix(s.sessions.GetInt64(ctx, "mfa_at"), 0)
	if uid == 0 || time.Since(at) > pendingMFA {
		return 0
	}
	return uid
}

func (s *Server) loginTOTPPage(c echo.Context) error {
	if s.pendingTOTP(c) == 0 {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return s.render(c, http.StatusOK, "login_totp", page{Title: "Two-factor sign-in"})
}

func (s *Server) loginTOTP(c echo.Context) error {
	ctx := c.Request().Context()
	uid := s.pendingTOTP(c)
	if uid == 0 {
		s.flash(c, "Your sign-in took too long. Please start again.")
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	u, err := s.Accounts.ByID(ctx, uid)
	if err != nil {
		return err
	}
	code := strings.TrimSpace(c.FormValue("code"))
	err = s.Accounts.SignInCode(ctx, baseActor(c), u, code)
	switch {
	case apperr.Is(err, apperr.TooMany):
		ae, _ := apperr.As(err)
		c.Response().Header().Set("Retry-After", toString(ae.Data["retry_after"]))
		return s.render(c, http.StatusTooManyRequests, "login_totp", page{Title: "Two-factor sign-in", Error: ae.Message})
	case err == account.ErrWrongCode:
		return s.render(c, http.StatusUnauthorized, "login_totp", page{Title: "Two-factor sign-in",
			Errors: map[string]string{"code": security.ErrBadCode.Error()}})
	case err != nil:
		return err
	}
	next := s.sessions.GetString(ctx, "mfa_next")
	s.sessions.Remove(ctx, "mfa_user")
	s.sessions.Remove(ctx, "mfa_at")
	s.sessions.Remove(ctx, "mfa_next")
	return s.finishLogin(c, u, localPath(next), viaPassword)
}

// finishLogin audits the sign-in, starts the session and goes to next (a
// local path), or home (the clinic picker for a member of several).
func (s *Server) finishLogin(c echo.Context, u account.User, next, via string) error {
	ms, notice, err := s.afterLogin(c.Request().Context(), c, u, via)
	if err != nil {
		return err
	}
	if err := s.signIn(c, u, ms); err != nil {
		return err
	}
	if notice != nil {
		s.flash(c, notice.Text())
	}
	if next = localPath(next); next != "" {
		return c.Redirect(http.StatusSeeOther, next)
	}
	if len(account.Clinics(ms)) > 1 {
		return c.Redirect(http.StatusSeeOther, "/clinics")
	}
	return c.Redirect(http.StatusSeeOther, "/")
}

// requireMFA sends staff of a clinic that requires two-factor, and who have
// none yet, to enrol: every page but account security and sign-out
// redirects there, and the API answers 403.
func (s *Server) requireMFA(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, ok := actorOf(c)
		if !ok || a.ClinicID == 0 || !(a.Has(actor.RoleAdmin) || a.Has(actor.RoleCounselor)) {
			return next(c)
		}
		p := c.Request().URL.Path
		switch {
		case p == "/account/security" || strings.HasPrefix(p, "/account/security/"),
			p == "/logout", p == "/clinics", p == "/api/v1/auth/logout", p == "/api/v1/me",
			p == "/api/v1/me/totp", p == "/api/v1/me/totp/confirm":
			return next(c)
		}
		m := s.MFA
		must, err := m.MustEnrol(c.Request().Context(), a.ClinicID, a.UserID)
		if err != nil {
			return err
		}
		if !must {
			return next(c)
		}
		if isAPI(c) {
			return apperr.New(apperr.Forbidden, "Your clinic requires two-factor sign-in for staff: set it up first "+
				"(POST /api/v1/me/totp, then POST /api/v1/me/totp/confirm with a code, or the account security page).")
		}
		if c.Request().Method == http.MethodGet {
			s.flash(c, "Your clinic requires two-factor sign-in. Set it up to continue.")
		}
		return c.Redirect(http.StatusSeeOther, "/account/security")
	}
}
