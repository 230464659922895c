package web_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/tz"
)

// sessJSON is a session as the API answers it.
type sessJSON struct {
	ID          int64     `json:"id"`
	CoupleID    int64     `json:"couple_id"`
	CoupleLabel string    `json:"couple_label"`
	StartsAt    time.Time `json:"starts_at"`
	EndsAt      time.Time `json:"ends_at"`
	Minutes     int       `json:"minutes"`
	Status      string    `json:"status"`
	Note        *string   `json:"note"`
	SeriesID    *int64    `json:"series_id"`
	PrepURL     string    `json:"prep_url"`
}

// zone gives the practice's clinic a time zone and returns it.
func (p *practice) zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, ok := tz.Load(name)
	if !ok {
		t.Fatal(name)
	}
	p.app.Exec(`UPDATE clinics SET time_zone = $1 WHERE id = $2`, name, p.clinic)
	return loc
}

// schedule has the counselor schedule sessions for a couple through the API.
func (p *practice) schedule(t *testing.T, api *apptest.API, couple int64, at time.Time, repeat map[string]string) []sessJSON {
	t.Helper()
	body := map[string]any{"starts_at": at.Format(time.RFC3339), "minutes": 50, "note": "Room 2"}
	if repeat != nil {
		body["repeat"] = repeat
	}
	var out struct{ Items []sessJSON }
	if r := api.Do("POST", fmt.Sprintf("/api/v1/couples/%d/sessions", couple), body, &out); r.Status != 201 {
		t.Fatalf("schedule: %d %s", r.Status, r.Body)
	}
	return out.Items
}

// pastSession records a session that already took place (scheduling
// refuses the past, as it should).
func (p *practice) pastSession(t *testing.T, couple int64, at time.Time) int64 {
	t.Helper()
	var id, counselor int64
	p.app.DB.Get(&counselor, `SELECT counselor_id FROM couples WHERE id = $1`, couple)
	if err := p.app.DB.Get(&id, `INSERT INTO appointments (clinic_id, couple_id, starts_at, minutes, created_by)
		VALUES ($1, $2, $3, 50, $4) RETURNING id`, p.clinic, couple, at, counselor); err != nil {
		t.Fatal(err)
	}
	return id
}

// localDay is the date of t in loc as the pages write it ("Saturday 5 December").
func localDay(t time.Time, loc *time.Location) string {
	if t.In(loc).Year() != time.Now().In(loc).Year() {
		return t.In(loc).Format("Monday 2 January 2006")
	}
	return t.In(loc).Format("Monday 2 January")
}
