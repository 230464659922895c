package web_test

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
)

// The authorization matrix: every route × every kind of caller × objects of
// different relations to the caller. Each expectation string has one letter
// per caller, in the order of matrixCallers:
//
//	Y  allowed past authorization: any status but 401, 403, 404, 5xx or a
//	   redirect to /login (a 422 for an intentionally empty body counts);
//	N  denied: 401, 403 or 404 (or a redirect to /login), and for a
//	   state-changing request the database is unchanged;
//	P  a public route given nonsense (no session, bad token): anything but 5xx.
//
// Objects: {couple} is Alex (A) & Blair (B), in Cora's caseload; {couple2}
// is Sol (C)'s couple, also Cora's; {coupleCarl} is in Carl's caseload;
// {coupleFinn} is in another clinic. {resp} is A's submitted individual
// response ({sub} its submission), {respJ} the joint response of A&B; {tplCora} is a private
// custom template of Cora, {tplFinn} one of Finn in the other clinic.
var matrixCallers = []string{"anon", "A", "B", "C", "cora", "carl", "ada", "finn"}

type mcase struct{ path, want string }

var matrix = map[string][]mcase{
	"GET /healthz":             {{"/healthz", "YYYYYYYY"}},
	"GET /":                    {{"/", "NYYYYYYY"}},
	"GET /login":               {{"/login", "YYYYYYYY"}},
	"POST /login":              {{"/login", "PPPPPPPP"}},
	"POST /logout":             {{"/logout", "NYYYYYYY"}},
	"GET /clinics":             {{"/clinics", "NYYYYYYY"}},
	"POST /clinics":            {{"/clinics", "NYYYYYYY"}},
	"POST /api/v1/auth/login":  {{"/api/v1/auth/login", "PPPPPPPP"}},
	"POST /api/v1/auth/logout": {{"/api/v1/auth/logout", "NYYYYYYY"}},
	"GET /api/v1/me":           {{"/api/v1/me", "NYYYYYYY"}},

	// Clinic administration: the clinic admin only, never another clinic.
	"GET /admin/couples":     {{"/admin/couples", "NNNNNNYN"}},
	"GET /admin/couples/new": {{"/admin/couples/new", "NNNNNNYN"}},
	"POST /admin/couples":    {{"/admin/couples", "NNNNNNYN"}},
	"POST /admin/couples/:id": {{"/admin/couples/{couple}", "NNNNNNYN"}, {"/admin/couples/{coupleCarl}", "NNNNNNYN"},
		{"/admin/couples/{coupleFinn}", "NNNNNNNN"}},
	"POST /admin/couples/:id/partners/:partner_id/invitation": {{"/admin/couples/{coupleCarl}/partners/{partnerCarl}/invitation", "NNNNNNYN"},
		{"/admin/couples/{coupleFinn}/partners/{partnerFinn}/invitation", "NNNNNNNN"}, {"/admin/couples/{couple}/partners/{partnerFinn}/invitation", "NNNNNNNN"}},
	"GET /couples/:id": {{"/couples/{couple}", "NNNNYNYN"}, {"/couples/{couple2}", "NNNNYNYN"}, {"/couples/{coupleCarl}", "NNNNNYYN"},
		{"/couples/{coupleFinn}", "NNNNNNNY"}},
	"GET /couples/:id/timeline": {{"/couples/{couple}/timeline", "NNNNYNNN"}, {"/couples/{coupleCarl}/timeline", "NNNNNYNN"},
		{"/couples/{coupleFinn}/timeline", "NNNNNNNY"}},
	"GET /admin/counselors":              {{"/admin/counselors", "NNNNNNYN"}},
	"POST /admin/counselors":             {{"/admin/counselors", "NNNNNNYN"}},
	"POST /admin/counselors/:id/active":  {{"/admin/counselors/{finn}/active", "NNNNNNNN"}, {"/admin/counselors/{dora}/active", "NNNNNNYN"}},
	"POST /admin/invitations/:id/resend": {{"/admin/invitations/{inv}/resend", "NNNNNNYN"}, {"/admin/invitations/{invFinn}/resend", "NNNNNNNN"}},
	"POST /admin/invitations/:id/revoke": {{"/admin/invitations/{invFinn}/revoke", "NNNNNNNN"}, {"/admin/invitations/{inv}/revoke", "NNNNNNYN"}},
	"GET /admin/caseloads":               {{"/admin/caseloads", "NNNNNNYN"}},
	"GET /caseload":                      {{"/caseload", "NNNNYYNY"}},
	"POST /admin/counselors/:id/password-reset": {{"/admin/counselors/{cora}/password-reset", "NNNNNNYN"},
		{"/admin/counselors/{finn}/password-reset", "NNNNNNNN"}},
	"POST /admin/couples/:id/partners/:partner_id/password-reset": {{"/admin/couples/{couple}/partners/{partnerA}/password-reset", "NNNNNNYN"},
		{"/admin/couples/{coupleFinn}/partners/{partnerFinn}/password-reset", "NNNNNNNN"},
		{"/admin/couples/{couple}/partners/{partnerFinn}/password-reset", "NNNNNNNN"}},
	"GET /invitations/:token":  {{"/invitations/not-a-real-token", "NNNNNNNN"}},
	"POST /invitations/:token": {{"/invitations/not-a-real-token", "NNNNNNNN"}},

	"GET /api/v1/counselors":       {{"/api/v1/counselors", "NNNNNNYN"}},
	"POST /api/v1/counselors":      {{"/api/v1/counselors", "NNNNNNYN"}},
	"GET /api/v1/counselors/:id":   {{"/api/v1/counselors/{cora}", "NNNNNNYN"}, {"/api/v1/counselors/{finn}", "NNNNNNNN"}},
	"PATCH /api/v1/counselors/:id": {{"/api/v1/counselors/{dora}", "NNNNNNYN"}, {"/api/v1/counselors/{finn}", "NNNNNNNN"}},
	"GET /api/v1/couples":          {{"/api/v1/couples", "NNNNNNYN"}},
	"POST /api/v1/couples":         {{"/api/v1/couples", "NNNNNNYN"}},
	"GET /api/v1/couples/:id": {{"/api/v1/couples/{couple}", "NYYNYNYN"}, {"/api/v1/couples/{couple2}", "NNNYYNYN"},
		{"/api/v1/couples/{coupleCarl}", "NNNNNYYN"}, {"/api/v1/couples/{coupleFinn}", "NNNNNNNY"}},
	"PATCH /api/v1/couples/:id": {{"/api/v1/couples/{couple}", "NNNNNNYN"}, {"/api/v1/couples/{coupleFinn}", "NNNNNNNN"}},
	"GET /api/v1/couples/:id/timeline": {{"/api/v1/couples/{couple}/timeline", "NNNNYNNN"},
		{"/api/v1/couples/{coupleCarl}/timeline", "NNNNNYNN"}, {"/api/v1/couples/{coupleFinn}/timeline", "NNNNNNNY"}},
	"POST /api/v1/couples/:id/partners/:partner_id/invitation": {{"/api/v1/couples/{coupleCarl}/partners/{partnerCarl}/invitation", "NNNNNNYN"},
		{"/api/v1/couples/{coupleFinn}/partners/{partnerFinn}/invitation", "NNNNNNNN"}, {"/api/v1/couples/{couple}/partners/{partnerFinn}/invitation", "NNNNNNNN"}},
	"POST /api/v1/invitations/:token/accept": {{"/api/v1/invitations/not-a-real-token/accept", "NNNNNNNN"}},
	"POST /api/v1/counselors/:id/password-reset": {{"/api/v1/counselors/{cora}/password-reset", "NNNNNNYN"},
		{"/api/v1/counselors/{finn}/password-reset", "NNNNNNNN"}},
	"POST /api/v1/couples/:id/partners/:partner_id/password-reset": {{"/api/v1/couples/{couple}/partners/{partnerA}/password-reset", "NNNNNNYN"},
		{"/api/v1/couples/{coupleFinn}/partners/{partnerFinn}/password-reset", "NNNNNNNN"},
		{"/api/v1/couples/{couple}/partners/{partnerFinn}/password-reset", "NNNNNNNN"}},
	"POST /api/v1/invitation-links/:id/resend": {{"/api/v1/invitation-links/{inv}/resend", "NNNNNNYN"},
		{"/api/v1/invitation-links/{invFinn}/resend", "NNNNNNNN"}},
	"DELETE /api/v1/invitation-links/:id": {{"/api/v1/invitation-links/{invFinn}", "NNNNNNNN"}, {"/api/v1/invitation-links/{inv}", "NNNNNNYN"}},
	"GET /api/v1/caseload":                {{"/api/v1/caseload", "NNNNYYNY"}},
	"GET /api/v1/caseloads":               {{"/api/v1/caseloads", "NNNNNNYN"}},

	// Library: counselors; private templates their owner's only.
	"GET /library":      {{"/library", "NNNNYYNY"}},
	"GET /library/new":  {{"/library/new", "NNNNYYNY"}},
	"POST /library/new": {{"/library/new", "NNNNYYNY"}},
	"GET /library/:id":  {{"/library/{tplCora}", "NNNNYNNN"}, {"/library/{tplBuiltin}", "NNNNYYNY"}, {"/library/{tplFinn}", "NNNNNNNY"}},
	"GET /library/:id/print": {{"/library/{tplCora}/print", "NNNNYNNN"}, {"/library/{tplBuiltin}/print", "NNNNYYNY"},
		{"/library/{tplFinn}/print", "NNNNNNNY"}},
	"GET /library/:id/versions/:n": {{"/library/{tplCora}/versions/1", "NNNNYNNN"}, {"/library/{tplBuiltin}/versions/1", "NNNNYYNY"},
		{"/library/{tplFinn}/versions/1", "NNNNNNNY"}},
	"GET /library/:id/versions/:n/print": {{"/library/{tplCora}/versions/1/print", "NNNNYNNN"},
		{"/library/{tplFinn}/versions/1/print", "NNNNNNNY"}},
	"GET /library/:id/edit":     {{"/library/{tplCora}/edit", "NNNNYNNN"}, {"/library/{tplFinn}/edit", "NNNNNNNY"}},
	"POST /library/:id/edit":    {{"/library/{tplCora}/edit", "NNNNYNNN"}, {"/library/{tplFinn}/edit", "NNNNNNNY"}},
	"POST /library/:id/clone":   {{"/library/{tplCora}/clone", "NNNNYNNN"}, {"/library/{tplBuiltin}/clone", "NNNNYYNY"}},
	"POST /library/:id/archive": {{"/library/{tplCora}/archive", "NNNNYNNN"}},
	"POST /library/:id/restore": {{"/library/{tplCora}/restore", "NNNNYNNN"}},

	"GET /api/v1/exercise-templates":  {{"/api/v1/exercise-templates", "NNNNYYNY"}},
	"POST /api/v1/exercise-templates": {{"/api/v1/exercise-templates", "NNNNYYNY"}},
	"GET /api/v1/exercise-templates/:id": {{"/api/v1/exercise-templates/{tplCora}", "NNNNYNNN"},
		{"/api/v1/exercise-templates/{tplBuiltin}", "NNNNYYNY"}, {"/api/v1/exercise-templates/{tplFinn}", "NNNNNNNY"}},
	"PUT /api/v1/exercise-templates/:id": {{"/api/v1/exercise-templates/{tplCora}", "NNNNYNNN"},
		{"/api/v1/exercise-templates/{tplFinn}", "NNNNNNNY"}},
	"PATCH /api/v1/exercise-templates/:id": {{"/api/v1/exercise-templates/{tplCora}", "NNNNYNNN"},
		{"/api/v1/exercise-templates/{tplFinn}", "NNNNNNNY"}},
	"GET /api/v1/exercise-templates/:id/versions/:n": {{"/api/v1/exercise-templates/{tplCora}/versions/1", "NNNNYNNN"},
		{"/api/v1/exercise-templates/{tplFinn}/versions/1", "NNNNNNNY"}},
	"POST /api/v1/exercise-templates/:id/clone": {{"/api/v1/exercise-templates/{tplCora}/clone", "NNNNYNNN"},
		{"/api/v1/exercise-templates/{tplFinn}/clone", "NNNNNNNY"}},
	"POST /api/v1/exercise-templates/:id/archive": {{"/api/v1/exercise-templates/{tplFinn}/archive", "NNNNNNNY"}},
	"POST /api/v1/exercise-templates/:id/restore": {{"/api/v1/exercise-templates/{tplFinn}/restore", "NNNNNNNY"}},

	// Security.
	"GET /admin/audit":                    {{"/admin/audit", "NNNNNNYN"}},
	"GET /admin/audit.csv":                {{"/admin/audit.csv", "NNNNNNYN"}},
	"GET /admin/settings":                 {{"/admin/settings", "NNNNNNYN"}},
	"POST /admin/settings":                {{"/admin/settings", "NNNNNNYN"}},
	"GET /account/security":               {{"/account/security", "NYYYYYYY"}},
	"POST /account/security/enrol":        {{"/account/security/enrol", "NYYYYYYY"}},
	"POST /account/security/disable":      {{"/account/security/disable", "NYYYYYYY"}},
	"GET /account/password":               {{"/account/password", "NYYYYYYY"}},
	"POST /account/password":              {{"/account/password", "NYYYYYYY"}},
	"GET /login/totp":                     {{"/login/totp", "PPPPPPPP"}},
	"POST /login/totp":                    {{"/login/totp", "PPPPPPPP"}},
	"GET /api/v1/audit":                   {{"/api/v1/audit", "NNNNNNYN"}},
	"GET /password-reset/:token":          {{"/password-reset/not-a-real-token", "NNNNNNNN"}},
	"POST /password-reset/:token":         {{"/password-reset/not-a-real-token", "NNNNNNNN"}},
	"POST /api/v1/password-resets/:token": {{"/api/v1/password-resets/not-a-real-token", "NNNNNNNN"}},
	// An empty body: 422 for every signed-in caller (nothing is counted).
	"POST /api/v1/me/password":     {{"/api/v1/me/password", "NYYYYYYY"}},
	"POST /api/v1/me/totp/disable": {{"/api/v1/me/totp/disable", "NYYYYYYY"}},
	"POST /api/v1/me/totp":         {{"/api/v1/me/totp", "NYYYYYYY"}},
	"POST /api/v1/me/totp/confirm": {{"/api/v1/me/totp/confirm", "NYYYYYYY"}},

	// Assignments and responses.
	"GET /couples/:id/assign": {{"/couples/{couple}/assign", "NNNNYNNN"}, {"/couples/{coupleCarl}/assign", "NNNNNYNN"},
		{"/couples/{coupleFinn}/assign", "NNNNNNNY"}},
	"POST /couples/:id/assign": {{"/couples/{couple}/assign", "NNNNYNNN"}, {"/couples/{coupleCarl}/assign", "NNNNNYNN"},
		{"/couples/{coupleFinn}/assign", "NNNNNNNY"}},
	"GET /assignments/:id":  {{"/assignments/{asg}", "NYYNYNYN"}, {"/assignments/{asgCarl}", "NNNNNYYN"}, {"/assignments/{asgFinn}", "NNNNNNNY"}},
	"POST /assignments/:id": {{"/assignments/{asg}", "NNNNYNNN"}, {"/assignments/{asgCarl}", "NNNNNYNN"}, {"/assignments/{asgFinn}", "NNNNNNNY"}},
	"GET /responses/:id": {{"/responses/{resp}", "NYNNYNNN"}, {"/responses/{respJ}", "NYYNNNNN"}, {"/responses/{respCarl}", "NNNNNNNN"},
		{"/responses/{respFinn}", "NNNNNNNN"}},
	"POST /responses/:id":          {{"/responses/{resp}", "NYNNNNNN"}, {"/responses/{respJ}", "NYYNNNNN"}, {"/responses/{respFinn}", "NNNNNNNN"}},
	"POST /responses/:id/autosave": {{"/responses/{resp}/autosave", "NYNNNNNN"}, {"/responses/{respJ}/autosave", "NYYNNNNN"}},
	"POST /responses/:id/review":   {{"/responses/{resp}/review", "NNNNYNNN"}, {"/responses/{respFinn}/review", "NNNNNNNN"}},
	"GET /responses/:id/print":     {{"/responses/{resp}/print", "NYNNYNNN"}, {"/responses/{respJ}/print", "NYYNNNNN"}},
	"GET /responses/:id/submissions/:sub": {{"/responses/{resp}/submissions/{sub}", "NYNNYNNN"},
		{"/responses/{respJ}/submissions/{sub}", "NNNNNNNN"}, {"/responses/{respFinn}/submissions/{sub}", "NNNNNNNN"}},
	"GET /assign":                   {{"/assign?couple={couple}&template={tplCora}", "NNNNYYNY"}},
	"GET /review":                   {{"/review", "NNNNYYNY"}},
	"GET /couples/:id/checkins.svg": {{"/couples/{couple}/checkins.svg", "NYYNYNNN"}, {"/couples/{coupleFinn}/checkins.svg", "NNNNNNNY"}},

	"POST /api/v1/couples/:id/assignments": {{"/api/v1/couples/{couple}/assignments", "NNNNYNNN"},
		{"/api/v1/couples/{coupleCarl}/assignments", "NNNNNYNN"}, {"/api/v1/couples/{coupleFinn}/assignments", "NNNNNNNY"}},
	"GET /api/v1/assignments": {{"/api/v1/assignments", "NYYYYYYY"}},
	"GET /api/v1/assignments/:id": {{"/api/v1/assignments/{asg}", "NYYNYNYN"}, {"/api/v1/assignments/{asgCarl}", "NNNNNYYN"},
		{"/api/v1/assignments/{asgFinn}", "NNNNNNNY"}},
	"PATCH /api/v1/assignments/:id": {{"/api/v1/assignments/{asg}", "NNNNYNNN"}, {"/api/v1/assignments/{asgFinn}", "NNNNNNNY"}},
	"GET /api/v1/responses/:id": {{"/api/v1/responses/{resp}", "NYNNYNNN"}, {"/api/v1/responses/{respJ}", "NYYNNNNN"},
		{"/api/v1/responses/{respCarl}", "NNNNNNNN"}, {"/api/v1/responses/{respFinn}", "NNNNNNNN"}},
	"GET /api/v1/responses/:id/submissions/:sub": {{"/api/v1/responses/{resp}/submissions/{sub}", "NYNNYNNN"},
		{"/api/v1/responses/{respJ}/submissions/{sub}", "NNNNNNNN"}, {"/api/v1/responses/{respFinn}/submissions/{sub}", "NNNNNNNN"}},
	"PUT /api/v1/responses/:id":         {{"/api/v1/responses/{resp}", "NYNNNNNN"}, {"/api/v1/responses/{respJ}", "NYYNNNNN"}},
	"POST /api/v1/responses/:id/share":  {{"/api/v1/responses/{resp}/share", "NYNNNNNN"}, {"/api/v1/responses/{respFinn}/share", "NNNNNNNN"}},
	"POST /api/v1/responses/:id/sign":   {{"/api/v1/responses/{respJ}/sign", "NYYNNNNN"}, {"/api/v1/responses/{respFinn}/sign", "NNNNNNNN"}},
	"POST /api/v1/responses/:id/submit": {{"/api/v1/responses/{resp}/submit", "NYNNNNNN"}, {"/api/v1/responses/{respFinn}/submit", "NNNNNNNN"}},
	"POST /api/v1/responses/:id/review": {{"/api/v1/responses/{resp}/review", "NNNNYNNN"}, {"/api/v1/responses/{respFinn}/review", "NNNNNNNN"}},
	"GET /api/v1/review-queue":          {{"/api/v1/review-queue", "NNNNYYNY"}},
	"GET /api/v1/couples/:id/checkins": {{"/api/v1/couples/{couple}/checkins", "NYYNYNNN"}, {"/api/v1/couples/{couple2}/checkins", "NNNYYNNN"},
		{"/api/v1/couples/{coupleFinn}/checkins", "NNNNNNNY"}},
	"GET /api/v1/counts": {{"/api/v1/counts", "NYYYYYYY"}},

	// What's new: each person their own notifications only.
	"GET /notifications":           {{"/notifications", "NYYYYYYY"}},
	"POST /notifications/read-all": {{"/notifications/read-all", "NYYYYYYY"}},
	"POST /notifications/:id/open": {{"/notifications/{notifA}/open", "NYNNNNNN"}, {"/notifications/{notifCora}/open", "NNNNYNNN"}},
	"GET /api/v1/notifications":    {{"/api/v1/notifications", "NYYYYYYY"}},
	"POST /api/v1/notifications/:id/read": {{"/api/v1/notifications/{notifA}/read", "NYNNNNNN"},
		{"/api/v1/notifications/{notifCora}/read", "NNNNYNNN"}},

	// Forgot password: public, one answer for everyone.
	"GET /forgot-password":              {{"/forgot-password", "YYYYYYYY"}},
	"POST /forgot-password":             {{"/forgot-password", "PPPPPPPP"}},
	"POST /api/v1/auth/forgot-password": {{"/api/v1/auth/forgot-password", "PPPPPPPP"}},

	// Undeliverable mail: the clinic's admins, their own clinic's only.
	"GET /admin/mail": {{"/admin/mail", "NNNNNNYN"}},
	"POST /admin/mail/:id/dismiss": {{"/admin/mail/{mailNorth}/dismiss", "NNNNNNNN"},
		{"/admin/mail/{mailHarbor}/dismiss", "NNNNNNYN"}},
	"GET /api/v1/mail-failures": {{"/api/v1/mail-failures", "NNNNNNYN"}},
	"DELETE /api/v1/mail-failures/:id": {{"/api/v1/mail-failures/{mailNorth}", "NNNNNNNN"},
		{"/api/v1/mail-failures/{mailHarbor2}", "NNNNNNYN"}},

	// Settings: one's own for everyone, the clinic's for its admin; the
	// unsubscribe link is public and authorized by its MAC alone (a bad
	// one is 404 whoever sends it; unsubscribe_one_click_test.go has the good one).
	"GET /settings/notifications":            {{"/settings/notifications", "NYYYYYYY"}},
	"POST /settings/notifications":           {{"/settings/notifications", "NYYYYYYY"}},
	"GET /unsubscribe/:uid/:category/:mac":   {{"/unsubscribe/{cora}/reminders/not-a-mac", "NNNNNNNN"}, {"/unsubscribe/{cora}/always/not-a-mac", "NNNNNNNN"}},
	"POST /unsubscribe/:uid/:category/:mac":  {{"/unsubscribe/{cora}/reminders/not-a-mac", "NNNNNNNN"}},
	"GET /api/v1/clinic":                     {{"/api/v1/clinic", "NNNNNNYN"}},
	"PATCH /api/v1/clinic":                   {{"/api/v1/clinic", "NNNNNNYN"}},
	"GET /api/v1/me/notification-settings":   {{"/api/v1/me/notification-settings", "NYYYYYYY"}},
	"PATCH /api/v1/me/notification-settings": {{"/api/v1/me/notification-settings", "NYYYYYYY"}},

	// Sessions: the couple's counselor manages and prepares them; partners
	// read their own couple's times, admins dates; the calendar feed is its
	// secret URL's.
	"GET /couples/:id/sessions/new": {{"/couples/{couple}/sessions/new", "NNNNYNNN"}, {"/couples/{coupleCarl}/sessions/new", "NNNNNYNN"},
		{"/couples/{coupleFinn}/sessions/new", "NNNNNNNY"}},
	"POST /couples/:id/sessions": {{"/couples/{couple}/sessions", "NNNNYNNN"}, {"/couples/{coupleCarl}/sessions", "NNNNNYNN"},
		{"/couples/{coupleFinn}/sessions", "NNNNNNNY"}},
	"GET /sessions/:id":  {{"/sessions/{sess}", "NYYNYNYN"}, {"/sessions/{sessCarl}", "NNNNNYYN"}, {"/sessions/{sessFinn}", "NNNNNNNY"}},
	"POST /sessions/:id": {{"/sessions/{sess}", "NNNNYNNN"}, {"/sessions/{sessCarl}", "NNNNNYNN"}, {"/sessions/{sessFinn}", "NNNNNNNY"}},
	"GET /sessions/:id/prep": {{"/sessions/{sess}/prep", "NNNNYNNN"}, {"/sessions/{sessCarl}/prep", "NNNNNYNN"},
		{"/sessions/{sessFinn}/prep", "NNNNNNNY"}},
	"POST /sessions/:id/note":          {{"/sessions/{sess}/note", "NNNNYNNN"}, {"/sessions/{sessFinn}/note", "NNNNNNNY"}},
	"POST /sessions/:id/note/autosave": {{"/sessions/{sess}/note/autosave", "NNNNYNNN"}, {"/sessions/{sessFinn}/note/autosave", "NNNNNNNY"}},
	"GET /account/calendar":            {{"/account/calendar", "NNNNYYNY"}},
	"POST /account/calendar":           {{"/account/calendar", "NNNNYYNY"}},
	"GET /calendar/:file":              {{"/calendar/{feedCora}.ics", "YYYYYYYY"}, {"/calendar/not-a-real-token.ics", "NNNNNNNN"}},
	"GET /api/v1/couples/:id/sessions": {{"/api/v1/couples/{couple}/sessions", "NYYNYNYN"}, {"/api/v1/couples/{couple2}/sessions", "NNNYYNYN"},
		{"/api/v1/couples/{coupleFinn}/sessions", "NNNNNNNY"}},
	"POST /api/v1/couples/:id/sessions": {{"/api/v1/couples/{couple}/sessions", "NNNNYNNN"},
		{"/api/v1/couples/{coupleCarl}/sessions", "NNNNNYNN"}, {"/api/v1/couples/{coupleFinn}/sessions", "NNNNNNNY"}},
	"GET /api/v1/sessions":        {{"/api/v1/sessions", "NYYYYYYY"}},
	"GET /api/v1/sessions/:id":    {{"/api/v1/sessions/{sess}", "NYYNYNYN"}, {"/api/v1/sessions/{sessFinn}", "NNNNNNNY"}},
	"PATCH /api/v1/sessions/:id":  {{"/api/v1/sessions/{sess}", "NNNNYNNN"}, {"/api/v1/sessions/{sessFinn}", "NNNNNNNY"}},
	"DELETE /api/v1/sessions/:id": {{"/api/v1/sessions/{sessFinn}", "NNNNNNNY"}, {"/api/v1/sessions/{sessDel}", "NNNNYNNN"}},
	"GET /api/v1/sessions/:id/prep": {{"/api/v1/sessions/{sess}/prep", "NNNNYNNN"}, {"/api/v1/sessions/{sessCarl}/prep", "NNNNNYNN"},
		{"/api/v1/sessions/{sessFinn}/prep", "NNNNNNNY"}},
	"PUT /api/v1/sessions/:id/note":   {{"/api/v1/sessions/{sess}/note", "NNNNYNNN"}, {"/api/v1/sessions/{sessFinn}/note", "NNNNNNNY"}},
	"POST /api/v1/me/calendar-feed":   {{"/api/v1/me/calendar-feed", "NNNNYYNY"}},
	"DELETE /api/v1/me/calendar-feed": {{"/api/v1/me/calendar-feed", "NNNNYYNY"}},

	// Outcome measures: scores to the partners and their counselor (the
	// admin: counts only, no chart); sharing by the counselor only.
	"GET /couples/:id/measures/:measure/chart.svg": {{"/couples/{couple}/measures/csi-4/chart.svg", "NYYNYNNN"},
		{"/couples/{couple}/measures/no-such-measure/chart.svg", "NNNNNNNN"}, {"/couples/{coupleFinn}/measures/csi-4/chart.svg", "NNNNNNNY"}},
	"POST /couples/:id/measures/sharing": {{"/couples/{couple}/measures/sharing", "NNNNYNNN"}, {"/couples/{coupleCarl}/measures/sharing", "NNNNNYNN"},
		{"/couples/{coupleFinn}/measures/sharing", "NNNNNNNY"}},
	"GET /progress":        {{"/progress", "NYYYNNNN"}},
	"GET /api/v1/measures": {{"/api/v1/measures", "NNNNYYNY"}},
	"GET /api/v1/couples/:id/measures": {{"/api/v1/couples/{couple}/measures", "NYYNYNYN"}, {"/api/v1/couples/{couple2}/measures", "NNNYYNYN"},
		{"/api/v1/couples/{coupleFinn}/measures", "NNNNNNNY"}},
	"PUT /api/v1/couples/:id/measures/sharing": {{"/api/v1/couples/{couple}/measures/sharing", "NNNNYNNN"},
		{"/api/v1/couples/{coupleCarl}/measures/sharing", "NNNNNYNN"}, {"/api/v1/couples/{coupleFinn}/measures/sharing", "NNNNNNNY"}},
}

