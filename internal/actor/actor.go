// Package actor describes who is making a request: the signed-in user, the
// clinic they act in and their roles there (read from the database for each
// request), plus the request id and client IP that audit events record.
package actor

import (
	"slices"
	"time"
)

// Roles a membership can carry.
const (
	RoleAdmin     = "clinic_admin"
	RoleCounselor = "counselor"
	RoleClient    = "client"
)

// AllRoles lists the roles in display order.
var AllRoles = []string{RoleAdmin, RoleCounselor, RoleClient}

// Actor is the caller of a service method.
type Actor struct {
	UserID     int64
	Name       string
	Email      string
	ClinicID   int64
	ClinicName string
	Roles      []string // active roles in ClinicID
	RequestID  string
	IP         string
	// ClinicZone is the clinic's time zone (UTC until it chooses one): its
	// days are the days of recurring work, due dates and the audit trail.
	ClinicZone *time.Location
	// ClinicZoneSet: the clinic has chosen its zone.
	ClinicZoneSet bool
	// Zone is the zone times are shown to this person in: their own, or
	// else the clinic's.
	Zone *time.Location
}

// Loc is the actor's viewing zone (UTC when unset).
func (a Actor) Loc() *time.Location {
	if a.Zone == nil {
		return time.UTC
	}
	return a.Zone
}

// ClinicLoc is the clinic's zone (UTC when unset).
func (a Actor) ClinicLoc() *time.Location {
	if a.ClinicZone == nil {
		return time.UTC
	}
	return a.ClinicZone
}

// Has reports whether the actor holds role in the current clinic.
func (a Actor) Has(role string) bool { return slices.Contains(a.Roles, role) }

// System is the actor for command-line and start-up work.
var System = Actor{RequestID: "cli"}
