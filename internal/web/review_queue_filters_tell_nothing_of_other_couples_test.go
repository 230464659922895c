package web_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// The queue filters by couple, partner and exercise (API params and the
// page's GET form); the cursor keeps the filter. An id the counselor may
// not filter by (another counselor's couple, one of another clinic) is the
// same 404 as an id that does not exist.
func TestReviewQueueFiltersTellNothingOfOtherCouples(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex, blair, sol := p.app.Login("cora@h.test"), p.app.Login("alex@h.test"), p.app.Login("blair@h.test"), p.app.Login("sol@h.test")
	la := p.letterBy(t, cora, alex, p.couple, p.partnerA)
	lb := p.letterBy(t, cora, blair, p.couple, p.partnerB)
	lc := p.letterBy(t, cora, sol, p.couple2, p.partnerC)
	sa := p.safetyCheckBy(t, cora, alex, p.partnerA, false)

	for _, c := range []struct {
		query string
		want  []int64
	}{
		{"", []int64{la, lb, lc, sa}},
		{fmt.Sprintf("?couple_id=%d", p.couple), []int64{la, lb, sa}},
		{fmt.Sprintf("?couple_id=%d", p.couple2), []int64{lc}},
		{fmt.Sprintf("?partner_id=%d", p.partnerA), []int64{la, sa}},
		{fmt.Sprintf("?template_id=%d", p.tpl["apology-letter"]), []int64{la, lb, lc}},
		{fmt.Sprintf("?couple_id=%d&partner_id=%d&template_id=%d", p.couple, p.partnerA, p.tpl["safety-check"]), []int64{sa}},
		{fmt.Sprintf("?template_id=%d", p.tpl["daily-check-in"]), []int64{}}, // a visible exercise with nothing waiting
	} {
		q, r := queue(t, cora, c.query)
		if r.Status != 200 || !sameIDs(q.ids(), c.want) {
			t.Errorf("queue%s: %d %v, want %v", c.query, r.Status, q.ids(), c.want)
		}
	}

	// Paging keeps the filter: the cursor carries it.
	q, _ := queue(t, cora, fmt.Sprintf("?couple_id=%d&limit=1", p.couple))
	seen := q.ids()
	for q.Next != nil {
		next := *q.Next
		q, _ = queue(t, cora, "?limit=1&after="+url.QueryEscape(next))
		seen = append(seen, q.ids()...)
		if len(seen) > 5 {
			break
		}
	}
	if !sameIDs(seen, []int64{la, lb, sa}) {
		t.Errorf("pages of couple %d: %v, want %v", p.couple, seen, []int64{la, lb, sa})
	}
	q, _ = queue(t, cora, fmt.Sprintf("?couple_id=%d&limit=1", p.couple))
	if _, r := queue(t, cora, fmt.Sprintf("?couple_id=%d&after=%s", p.couple2, url.QueryEscape(*q.Next))); r.Status != 400 || !strings.Contains(r.Body, `"error"`) {
		t.Errorf("a cursor of another filter: %d %s", r.Status, r.Body)
	}

	// Bad values: 400; a partner of another couple than the one chosen: 422.
	for _, bad := range []string{"?couple_id=x", "?partner_id=-1", "?template_id=1.5", "?couple_id=0"} {
		if _, r := queue(t, cora, bad); r.Status != 400 || !strings.Contains(r.Body, `"error"`) {
			t.Errorf("queue%s: %d %s, want 400", bad, r.Status, r.Body)
		}
	}
	if _, r := queue(t, cora, fmt.Sprintf("?couple_id=%d&partner_id=%d", p.couple2, p.partnerA)); r.Status != 422 || !strings.Contains(r.Body, `"partner_id"`) {
		t.Errorf("partner of another couple: %d %s", r.Status, r.Body)
	}

	// Unseeable ids answer exactly as unknown ones.
	var finnCouple, finnPartner, finnTpl, carlCouple int64
	p.app.DB.Get(&finnCouple, `INSERT INTO couples (clinic_id, label, counselor_id) SELECT c.id, 'North pair', u.id FROM clinics c, users u
		WHERE c.name = 'Northside' AND u.email = 'finn@n.test' RETURNING id`)
	p.app.DB.Get(&finnPartner, `INSERT INTO partners (couple_id, clinic_id, slot, name, email) SELECT id, clinic_id, 'A', 'Nia', 'nia@n.test' FROM couples WHERE id = $1 RETURNING id`, finnCouple)
	p.app.DB.Get(&carlCouple, `INSERT INTO couples (clinic_id, label, counselor_id) SELECT $1, 'Carl pair', id FROM users WHERE email = 'carl@h.test' RETURNING id`, p.clinic)
	carl := p.app.Login("carl@h.test")
	var tpl struct{ ID int64 }
	carl.Do("POST", "/api/v1/exercise-templates", libDraft("Carl's own", "private"), &tpl)
	finnTpl = tpl.ID
	if finnCouple == 0 || finnPartner == 0 || carlCouple == 0 || finnTpl == 0 {
		t.Fatal("fixture")
	}
	_, unknown := queue(t, cora, "?couple_id=999999999")
	if unknown.Status != 404 {
		t.Fatalf("unknown couple: %d %s", unknown.Status, unknown.Body)
	}
	for _, q := range []string{fmt.Sprintf("?couple_id=%d", finnCouple), fmt.Sprintf("?couple_id=%d", carlCouple),
		fmt.Sprintf("?partner_id=%d", finnPartner), "?partner_id=999999999", fmt.Sprintf("?template_id=%d", finnTpl), "?template_id=999999999"} {
		if _, r := queue(t, cora, q); r.Status != unknown.Status || r.Body != unknown.Body {
			t.Errorf("queue%s: %d %s, want the unknown id's %d %s", q, r.Status, r.Body, unknown.Status, unknown.Body)
		}
	}
	// A couple of hers with nothing waiting is an empty list, not a 404.
	var empty int64
	p.app.DB.Get(&empty, `INSERT INTO couples (clinic_id, label, counselor_id) SELECT $1, 'Quiet pair', id FROM users WHERE email = 'cora@h.test' RETURNING id`, p.clinic)
	if q, r := queue(t, cora, fmt.Sprintf("?couple_id=%d", empty)); r.Status != 200 || len(q.Items) != 0 || q.Next != nil {
		t.Errorf("her quiet couple: %d %s", r.Status, r.Body)
	}

	// The page: a GET form whose choices are hers only, and the filter.
	br := p.browser(t, "cora@h.test")
	page := br.Get(fmt.Sprintf("/review?couple_id=%d", p.couple2))
	if page.Status != 200 || !strings.Contains(page.Body, fmt.Sprintf("/responses/%d?", lc)) || strings.Contains(page.Body, fmt.Sprintf("/responses/%d?", la)) {
		t.Errorf("filtered page: %d", page.Status)
	}
	for _, want := range []string{`<form method="get" action="/review"`, fmt.Sprintf(`<option value="%d" selected>Sol &amp; Sam</option>`, p.couple2),
		"Alex (Alex &amp; Blair)", "Apology letter"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, never := range []string{"North pair", "Carl pair", "Nia", "Carl&#39;s own"} {
		if strings.Contains(page.Body, never) {
			t.Errorf("the page offers %q, which is not hers", never)
		}
	}
	if r := br.Get(fmt.Sprintf("/review?couple_id=%d", finnCouple)); r.Status != 404 {
		t.Errorf("page with another clinic's couple: %d", r.Status)
	}
	if r := br.Get(fmt.Sprintf("/review?couple_id=%d&partner_id=%d", p.couple2, p.partnerA)); r.Status != 422 || !strings.Contains(r.Body, `id="e-partner_id"`) {
		t.Errorf("page with a partner of another couple: %d", r.Status)
	}
}
