package authz

import (
	"sort"
	"testing"
)

// allowed is the expected permission table: every role × every permission
// in policy.csv is checked against it, both ways.
var allowed = map[string][]string{
	"clinic_admin": {"home:view", "account:manage_self", "clinic:configure", "counselor:list", "counselor:invite",
		"counselor:manage", "couple:list", "couple:create", "couple:manage", "couple:read", "invitation:manage",
		"caseload:view_all", "assignment:read", "audit:read", "mail:manage", "session:read", "measure:read"},
	"counselor": {"home:view", "account:manage_self", "caseload:view_own", "couple:read", "couple:timeline", "template:read", "template:write",
		"assignment:create", "assignment:read", "assignment:update", "response:read", "response:review", "review_queue:view",
		"session:read", "session:manage", "session:prepare", "measure:read", "measure:share"},
	"client": {"home:view", "account:manage_self", "couple:read_own", "assignment:read", "response:read", "response:write", "session:read",
		"measure:read"},
}

func TestPolicyTable(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	perms := e.Permissions()
	if len(perms) < 20 {
		t.Fatalf("only %d permissions loaded", len(perms))
	}
	for role, list := range allowed {
		want := map[string]bool{}
		for _, p := range list {
			want[p] = true
		}
		for _, p := range perms {
			for _, clinic := range []int64{1, 2, 999} {
				if got := e.Can([]string{role}, clinic, p); got != want[p.String()] {
					t.Errorf("%s in clinic %d, %s: got %v, want %v", role, clinic, p, got, want[p.String()])
				}
			}
		}
		// Every expected permission really is in the policy.
		for p := range want {
			if !e.Can([]string{role}, 1, Parse(p)) {
				t.Errorf("%s: expected %s is not in policy.csv", role, p)
			}
		}
	}
	// The policy names no role the table does not know.
	var roles []string
	for r := range e.Policy() {
		roles = append(roles, r)
		if _, ok := allowed[r]; !ok {
			t.Errorf("policy.csv has role %q that this test does not cover", r)
		}
	}
	sort.Strings(roles)
	if len(roles) != len(allowed) {
		t.Errorf("roles in policy: %v", roles)
	}
}

func TestDenyByDefault(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		roles []string
		perm  string
	}{
		{nil, "home:view"},
		{[]string{}, "couple:read"},
		{[]string{"superuser"}, "home:view"},
		{[]string{"client"}, "audit:read"},
		{[]string{"counselor"}, "couple:manage"},
		{[]string{"clinic_admin"}, "response:read"},
		{[]string{"clinic_admin"}, "nothing:at_all"},
		{[]string{"clinic_admin"}, "session:prepare"},
		{[]string{"clinic_admin"}, "session:manage"},
		{[]string{"client"}, "session:prepare"},
		{[]string{"client"}, "session:manage"},
		{[]string{"*"}, "home:view"},
	}
	for _, c := range cases {
		if e.Can(c.roles, 1, Parse(c.perm)) {
			t.Errorf("%v allowed %s", c.roles, c.perm)
		}
	}
	// Two roles: either one allowing is enough.
	if !e.Can([]string{"clinic_admin", "counselor"}, 1, Parse("response:review")) {
		t.Error("admin+counselor cannot review")
	}
}

func BenchmarkCan(b *testing.B) {
	e, _ := New()
	p := Parse("response:review")
	for i := 0; i < b.N; i++ {
		e.Can([]string{"clinic_admin", "counselor"}, 42, p)
	}
}
