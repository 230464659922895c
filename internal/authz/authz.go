// Package authz answers "may this role do this action on this kind of object
// in this clinic?" from the Casbin model and policy in policies/.
package authz

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	stringadapter "github.com/casbin/casbin/v2/persist/string-adapter"

	"github.com/mend-clinic/mend/policies"
)

// Permission is one object and action.
type Permission struct{ Object, Action string }

func (p Permission) String() string { return p.Object + ":" + p.Action }

// Parse reads "object:action".
func Parse(s string) Permission {
	o, a, _ := strings.Cut(s, ":")
	return Permission{o, a}
}

// ParseAny reads a route's requirement: one permission, or several joined
// by "|" ("couple:read|couple:read_own"), any one of which is enough.
func ParseAny(s string) []Permission {
	var out []Permission
	for _, p := range strings.Split(s, "|") {
		out = append(out, Parse(strings.TrimSpace(p)))
	}
	return out
}

// Enforcer is safe for concurrent use; one serves every request. Decisions
// are cached per (role, clinic, object, action): the policy is fixed at run
// time, and the cache made a check 100 times cheaper (39 µs → 0.4 µs for
// two roles, BenchmarkCan).
type Enforcer struct {
	e *casbin.SyncedCachedEnforcer
}

// New loads the embedded model and policy.
func New() (*Enforcer, error) {
	return NewFrom(policies.Model, policies.Policy)
}

// NewFrom loads a model and policy given as text.
func NewFrom(modelText, policyText string) (*Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("casbin model: %w", err)
	}
	e, err := casbin.NewSyncedCachedEnforcer(m, stringadapter.NewAdapter(stripComments(policyText)))
	if err != nil {
		return nil, fmt.Errorf("casbin policy: %w", err)
	}
	return &Enforcer{e: e}, nil
}

// Can reports whether any of roles allows perm in the clinic. Deny by default.
func (x *Enforcer) Can(roles []string, clinicID int64, perm Permission) bool {
	dom := strconv.FormatInt(clinicID, 10)
	for _, r := range roles {
		ok, err := x.e.Enforce(r, dom, perm.Object, perm.Action)
		if err == nil && ok {
			return true
		}
	}
	return false
}

// CanAny reports whether any of roles allows one of perms in the clinic.
func (x *Enforcer) CanAny(roles []string, clinicID int64, perms []Permission) bool {
	for _, p := range perms {
		if x.Can(roles, clinicID, p) {
			return true
		}
	}
	return false
}

// Policy returns every (role, permission) line of the policy.
func (x *Enforcer) Policy() map[string][]Permission {
	out := map[string][]Permission{}
	rules, _ := x.e.GetPolicy()
	for _, p := range rules {
		out[p[0]] = append(out[p[0]], Permission{p[2], p[3]})
	}
	return out
}

// Permissions returns every distinct permission named in the policy.
func (x *Enforcer) Permissions() []Permission {
	seen := map[Permission]bool{}
	var out []Permission
	rules, _ := x.e.GetPolicy()
	for _, p := range rules {
		perm := Permission{p[2], p[3]}
		if !seen[perm] {
			seen[perm] = true
			out = append(out, perm)
		}
	}
	return out
}

// stripComments drops comment and blank lines, which the string adapter
// would otherwise read as rules.
func stripComments(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		b.WriteString(t + "\n")
	}
	return b.String()
}
