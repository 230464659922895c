// Package templates holds the server-rendered pages and static assets.
package templates

import "embed"

// FS holds the layout, partials, pages and static files.
//
//go:embed *.html pages/*.html static
var FS embed.FS
