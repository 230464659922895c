// Package policies holds the Casbin model and policy: the one place that
// says which role may do what.
package policies

import _ "embed"

// Model is the Casbin model (RBAC with domains: the clinic is the domain).
//
//go:embed model.conf
var Model string

// Policy lists every role permission, one object and action a line.
//
//go:embed policy.csv
var Policy string
