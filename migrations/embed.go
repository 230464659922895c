// Package migrations holds Mend's SQL migrations, applied in order by goose.
package migrations

import "embed"

// FS holds the numbered .sql files.
//
//go:embed *.sql
var FS embed.FS
