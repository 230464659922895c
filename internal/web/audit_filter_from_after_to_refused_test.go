package web_test

import (
	"strings"
	"testing"
)

// An audit filter whose "from" is after its "to" is refused with a message
// (API 422 with fields.from; the page shows it beside the field and keeps
// the filter typed) instead of an empty list that looks like "nothing
// happened". The same day as from and to is one whole day, not an error.
func TestAuditFilterFromAfterToRefused(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	ada := p.app.Login("ada@h.test")
	var fe struct {
		Error  string
		Fields map[string]string
	}
	r := ada.Do("GET", "/api/v1/audit?from=2026-11-20&to=2026-11-10", nil, &fe)
	if r.Status != 422 || !strings.Contains(fe.Fields["from"], "after") || fe.Error == "" {
		t.Fatalf("API: %d %s", r.Status, r.Body)
	}
	if r := ada.Do("GET", "/api/v1/audit?from=2026-11-20T10:00:00Z&to=2026-11-20T09:00:00Z", nil, nil); r.Status != 422 {
		t.Fatalf("API times: %d %s", r.Status, r.Body)
	}
	if r := ada.Do("GET", "/api/v1/audit?from=2026-11-20&to=2026-11-20", nil, nil); r.Status != 200 {
		t.Fatalf("API one day: %d %s", r.Status, r.Body)
	}
	if r := ada.Do("GET", "/api/v1/audit?from=nonsense", nil, nil); r.Status != 400 {
		t.Fatalf("API malformed stays 400: %d", r.Status)
	}
	adaB := p.browser(t, "ada@h.test")
	r = adaB.Get("/admin/audit?from=2026-11-20&to=2026-11-10&action=assignment.create")
	if r.Status != 422 || !strings.Contains(r.Body, "is after “To”") || !strings.Contains(r.Body, `value="assignment.create"`) ||
		!strings.Contains(r.Body, `value="2026-11-20"`) {
		t.Fatalf("page: %d", r.Status)
	}
}
