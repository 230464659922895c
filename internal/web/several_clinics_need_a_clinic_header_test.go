package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// With several clinics and no Mend-Clinic header, routes that only
// need a sign-in answer 400 like the others, except the clinic-free ones.
func TestSignedInRoutesNeedClinicWhenSeveral(t *testing.T) {
	t.Parallel()
	f := clinicSetup(t)
	f.app.Member(f.coun1, f.b, "counselor")
	api := f.app.Login("coun1@a.test")
	for _, p := range []string{fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), "/api/v1/counts"} {
		var e map[string]string
		if r := api.Do("GET", p, nil, &e); r.Status != 400 || !strings.Contains(e["error"], "Mend-Clinic") {
			t.Errorf("%s without Mend-Clinic: %d %s", p, r.Status, r.Body)
		}
	}
	if r := api.Do("GET", "/api/v1/me", nil, nil); r.Status != 200 {
		t.Errorf("me: %d", r.Status)
	}
	api.Clinic = itoa(f.a)
	for _, p := range []string{fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), "/api/v1/counts"} {
		if r := api.Do("GET", p, nil, nil); r.Status != 200 {
			t.Errorf("%s with Mend-Clinic: %d %s", p, r.Status, r.Body)
		}
	}
	api.Clinic = itoa(f.b)
	if r := api.Do("GET", fmt.Sprintf("/api/v1/couples/%d", f.coupleA.ID), nil, nil); r.Status != 404 {
		t.Errorf("clinic A's couple in clinic B: %d", r.Status)
	}
	api.Clinic = ""
	if r := api.Do("POST", "/api/v1/auth/logout", nil, nil); r.Status != 204 {
		t.Errorf("logout: %d", r.Status)
	}
	// One clinic: no header needed.
	if r := f.app.Login("coun2@a.test").Do("GET", "/api/v1/counts", nil, nil); r.Status != 200 {
		t.Errorf("one clinic: %d", r.Status)
	}
}
