package main

import (
	"context"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/db"
)

// create-clinic --tz takes an IANA zone and refuses anything else before
// touching the database; without --tz the clinic runs on UTC until chosen.
func TestCreateClinicTimeZone(t *testing.T) {
	c := newCLI(t)
	if _, _, err := c.run("", "migrate"); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(context.Background(), c.env["DATABASE_URL"], 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, bad := range []string{"Nowhere/Else", "EST", "+02:00", "America/New York", "../etc/passwd"} {
		out, _, err := c.run("", "create-clinic", "--name", "Harbor", "--tz", bad)
		if err == nil || out != "" || !strings.Contains(err.Error(), "--tz") || !strings.Contains(err.Error(), "IANA") {
			t.Errorf("--tz %q: out %q err %v", bad, out, err)
		}
	}
	var n int
	d.Get(&n, `SELECT count(*) FROM clinics`)
	if n != 0 {
		t.Fatalf("%d clinics created by refused commands", n)
	}
	out, _, err := c.run("", "create-clinic", "--name", "Harbor", "--tz", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	var zone *string
	d.Get(&zone, `SELECT time_zone FROM clinics WHERE id = $1`, strings.TrimSpace(out))
	if zone == nil || *zone != "America/New_York" {
		t.Fatalf("zone %v", zone)
	}
	var detail string
	d.Get(&detail, `SELECT replace(detail::text, ' ', '') FROM audit_log WHERE action = 'clinic.create' AND object_id = $1`, strings.TrimSpace(out))
	if detail != `{"time_zone":"America/New_York"}` {
		t.Errorf("audit detail %s", detail)
	}
	out, _, _ = c.run("", "create-clinic", "--name", "Northside")
	d.Get(&zone, `SELECT time_zone FROM clinics WHERE id = $1`, strings.TrimSpace(out))
	if zone != nil {
		t.Errorf("a clinic without --tz has zone %v", *zone)
	}
	if help, _, _ := c.run("", "create-clinic", "--help"); !strings.Contains(help, "-tz") {
		t.Errorf("help lacks --tz:\n%s", help)
	}
}
