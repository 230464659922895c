package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/paging"
	"github.com/mend-clinic/mend/internal/tz"
)

// parseAuditFilter reads the audit listing's query parameters; the map
// names each malformed one. A date in from/to is a day in loc: from its
// local midnight, to the end of the "to" day (inclusive).
func parseAuditFilter(c echo.Context, loc *time.Location) (audit.Filter, map[string]string) {
	var f audit.Filter
	bad := map[string]string{}
	id := func(name string) int64 {
		v := strings.TrimSpace(c.QueryParam(name))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			bad[name] = "Must be a positive whole number."
			return 0
		}
		return n
	}
	day := func(name string, end bool) time.Time {
		v := strings.TrimSpace(c.QueryParam(name))
		if v == "" {
			return time.Time{}
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t
		}
		if d, err := tz.ParseDate(v); err == nil {
			if end { // a date as "to" includes that whole day
				d = tz.AddDays(d, 1)
			}
			return tz.Start(d, loc)
		}
		bad[name] = "Use a date (YYYY-MM-DD) or an RFC 3339 time."
		return time.Time{}
	}
	f.ActorID = id("actor")
	f.CoupleID = id("couple_id")
	var err error
	if f.After, err = paging.DecodeID(c.QueryParam("after")); err != nil {
		bad["after"] = "Use the link to the older page, or start again from the first page."
	}
	f.From = day("from", false)
	f.To = day("to", true)
	f.Action = strings.TrimSpace(c.QueryParam("action"))
	if len(f.Action) > 100 || strings.ContainsRune(f.Action, 0) {
		bad["action"] = "Use at most 100 characters."
		f.Action = ""
	}
	name := func(key string) string {
		v := strings.TrimSpace(c.QueryParam(key))
		if len([]rune(v)) > 200 || strings.ContainsRune(v, 0) {
			bad[key] = "Use at most 200 characters."
			return ""
		}
		return v
	}
	f.Person = name("person")
	f.Couple = name("couple")
	if f.Limit, err = paging.ParseLimit(strings.TrimSpace(c.QueryParam("limit"))); err != nil {
		bad["limit"] = "Must be between 1 and " + strconv.Itoa(paging.Max) + "."
	}
	return f, bad
}

// auditRangeError says so when a well-formed filter's "from" is not
// before its "to" (the list would be empty for a reason not shown).
func auditRangeError(f audit.Filter) error {
	if f.From.IsZero() || f.To.IsZero() || f.From.Before(f.To) {
		return nil
	}
	return apperr.Fields("The filter's \"from\" is after its \"to\".",
		map[string]string{"from": "“From” is after “To”: choose a day on or before it."})
}

// apiAudit lists the clinic's audit trail (admins only; ids, not content).
// Reading the trail is not itself audited. Dates are the clinic's days.
func (s *Server) apiAudit(c echo.Context) error {
	f, bad := parseAuditFilter(c, mustActor(c).ClinicLoc())
	if len(bad) > 0 {
		return &apperr.Error{Code: apperr.BadRequest, Message: "Some query parameters are malformed.", Fields: bad}
	}
	if err := auditRangeError(f); err != nil {
		return err
	}
	p, err := audit.List(c.Request().Context(), s.DB, mustActor(c).ClinicID, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