// matrixLate are run last, in this order: they change the objects other
// rows use (archive, revoke, deactivate, sign out).
var matrixLate = []string{
	"POST /library/:id/archive", "POST /api/v1/exercise-templates/:id/archive", "POST /library/:id/restore",
	"POST /api/v1/exercise-templates/:id/restore",
	"POST /admin/couples/:id/partners/:partner_id/invitation", "POST /api/v1/couples/:id/partners/:partner_id/invitation",
	"POST /admin/invitations/:id/revoke", "DELETE /api/v1/invitation-links/:id", "POST /admin/counselors/:id/active",
	"DELETE /api/v1/sessions/:id", "DELETE /api/v1/me/calendar-feed",
	"POST /logout", "POST /api/v1/auth/logout",
}

type matrixFixture struct {
	app     *apptest.App
	ids     map[string]string
	browser map[string]*apptest.Browser
	csrf    map[string]string
	api     map[string]*apptest.API
}

var emails = map[string]string{"A": "alex@h.test", "B": "blair@h.test", "C": "sol@h.test", "cora": "cora@h.test",
	"carl": "carl@h.test", "ada": "ada@h.test", "finn": "finn@n.test"}

func newMatrixFixture(t *testing.T) *matrixFixture {
	p := newPractice(t)
	app := p.app
	f := &matrixFixture{app: app, ids: map[string]string{}, browser: map[string]*apptest.Browser{}, csrf: map[string]string{}, api: map[string]*apptest.API{}}
	id := func(q string, args ...any) string {
		t.Helper()
		var n int64
		if err := app.DB.Get(&n, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return fmt.Sprint(n)
	}
	var other int64
	app.DB.Get(&other, `SELECT id FROM clinics WHERE name = 'Northside'`)
	app.User(other, "clinic_admin", "fay@n.test", "Fay")
	app.User(p.clinic, "counselor", "dora@h.test", "Dora")
	for k, e := range map[string]string{"cora": "cora@h.test", "carl": "carl@h.test", "finn": "finn@n.test", "dora": "dora@h.test"} {
		f.ids[k] = id(`SELECT id FROM users WHERE email = $1`, e)
	}
	f.ids["couple"], f.ids["couple2"], f.ids["partnerA"] = fmt.Sprint(p.couple), fmt.Sprint(p.couple2), fmt.Sprint(p.partnerA)
	f.ids["tplBuiltin"] = fmt.Sprint(p.tpl["apology-letter"])

	ada, fay := app.Login("ada@h.test"), app.Login("fay@n.test")
	var cc, cf createdCouple
	if r := ada.Do("POST", "/api/v1/couples", map[string]any{"label": "Carl's couple", "counselor_id": mustInt(f.ids["carl"]),
		"partners": []map[string]string{{"name": "Dee", "email": "dee@x.test"}, {"name": "Dru", "email": "dru@x.test"}}}, &cc); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	if r := fay.Do("POST", "/api/v1/couples", map[string]any{"label": "North couple", "counselor_id": mustInt(f.ids["finn"]),
		"partners": []map[string]string{{"name": "Nell", "email": "nell@x.test"}, {"name": "Ned", "email": "ned@x.test"}}}, &cf); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	f.ids["coupleCarl"], f.ids["partnerCarl"] = fmt.Sprint(cc.ID), fmt.Sprint(cc.Partners[0].ID)
	f.ids["tokenDee"], f.ids["tokenDru"] = cc.Partners[0].Invitation.Token, cc.Partners[1].Invitation.Token
	f.ids["coupleFinn"], f.ids["partnerFinn"] = fmt.Sprint(cf.ID), fmt.Sprint(cf.Partners[0].ID)
	f.ids["inv"] = id(`SELECT id FROM invitations WHERE partner_id = $1`, cc.Partners[0].ID)
	f.ids["invFinn"] = id(`SELECT id FROM invitations WHERE partner_id = $1`, cf.Partners[0].ID)

	cora, carl, finn, alex := app.Login("cora@h.test"), app.Login("carl@h.test"), app.Login("finn@n.test"), app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	f.ids["asg"] = fmt.Sprint(a.ID)
	rid := p.response(t, a, p.partnerA).ID
	f.ids["resp"] = fmt.Sprint(rid)
	if r := alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": letter, "version": 1}, nil); r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	if r := alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil); r.Status != 200 {
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	f.ids["sub"] = id(`SELECT id FROM submissions WHERE response_id = $1`, rid)
	j := p.assign(t, cora, map[string]any{"template_id": p.tpl["boundary-worksheet"], "mode": "joint"})
	f.ids["respJ"] = fmt.Sprint(p.response(t, j, 0).ID)
	assignTo := func(api *apptest.API, couple, partner string) asgJSON {
		var out asgJSON
		if r := api.Do("POST", "/api/v1/couples/"+couple+"/assignments", map[string]any{"template_id": p.tpl["apology-letter"],
			"mode": "individual", "partner_id": mustInt(partner)}, &out); r.Status != 201 {
			t.Fatalf("assign: %d %s", r.Status, r.Body)
		}
		return out
	}
	ac := assignTo(carl, f.ids["coupleCarl"], f.ids["partnerCarl"])
	af := assignTo(finn, f.ids["coupleFinn"], f.ids["partnerFinn"])
	f.ids["asgCarl"], f.ids["respCarl"] = fmt.Sprint(ac.ID), fmt.Sprint(ac.Responses[0].ID)
	f.ids["asgFinn"], f.ids["respFinn"] = fmt.Sprint(af.ID), fmt.Sprint(af.Responses[0].ID)
	var tpl struct{ ID int64 }
	if r := cora.Do("POST", "/api/v1/exercise-templates", libDraft("Cora private", "private"), &tpl); r.Status != 201 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	f.ids["tplCora"] = fmt.Sprint(tpl.ID)
	if r := finn.Do("POST", "/api/v1/exercise-templates", libDraft("Finn private", "private"), &tpl); r.Status != 201 {
		t.Fatalf("template: %d %s", r.Status, r.Body)
	}
	f.ids["tplFinn"] = fmt.Sprint(tpl.ID)
	f.ids["notifA"] = id(`SELECT n.id FROM notifications n JOIN users u ON u.id = n.user_id WHERE u.email = 'alex@h.test' ORDER BY n.id LIMIT 1`)
	f.ids["notifCora"] = id(`SELECT n.id FROM notifications n WHERE n.user_id = $1 ORDER BY n.id LIMIT 1`, mustInt(f.ids["cora"]))
	mailFailure := func(clinic string) string {
		return id(`INSERT INTO mail_failures (clinic_id, job_id, kind, recipient, reason, attempts)
			SELECT id, (SELECT coalesce(max(job_id), 0) + 1 FROM mail_failures), 'invitation', 'gone@x.test', '550 no such user', 1
			FROM clinics WHERE name = $1 RETURNING id`, clinic)
	}
	f.ids["mailHarbor"], f.ids["mailHarbor2"], f.ids["mailNorth"] = mailFailure("Harbor"), mailFailure("Harbor"), mailFailure("Northside")
	f.sessions(t, cora, carl, finn)

	for _, c := range matrixCallers {
		b := app.Browser()
		f.api[c] = app.API()
		if c != "anon" {
			b.Login(emails[c])
			f.api[c] = app.Login(emails[c])
		}
		f.browser[c] = b
		src := "/account/security"
		if c == "anon" {
			src = "/login"
		}
		f.csrf[c] = b.CSRF(src)
	}
	return f
}

var placeholderRe = regexp.MustCompile(`\{(\w+)\}`)

func (f *matrixFixture) path(t *testing.T, p string) string {
	return placeholderRe.ReplaceAllStringFunc(p, func(m string) string {
		v, ok := f.ids[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("unknown placeholder %s", m)
		}
		return v
	})
}

// send makes the request as caller: pages with the browser session (and a
// valid CSRF token on POST), the API with the caller's bearer token and a
// minimal JSON body.
func (f *matrixFixture) send(caller, method, path string) apptest.Response {
	if strings.HasPrefix(path, "/api/") {
		var body any
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		// Bodies that pass validation where the handler validates before
		// the object check, so the answer is about authorization.
		switch {
		case method == "PUT" && strings.HasPrefix(path, "/api/v1/responses/"):
			body = `{"answers":{},"version":1}`
		case strings.HasSuffix(path, "/share"), strings.HasSuffix(path, "/measures/sharing"):
			body = `{"shared":false}`
		}
		return f.api[caller].Do(method, path, body, nil)
	}
	b := f.browser[caller]
	if method == "GET" {
		return b.Get(path)
	}
	return b.PostRaw(path, url.Values{"csrf_token": {f.csrf[caller]}})
}

// digestTables are the tables a request could change.
var digestTables = []string{"clinics", "users", "memberships", "couples", "partners", "invitations", "exercise_templates",
	"template_versions", "assignments", "responses", "submissions", "reviews", "signatures", "user_totp", "notification_settings",
	"couple_takeovers", "appointments", "appointment_notes", "calendar_feeds", "measure_scores", "measure_sharing", "measure_alerts",
	"signed_texts"}

// digestQuery reads, in one statement, each table's row count and the
// newest transaction that wrote one of its rows (xmin): an insert or an
// update writes a row version with a new, higher xmin and a delete lowers
// the count, so any committed change moves the digest, while row locks and
// rolled-back writes do not. Much cheaper than hashing every row, which
// the matrix did twice for each of its ~1,000 denied writes.
var digestQuery = func() string {
	parts := make([]string, len(digestTables))
	for i, tbl := range digestTables {
		parts[i] = "(SELECT count(*) || '.' || coalesce(max(xmin::text::bigint), 0) FROM " + tbl + ")"
	}
	return "SELECT concat_ws(',', " + strings.Join(parts, ", ") + ")"
}()

// dbDigest fingerprints the tables a request could change.
func dbDigest(t *testing.T, app *apptest.App) string {
	t.Helper()
	var s string
	if err := app.DB.Get(&s, digestQuery); err != nil {
		t.Fatal(err)
	}
	return s
}

func routeMatches(pattern, path string) bool {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], ":") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}

