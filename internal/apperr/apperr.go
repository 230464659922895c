// Package apperr defines the domain error type shared by every service.
// Services return *Error with a Code; the web layer maps the code to an HTTP
// status and a page or JSON body in one place.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies a domain error.
type Code string

const (
	Invalid      Code = "invalid"      // input fails validation (422)
	BadRequest   Code = "bad_request"  // malformed request (400)
	Unauthorized Code = "unauthorized" // not signed in or bad credentials (401)
	Forbidden    Code = "forbidden"    // signed in, not allowed (403)
	NotFound     Code = "not_found"    // missing, or not visible to the caller (404)
	Conflict     Code = "conflict"     // state or uniqueness conflict (409)
	Gone         Code = "gone"         // expired, used or revoked (410)
	TooMany      Code = "too_many"     // throttled (429)
	Internal     Code = "internal"     // anything else (500)
)

// Error is a domain error. Message is safe to show to the user.
type Error struct {
	Code    Code
	Message string
	// Fields holds per-field messages for Invalid errors, keyed by form field.
	Fields map[string]string
	// Data carries extra body values for the API (for example the current
	// answers of a stale save); never clinical content the caller cannot see.
	Data map[string]any
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a user-facing message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Fields returns an Invalid error carrying per-field messages.
func Fields(msg string, fields map[string]string) *Error {
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// Message returns the user-facing message of err: an *Error's Message,
// otherwise err.Error() (validators such as the password policy return
// their own types whose text is the message).
func Message(err error) string {
	if e, ok := As(err); ok {
		return e.Message
	}
	return err.Error()
}

// CodeOf returns the code of err, Internal when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns err as *Error when it is one.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the code.
func Is(err error, code Code) bool { return CodeOf(err) == code }
