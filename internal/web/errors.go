package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
)

// statusOf maps a domain error code to its HTTP status: the one place that does.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      http.StatusUnprocessableEntity,
	apperr.BadRequest:   http.StatusBadRequest,
	apperr.Unauthorized: http.StatusUnauthorized,
	apperr.Forbidden:    http.StatusForbidden,
	apperr.NotFound:     http.StatusNotFound,
	apperr.Conflict:     http.StatusConflict,
	apperr.Gone:         http.StatusGone,
	apperr.TooMany:      http.StatusTooManyRequests,
	apperr.Internal:     http.StatusInternalServerError,
}

// plain messages for statuses raised outside the services.
var statusText = map[int]string{
	http.StatusBadRequest:            "The request could not be understood.",
	http.StatusUnauthorized:          "Please sign in.",
	http.StatusForbidden:             "You do not have permission to do that.",
	http.StatusNotFound:              "We could not find that page.",
	http.StatusMethodNotAllowed:      "That action is not available here.",
	http.StatusRequestEntityTooLarge: "The request is too large.",
	http.StatusUnsupportedMediaType:  "Send JSON with Content-Type: application/json.",
	http.StatusTooManyRequests:       "Too many attempts. Please wait and try again.",
	http.StatusInternalServerError:   "Something went wrong on our side. It has been logged; please try again.",
	http.StatusServiceUnavailable:    "Mend is not available right now.",
}

func isAPI(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }

// handleError answers every error: JSON {"error": ...} under /api, an error
// page elsewhere. Internal errors are logged with the request id, and their
// details never reach the client.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, ""
	var fields map[string]string
	var data map[string]any
	var he *echo.HTTPError
	if ae, ok := apperr.As(err); ok {
		status, msg, fields, data = statusOf[ae.Code], ae.Message, ae.Fields, ae.Data
		if ae.Code == apperr.Internal {
			msg = ""
		}
	} else if errors.As(err, &he) {
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		}
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if status >= 500 {
		s.Log.Error("request failed", "err", err, "route", c.Path(),
			"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	if msg == "" || (status < 500 && he != nil && msg == http.StatusText(status)) {
		msg = statusText[status]
		if msg == "" {
			msg = http.StatusText(status)
		}
	}
	if ra, ok := data["retry_after"]; ok {
		c.Response().Header().Set("Retry-After", toString(ra))
	}
	if isAPI(c) {
		body := map[string]any{"error": msg}
		if len(fields) > 0 {
			body["fields"] = fields
		}
		for k, v := range data {
			if k != "retry_after" {
				body[k] = v
			}
		}
		if c.Request().Method == http.MethodHead {
			c.NoContent(status)
			return
		}
		c.JSON(status, body)
		return
	}
	if status == http.StatusUnauthorized && c.Request().Method == http.MethodGet {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	s.render(c, status, "error", page{Title: http.StatusText(status), Data: errorView{Status: status, Message: msg}})
}

// errorView is the error page's model.
type errorView struct {
	Status  int
	Message string
}

func toString(v any) string {
	switch x := v.(type) {
	case int:
		return itoa(int64(x))
	case int64:
		return itoa(x)
	case string:
		return x
	}
	return ""
}
