// Package templates holds the server-rendered pages and static assets.
package templates

import "embed"

// FS holds the layout, partials, pages, static files and the mail templates.
//
//go:embed *.html pages/*.html static mail
var FS embed.FS
