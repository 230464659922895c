package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
)

// pathID reads a numeric path parameter. Anything else is an id that
// cannot exist: 404, like an object the caller may not see.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.New(apperr.NotFound, "We could not find that page.")
	}
	return id, nil
}
