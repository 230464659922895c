package web

import (
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// readForm parses a posted form before any handler does, so a body over
// the limit that came without a Content-Length (chunked) answers 413:
// parsed later it would surface as a form without its CSRF token (403).
func (s *Server) readForm(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		ct, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if ct == echo.MIMEApplicationForm {
			var mbe *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &mbe) || errors.Is(err, echo.ErrStatusRequestEntityTooLarge) {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
			}
		}
		return next(c)
	}
}

// cleanQuery refuses query strings with invalid UTF-8 or NUL characters
// (400) before any handler passes them to the database, where a NUL in a
// text parameter is an error.
func (s *Server) cleanQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().URL.RawQuery != "" && badText(c.QueryParams()) {
			return echo.NewHTTPError(http.StatusBadRequest, "The address holds characters that are not allowed.")
		}
		return next(c)
	}
}

// logRequests writes one structured line per request: method, route
// pattern (not the raw path with ids), status, duration, request id.
// No personal data: no emails, no query strings, no bodies.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		lvl := slog.LevelInfo
		if status >= 500 {
			lvl = slog.LevelError
		}
		if c.Path() == "/healthz" && status == 200 {
			return nil
		}
		s.Log.LogAttrs(c.Request().Context(), lvl, "request",
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Duration("took", time.Since(start)),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
		)
		return nil
	}
}

// recoverPanic turns a panic into a plain error page and logs the stack.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.Log.Error("panic", "err", fmt.Sprint(r), "stack", string(debug.Stack()),
					"request_id", c.Response().Header().Get(echo.HeaderXRequestID))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// securityHeaders sets the browser protections every response carries.
// Signed-in pages and API bodies are never cached.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
			"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if s.Config.HTTPS() {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}
