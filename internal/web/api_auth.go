package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/account"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
)

// mimeMergePatch is JSON Merge Patch (RFC 7396), which PATCH also takes.
const mimeMergePatch = "application/merge-patch+json"

// bindJSON decodes a JSON body strictly enough to give clear errors:
// wrong content type 415, malformed 400, oversize 413.
func bindJSON(c echo.Context, v any) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationJSON && !(ct == mimeMergePatch && c.Request().Method == http.MethodPatch) {
		return echo.NewHTTPError(http.StatusUnsupportedMediaType)
	}
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		// Over the limit: net/http's MaxBytesReader, or Echo's BodyLimit
		// middleware when the body came without a Content-Length (chunked).
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
		}
		return apperr.New(apperr.BadRequest, "The request body could not be read.")
	}
	// JSON is UTF-8 (RFC 8259): the decoder would silently turn invalid
	// bytes into U+FFFD and store them; refuse them, and NUL characters
	// (which PostgreSQL text cannot hold), in any string or key.
	if !utf8.Valid(raw) {
		return apperr.New(apperr.BadRequest, "The request body is not valid UTF-8.")
	}
	if bytes.Contains(raw, []byte(`\u0000`)) || bytes.Contains(raw, []byte{0}) {
		var any_ any
		if json.Unmarshal(raw, &any_) == nil && hasNUL(any_) {
			return apperr.New(apperr.BadRequest, "Text must not contain NUL characters.")
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return apperr.New(apperr.BadRequest, "The request body is empty: send a JSON object.")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return apperr.Fields("A field has the wrong type.", map[string]string{te.Field: "Wrong type: expected " + te.Type.String() + "."})
		}
		return apperr.New(apperr.BadRequest, "The request body is not valid JSON.")
	}
	if dec.More() {
		return apperr.New(apperr.BadRequest, "Send a single JSON object.")
	}
	return nil
}

// hasNUL reports whether a decoded JSON value holds a NUL character in any
// string or object key.
func hasNUL(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, 0)
	case []any:
		for _, e := range x {
			if hasNUL(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, 0) || hasNUL(e) {
				return true
			}
		}
	}
	return false
}

// badText reports whether any key or value is invalid UTF-8 or holds a NUL.
func badText(vals map[string][]string) bool {
	for k, vs := range vals {
		if !utf8.ValidString(k) || strings.ContainsRune(k, 0) {
			return true
		}
		for _, v := range vs {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return true
			}
		}
	}
	return false
}

type loginBody struct {
	Token       string               `json:"token,omitempty"`
	User        account.User         `json:"user"`
	Memberships []account.Membership `json:"memberships"`
	// Notice: the first sign-in with the password after a clinic reset it.
	Notice string               `json:"notice,omitempty"`
	Reset  *account.ResetNotice `json:"password_reset,omitempty"`
}

func (s *Server) apiLogin(c echo.Context) error {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		TOTP     string `json:"totp"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	// Checked and counted in one step, before the password (account.SignIn).
	u, err := s.Accounts.SignIn(ctx, baseActor(c), account.Credentials{Email: in.Email, Password: in.Password, Code: in.TOTP})
	if err != nil {
		return err
	}
	return s.issueToken(c, u, viaPassword)
}

// issueToken answers a successful sign-in with a new bearer token.
func (s *Server) issueToken(c echo.Context, u account.User, via string) error {
	ctx := c.Request().Context()
	ms, notice, err := s.afterLogin(ctx, c, u, via)
	if err != nil {
		return err
	}
	tok, err := s.Tokens.Issue(ctx, u.ID)
	if err != nil {
		return err
	}
	body := loginBody{Token: tok, User: u, Memberships: ms}
	if notice != nil {
		body.Notice = notice.Text()
		body.Reset = notice
	}
	return c.JSON(http.StatusOK, body)
}

func (s *Server) apiMe(c echo.Context) error {
	a := mustActor(c)
	u, err := s.Accounts.ByID(c.Request().Context(), a.UserID)
	if err != nil {
		return err
	}
	ms, err := s.Accounts.Memberships(c.Request().Context(), a.UserID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, loginBody{User: u, Memberships: ms})
}

func (s *Server) apiLogout(c echo.Context) error {
	ctx := c.Request().Context()
	tok, _ := c.Get(ctxToken).(string)
	if err := s.Tokens.Revoke(ctx, tok); err != nil {
		return err
	}
	a := mustActor(c)
	if err := s.Accounts.AuditAccount(ctx, a, a.UserID, audit.Event{Action: "logout", ObjectType: "user", ObjectID: a.UserID}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