func classify(r apptest.Response, logout bool) string {
	switch {
	case r.Status >= 500:
		return "5xx"
	case r.Status == 401 || r.Status == 403 || r.Status == 404:
		return "N"
	case logout && r.Status == http.StatusSeeOther:
		return "Y"
	case r.Status/100 == 3 && (r.Location == "/login" || strings.HasPrefix(r.Location, "/login?")):
		return "N"
	}
	return "Y"
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	f := newMatrixFixture(t)
	routes, perms := map[string]string{}, map[string]string{}
	for _, r := range f.app.Server.Routes() {
		routes[r.Method+" "+r.Path] = r.Path
		perms[r.Method+" "+r.Path] = r.Perm
	}
	for k := range routes {
		if _, ok := matrix[k]; !ok {
			t.Errorf("route %s is missing from the authorization matrix: add its expected answers", k)
		}
	}
	var keys, late []string
	lateSet := map[string]bool{}
	for _, k := range matrixLate {
		lateSet[k] = true
	}
	for k, cases := range matrix {
		pattern, ok := routes[k]
		if !ok {
			t.Errorf("the matrix names %s, which is not a route", k)
			continue
		}
		for _, c := range cases {
			if len(c.want) != len(matrixCallers) {
				t.Errorf("%s %s: want %q has %d letters", k, c.path, c.want, len(c.want))
			}
			if !routeMatches(pattern, c.path) {
				t.Errorf("%s: path %s does not match the route", k, c.path)
			}
		}
		if !lateSet[k] {
			keys = append(keys, k)
		}
	}
	if t.Failed() {
		return
	}
	sort.Strings(keys)
	for _, k := range matrixLate {
		if _, ok := matrix[k]; ok {
			late = append(late, k)
		}
	}
	n, unchanged := 0, ""
	for _, k := range append(keys, late...) {
		method := strings.SplitN(k, " ", 2)[0]
		for _, c := range matrix[k] {
			path := f.path(t, c.path)
			// Denied callers first, so an allowed change cannot hide a denial.
			order := make([]int, 0, len(matrixCallers))
			for i := range matrixCallers {
				if c.want[i] != 'Y' {
					order = append(order, i)
				}
			}
			for i := range matrixCallers {
				if c.want[i] == 'Y' {
					order = append(order, i)
				}
			}
			for _, i := range order {
				caller, want := matrixCallers[i], string(c.want[i])
				before := ""
				if method != "GET" && want == "N" {
					// The digest after the previous denied write still
					// holds when nothing was sent since.
					if before = unchanged; before == "" {
						before = dbDigest(t, f.app)
					}
				}
				unchanged = ""
				r := f.send(caller, method, path)
				n++
				// A's answers (submitted, not shared) reach A and her counselor
				// only: not the partner, other clients, other counselors, the
				// admin (no clinical content) or another clinic, on any route.
				if caller != "A" && caller != "cora" && strings.Contains(r.Body, "I hid the messages") {
					t.Errorf("%s %s as %s: A's private answer in the body", method, c.path, caller)
				}
				got := classify(r, k == "POST /logout" && caller != "anon")
				if k == "POST /logout" && caller != "anon" && classify(f.browser[caller].Get("/"), false) != "N" {
					t.Errorf("still signed in after logout as %s", caller)
				}
				switch {
				case got == "5xx":
					t.Errorf("%s %s as %s: %d (never 5xx)", method, c.path, caller, r.Status)
				case want == "P":
				case got != want:
					t.Errorf("%s %s as %s: status %d (%s), want %s", method, c.path, caller, r.Status, got, want)
				case caller == "anon" && want == "N" && perms[k] != "public" && strings.HasPrefix(path, "/api/") && r.Status != 401:
					t.Errorf("%s %s anonymous: %d, want 401", method, c.path, r.Status)
				case caller == "anon" && want == "N" && perms[k] != "public" && !strings.HasPrefix(path, "/api/") && method == "GET" && r.Location != "/login":
					t.Errorf("%s %s anonymous: %d, want a redirect to /login", method, c.path, r.Status)
				case before != "":
					if after := dbDigest(t, f.app); after != before {
						t.Errorf("%s %s as %s: denied (%d) but the database changed", method, c.path, caller, r.Status)
					} else {
						unchanged = after
					}
				}
			}
		}
	}
	t.Logf("%d routes, %d requests", len(routes), n)

	// Another clinic's counselor naming this clinic in Mend-Clinic is refused
	// on every API route that needs a sign-in.
	var harbor int64
	f.app.DB.Get(&harbor, `SELECT id FROM clinics WHERE name = 'Harbor'`)
	spoof := f.app.Login("finn@n.test")
	spoof.Clinic = fmt.Sprint(harbor)
	for _, k := range keys {
		method, pattern, _ := strings.Cut(k, " ")
		if !strings.HasPrefix(pattern, "/api/") || perms[k] == "public" {
			continue
		}
		path := f.path(t, matrix[k][0].path)
		var body any
		if method != "GET" && method != "DELETE" {
			body = "{}"
		}
		if r := spoof.Do(method, path, body, nil); r.Status != 401 && r.Status != 403 {
			t.Errorf("%s %s with Mend-Clinic of a clinic the caller is not in: %d", method, path, r.Status)
		}
	}
}

