package web_test

import (
	"fmt"
	"testing"
)

// A client is never also staff of the same clinic, in either direction.
func TestClinicStaffAndClientsStayApart(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	admin := p.app.Login("ada@h.test")
	var cora int64
	p.app.DB.Get(&cora, `SELECT id FROM users WHERE email = 'cora@h.test'`)
	var out struct{ Fields map[string]string }
	r := admin.Do("POST", "/api/v1/couples", map[string]any{"label": "Staff couple", "counselor_id": cora,
		"partners": []map[string]string{{"name": "Cora", "email": "cora@h.test"}, {"name": "Someone", "email": "someone@else.test"}}}, &out)
	if r.Status != 409 || out.Fields["partners.0.email"] == "" {
		t.Fatalf("counselor as partner: %d %s", r.Status, r.Body)
	}
	r = admin.Do("POST", "/api/v1/counselors", map[string]any{"name": "Alex", "email": "alex@h.test"}, &out)
	if r.Status != 409 || out.Fields["email"] == "" {
		t.Fatalf("client as counselor: %d %s", r.Status, r.Body)
	}
	var n int
	p.app.DB.Get(&n, `SELECT count(*) FROM couples WHERE label = 'Staff couple'`)
	if n != 0 {
		t.Fatal(fmt.Sprint("couple created: ", n))
	}
}
