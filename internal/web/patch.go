package web

import (
	"encoding/json"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
)

// patchReader reads a JSON Merge Patch (RFC 7396) object member by member:
// a member left out changes nothing, null removes (where a field may be
// empty), and a member of the wrong type or an unknown one is named in
// the 422's fields.
type patchReader struct {
	raw    map[string]json.RawMessage
	seen   map[string]bool
	fields map[string]string
}

// readPatch decodes the body of a PATCH (application/json or
// application/merge-patch+json) as an object.
func readPatch(c echo.Context) (*patchReader, error) {
	var raw map[string]json.RawMessage
	if err := bindJSON(c, &raw); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, apperr.New(apperr.BadRequest, "Send a JSON object of the fields to change.")
	}
	return &patchReader{raw: raw, seen: map[string]bool{}, fields: map[string]string{}}, nil
}

func (p *patchReader) member(name string) (json.RawMessage, bool) {
	p.seen[name] = true
	v, ok := p.raw[name]
	return v, ok
}

func isNull(v json.RawMessage) bool { return string(v) == "null" }

// str reads a string member; with nullable, null (or "") is the empty string.
func (p *patchReader) str(name string, nullable bool) *string {
	v, ok := p.member(name)
	if !ok {
		return nil
	}
	if isNull(v) {
		if nullable {
			return ptr("")
		}
		p.fields[name] = "Must be a string, not null."
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) != nil {
		p.fields[name] = "Must be a string."
		return nil
	}
	return &s
}

// boolean reads a true/false member.
func (p *patchReader) boolean(name string) *bool {
	v, ok := p.member(name)
	if !ok {
		return nil
	}
	var b bool
	if isNull(v) || json.Unmarshal(v, &b) != nil {
		p.fields[name] = "Must be true or false."
		return nil
	}
	return &b
}

// hour reads a whole hour (the range is the service's rule).
func (p *patchReader) hour(name string) *int {
	v, ok := p.member(name)
	if !ok {
		return nil
	}
	var n int
	if isNull(v) || json.Unmarshal(v, &n) != nil {
		p.fields[name] = "Must be a whole hour from 8 to 20."
		return nil
	}
	return &n
}

// integer reads a whole number member (never null); msg says what to give.
func (p *patchReader) integer(name, msg string) *int64 {
	v, ok := p.member(name)
	if !ok {
		return nil
	}
	var n int64
	if isNull(v) || json.Unmarshal(v, &n) != nil {
		p.fields[name] = msg
		return nil
	}
	return &n
}

// instant reads an RFC 3339 time member; with nullable, null removes it
// (the outer pointer is set, the inner one nil).
func (p *patchReader) instant(name string, nullable bool) **time.Time {
	v, ok := p.member(name)
	if !ok {
		return nil
	}
	if isNull(v) {
		if nullable {
			var none *time.Time
			return &none
		}
		p.fields[name] = "Must be an RFC 3339 time, not null."
		return nil
	}
	var s string
	t, err := time.Time{}, json.Unmarshal(v, &s)
	if err == nil {
		t, err = time.Parse(time.RFC3339, s)
	}
	if err != nil {
		msg := "Use an RFC 3339 time such as 2026-12-01T18:00:00Z."
		if nullable {
			msg = "Use an RFC 3339 time such as 2026-12-01T18:00:00Z, or null to remove it."
		}
		p.fields[name] = msg
		return nil
	}
	tp := &t
	return &tp
}

// ignore accepts read-only members (sent back from a GET) without effect.
func (p *patchReader) ignore(names ...string) {
	for _, n := range names {
		p.seen[n] = true
	}
}

// done reports the wrong and the unknown members, if any.
func (p *patchReader) done() error {
	for k := range p.raw {
		if !p.seen[k] {
			p.fields[k] = "Unknown field."
		}
	}
	if len(p.fields) > 0 {
		return apperr.Fields("Please correct the highlighted fields.", p.fields)
	}
	return nil
}
