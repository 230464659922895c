// Package paging holds the one rule every list follows: ?limit= defaults
// to 50 and may be 1 to 200; pages continue with an opaque ?after= cursor
// written and read here, so every list refuses a forged cursor alike.
package paging

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mend-clinic/mend/internal/apperr"
)

// Limits of a list page.
const (
	Default = 50
	Max     = 200
)

// ParseLimit reads a ?limit= value: empty is the default, otherwise 1..Max;
// anything else is a bad request.
func ParseLimit(v string) (int, error) {
	if v == "" {
		return Default, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > Max {
		return 0, apperr.New(apperr.BadRequest, "limit must be a number from 1 to %d.", Max)
	}
	return n, nil
}

// ErrBadCursor answers a cursor that no page of this list wrote.
var ErrBadCursor = apperr.New(apperr.BadRequest, "The page cursor is not valid: use the \"next\" value of a previous page, or start again from the first page.")

// EncodeCursor writes a keyset position (a small JSON-able struct) as an
// opaque ?after= value.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads an ?after= value written by EncodeCursor into v.
// Anything else is ErrBadCursor (400): bad base64, bad JSON, or text that
// PostgreSQL refuses as a parameter (a NUL byte, invalid UTF-8), which would
// otherwise surface as a database error (500). Each list still checks the
// values it reads (an id > 0, ...).
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ErrBadCursor
	}
	var raw any
	if json.Unmarshal(b, &raw) != nil || !cleanText(raw) || json.Unmarshal(b, v) != nil {
		return ErrBadCursor
	}
	return nil
}

// idPos is the position in a list ordered by one id (or sequence number).
type idPos struct {
	I int64 `json:"i"`
}

// EncodeID writes the ?after= cursor of a list ordered by one id: the id
// of the last item shown.
func EncodeID(id int64) string { return EncodeCursor(idPos{I: id}) }

// DecodeID reads a cursor written by EncodeID; "" is the first page (0).
func DecodeID(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	var p idPos
	if err := DecodeCursor(s, &p); err != nil {
		return 0, err
	}
	if p.I <= 0 {
		return 0, ErrBadCursor
	}
	return p.I, nil
}

// cleanText reports whether every string (and key) in a decoded JSON value
// is text PostgreSQL accepts.
func cleanText(v any) bool {
	ok := func(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
	switch x := v.(type) {
	case string:
		return ok(x)
	case []any:
		for _, e := range x {
			if !cleanText(e) {
				return false
			}
		}
	case map[string]any:
		for k, e := range x {
			if !ok(k) || !cleanText(e) {
				return false
			}
		}
	}
	return true
}

// Page is one page of any list: its items and the cursor of the next page
// ("" on the last). As JSON it is the one list shape of the API,
// {"items": [...], "next": "..."|null}; items is never null.
type Page[T any] struct {
	Items []T
	Next  string
}

// MarshalJSON writes the API's list shape.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	out := struct {
		Items []T     `json:"items"`
		Next  *string `json:"next"`
	}{Items: p.Items}
	if out.Items == nil {
		out.Items = []T{}
	}
	if p.Next != "" {
		out.Next = &p.Next
	}
	return json.Marshal(out)
}
