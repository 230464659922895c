package web_test

import (
	"fmt"
	"regexp"
	"strings"
)

// Per-request values that may differ between two fetches of one body: the
// CSRF token of the session, request ids (in the audit trail), and the
// one-time secrets of links.
var perRequest = []*regexp.Regexp{
	regexp.MustCompile(`name="csrf_token" value="[^"]*"`),
	regexp.MustCompile(`<td class="audit-req">[^<]*</td>`),
	regexp.MustCompile(`"request_id":"[^"]*"`),
}

// mask blanks the per-request values of a body, so two fetches of the same
// state compare equal byte for byte.
func mask(body string) string {
	for _, re := range perRequest {
		body = re.ReplaceAllString(body, "«masked»")
	}
	return body
}

// firstDiff shows where two bodies part.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-200)
	end := func(s string) int { return min(len(s), i+200) }
	return fmt.Sprintf("at byte %d:\n--- before: …%s…\n+++ after:  …%s…", i,
		strings.TrimSpace(a[from:end(a)]), strings.TrimSpace(b[from:end(b)]))
}
