package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Outcome measures meet sessions: the CSI-4 is offered "before the next
// session", and the session's prep page shows the couple's measures next
// to the rest of the period.
func TestMeasuresBeforeTheSessionAndOnItsPrepPage(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	cora, alex := app.Login("cora@h.test"), app.Login("alex@h.test")
	var sess struct {
		Items []struct{ ID int64 } `json:"items"`
	}
	start := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	if r := cora.Do("POST", fmt.Sprintf("/api/v1/couples/%d/sessions", p.couple), map[string]any{"starts_at": start.Format(time.RFC3339)}, &sess); r.Status != 201 {
		t.Fatalf("session: %d %s", r.Status, r.Body)
	}
	// The CSI-4's page offers "before the next session"; it opens the form with it chosen.
	cb := p.browser(t, "cora@h.test")
	lib := cb.Get(fmt.Sprintf("/library/%d", p.tpl["csi-4"])).Body
	if !strings.Contains(lib, `name="due" value="next_session"`) || !strings.Contains(lib, "Before the next session") {
		t.Fatalf("the CSI-4 page does not offer before the next session:\n%s", lib)
	}
	r := cb.Get(fmt.Sprintf("/assign?couple=%d&template=%d&mode=each&due=next_session", p.couple, p.tpl["csi-4"]))
	if r.Status != 303 || !strings.Contains(r.Location, "due=next_session") {
		t.Fatalf("assign from the measure: %d %s", r.Status, r.Location)
	}
	if form := cb.Get(r.Location).Body; !strings.Contains(form, `value="next_session" checked`) {
		t.Errorf("the form does not have before the next session chosen")
	}
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["csi-4"], "mode": "each", "due": "next_session"})
	rid := p.response(t, a, p.partnerA).ID
	full := fillRequired(t, app, rid, alex)
	mustOK(t, alex.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": full, "version": 1}, nil))
	mustOK(t, alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil))
	prep := cb.Get(fmt.Sprintf("/sessions/%d/prep", sess.Items[0].ID))
	if prep.Status != 200 || !strings.Contains(prep.Body, "Outcome measures") ||
		!strings.Contains(prep.Body, fmt.Sprintf("/couples/%d/measures/csi-4/chart.svg", p.couple)) {
		t.Fatalf("prep page without the measures: %d", prep.Status)
	}
}
