// Package paging holds the one rule every list follows: ?limit= defaults
// to 50 and may be 1 to 200; pages continue with an opaque ?after= cursor.
package paging

import (
	"strconv"

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
