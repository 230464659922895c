package authz

import "testing"

// A route may require one of several permissions ("couple:read|couple:read_own"):
// any role holding one of them passes, a role holding none does not.
func TestARouteMayRequireOneOfSeveralPermissions(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	anyOf := ParseAny("couple:read | couple:read_own")
	if len(anyOf) != 2 || anyOf[0] != (Permission{"couple", "read"}) || anyOf[1] != (Permission{"couple", "read_own"}) {
		t.Fatalf("ParseAny: %v", anyOf)
	}
	if one := ParseAny("couple:read"); len(one) != 1 || one[0] != (Permission{"couple", "read"}) {
		t.Fatalf("ParseAny of one permission: %v", one)
	}
	for role, want := range map[string]bool{"clinic_admin": true, "counselor": true, "client": true, "nobody": false} {
		if got := e.CanAny([]string{role}, 1, anyOf); got != want {
			t.Errorf("%s, couple:read|couple:read_own: %v, want %v", role, got, want)
		}
	}
	// The client passes only through read_own, the admin only through read.
	if e.CanAny([]string{"client"}, 1, ParseAny("couple:read|couple:manage")) {
		t.Error("a client passed couple:read|couple:manage")
	}
	if e.CanAny([]string{"clinic_admin"}, 1, ParseAny("couple:read_own|response:write")) {
		t.Error("an admin passed couple:read_own|response:write")
	}
}