var update = flag.Bool("update", false, "rewrite docs/permissions.md")

// TestPermissionsDoc keeps docs/permissions.md in step with the policy and
// the route table (go test ./internal/web -run PermissionsDoc -update).
func TestPermissionsDoc(t *testing.T) {
	t.Parallel()
	app := apptest.New(t)
	policy, err := os.ReadFile("../../policies/policy.csv")
	if err != nil {
		t.Fatal(err)
	}
	roles := []string{"clinic_admin", "counselor", "client"}
	grants := map[string]map[string]bool{}
	for _, line := range strings.Split(string(policy), "\n") {
		fs := strings.Split(line, ",")
		if len(fs) != 5 || strings.TrimSpace(fs[0]) != "p" {
			continue
		}
		perm := strings.TrimSpace(fs[3]) + ":" + strings.TrimSpace(fs[4])
		if grants[perm] == nil {
			grants[perm] = map[string]bool{}
		}
		grants[perm][strings.TrimSpace(fs[1])] = true
	}
	var b strings.Builder
	b.WriteString("# Mend permissions\n\nGenerated from `policies/policy.csv` and the route table by `go test ./internal/web -run TestPermissionsDoc -update`; do not edit.\n\n")
	b.WriteString("A route names one permission, or several joined by `|` of which any one is enough; Casbin grants it to roles (deny by default). Object-level rules (a counselor's own caseload, a client's own couple, a partner's private answer, the caller's clinic) are checked in the services on top of this, and `TestAuthorizationMatrix` (`internal/web/matrix_test.go`) checks every route for every kind of caller and object.\n\n")
	b.WriteString("`public`: no sign-in; `signed_in`: any signed-in user (object checks still apply).\n\n")
	b.WriteString("| Method | Path | Permission | clinic_admin | counselor | client |\n|---|---|---|---|---|---|\n")
	for _, r := range app.Server.Routes() {
		fmt.Fprintf(&b, "| %s | `%s` | `%s` |", r.Method, r.Path, r.Perm)
		for _, role := range roles {
			mark := ""
			switch {
			case r.Perm == "public" || r.Perm == "signed_in":
				mark = "✓"
			default:
				for _, one := range strings.Split(r.Perm, "|") { // any one of several
					if grants[one][role] {
						mark = "✓"
					}
				}
			}
			fmt.Fprintf(&b, " %s |", mark)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Grants by role\n\n| Permission | Roles |\n|---|---|\n")
	var perms []string
	for p := range grants {
		perms = append(perms, p)
	}
	sort.Strings(perms)
	for _, p := range perms {
		var rs []string
		for _, role := range roles {
			if grants[p][role] {
				rs = append(rs, role)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", p, strings.Join(rs, ", "))
	}
	const file = "../../docs/permissions.md"
	if *update {
		if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	cur, err := os.ReadFile(file)
	if err != nil || string(cur) != b.String() {
		t.Fatal("docs/permissions.md is out of date: go test ./internal/web -run TestPermissionsDoc -update")
	}
}

var _ = http.StatusOK

func mustInt(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }
