package web

import (
	"net/http/httptest"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/library"
)

// Parsers of user input, exposed to the fuzz targets.
var (
	ParseQueueCursor = parseQueueCursor
	QueueCursor      = queueCursor
)

func ctxWithQuery(rawQuery string) echo.Context {
	req := httptest.NewRequest("GET", "/x", nil)
	req.URL.RawQuery = rawQuery
	return echo.New().NewContext(req, httptest.NewRecorder())
}

// ParseAuditFilter parses an audit listing query string.
func ParseAuditFilter(rawQuery string) (audit.Filter, map[string]string) {
	return parseAuditFilter(ctxWithQuery(rawQuery), time.UTC)
}

// ParseAuditFilterIn parses an audit listing query string whose dates are days in loc.
func ParseAuditFilterIn(rawQuery string, loc *time.Location) (audit.Filter, map[string]string) {
	return parseAuditFilter(ctxWithQuery(rawQuery), loc)
}

// CoupleFilter parses a couples list query string.
func CoupleFilter(rawQuery string) (clinic.CoupleFilter, error) {
	return coupleFilter(ctxWithQuery(rawQuery))
}

// LibraryFilter parses a library list query string.
func LibraryFilter(rawQuery string) (library.Filter, error) {
	return libraryFilter(ctxWithQuery(rawQuery))
}

// QueueItem builds a review-queue item for cursor tests.
type QueueItem = assignment.QueueItem

// QueueFilter narrows the review queue, for cursor tests.
type QueueFilter = assignment.QueueFilter
