package web_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/tz"
)

type prepItemJSON struct {
	ResponseID  int64    `json:"response_id"`
	Status      string   `json:"status"`
	Concerns    []string `json:"concerns"`
	ReplyTo     string   `json:"reply_to"`
	PartnerName string   `json:"partner_name"`
}

type prepJSON struct {
	Session  sessJSON  `json:"session"`
	Previous *sessJSON `json:"previous_session"`
	Period   struct {
		Submitted []prepItemJSON `json:"submitted"`
		Open      []prepItemJSON `json:"open"`
		Revisions []prepItemJSON `json:"revisions_outstanding"`
		Safety    []prepItemJSON `json:"safety_concerns"`
		JointDone []prepItemJSON `json:"joint_signed"`
		JointOpen []prepItemJSON `json:"joint_waiting"`
		Replies   []prepItemJSON `json:"replies"`
		Checkins  []struct {
			PartnerID   int64    `json:"partner_id"`
			Days        int      `json:"days"`
			Submitted   int      `json:"submitted"`
			Missed      int      `json:"missed"`
			Trust       *float64 `json:"average_trust"`
			TrustBefore *float64 `json:"average_trust_before"`
			Change      *float64 `json:"trust_change"`
			Concerns    []struct {
				Text string `json:"text"`
			} `json:"concerns"`
		} `json:"checkins"`
	} `json:"period"`
	Note struct {
		Text    string `json:"text"`
		Version int    `json:"version"`
	} `json:"private_note"`
}

func ids(items []prepItemJSON) string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprint(it.ResponseID))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// prepWork is a period's worth of a couple's work, in every state, with
// words that must (or must never) show on the prep page.
type prepWork struct {
	next                              sessJSON
	letter, safety, old, draft, reply int64
	journal, planOpen, planDone       int64
	checkA, checkB                    map[int]int64 // day offset → response
	shareA                            func(day int)
}

func buildPrepWork(t *testing.T, p *practice) prepWork {
	t.Helper()
	app := p.app
	cora, alex, blair := app.Login("cora@h.test"), app.Login("alex@h.test"), app.Login("blair@h.test")
	now := time.Now()
	today := tz.Today(now, time.UTC)
	var w prepWork
	// Sessions a fortnight and a week ago; the next one in two days.
	p.pastSession(t, p.couple, tz.At(tz.AddDays(today, -14), 17, 0, time.UTC))
	p.pastSession(t, p.couple, tz.At(tz.AddDays(today, -7), 17, 0, time.UTC))
	w.next = p.schedule(t, cora, p.couple, tz.At(tz.AddDays(today, 2), 17, 0, time.UTC), nil)[0]

	save := func(api *apptest.API, rid int64, version int, ans map[string]any) {
		t.Helper()
		mustOK(t, api.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", rid), map[string]any{"answers": ans, "version": version}, nil))
	}
	submit := func(api *apptest.API, rid int64, ans map[string]any) {
		t.Helper()
		save(api, rid, 1, ans)
		mustOK(t, api.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", rid), nil, nil))
	}
	one := func(slug, mode string, partner int64, extra map[string]any) int64 {
		t.Helper()
		body := map[string]any{"template_id": p.tpl[slug], "mode": mode}
		if partner != 0 {
			body["partner_id"] = partner
		}
		for k, v := range extra {
			body[k] = v
		}
		a := p.assign(t, cora, body)
		return p.response(t, a, partner).ID
	}
	// Alex: the apology letter (unshared) and a concerning safety check, in
	// the period; a reflection submitted before it; a trigger journal sent
	// back for a revision.
	w.letter = one("apology-letter", "individual", p.partnerA, nil)
	submit(alex, w.letter, letter)
	w.safety = one("safety-check", "individual", p.partnerA, nil)
	submit(alex, w.safety, map[string]any{"feel_safe": "Often I don't feel safe", "afraid_of_partner": "Sometimes"})
	w.old = one("forgiveness-reflection", "individual", p.partnerA, nil)
	submit(alex, w.old, map[string]any{"meaning": "OLD-REFLECTION-TEXT", "where_now": 3})
	app.Exec(`UPDATE submissions SET submitted_at = now() - interval '10 days' WHERE response_id = $1`, w.old)
	app.Exec(`UPDATE responses SET submitted_at = now() - interval '10 days' WHERE id = $1`, w.old)
	w.journal = one("trigger-journal", "individual", p.partnerA, nil)
	submit(alex, w.journal, map[string]any{"trigger": "JOURNAL-TEXT", "feelings": []string{"Fear"}, "intensity": 7})
	mustOK(t, cora.Do("POST", fmt.Sprintf("/api/v1/responses/%d/review", w.journal), map[string]any{"decision": "revise", "comment": "More, please."}, nil))
	// Blair: a draft, and a reply to the letter, submitted.
	w.draft = one("forgiveness-reflection", "individual", p.partnerB, nil)
	save(blair, w.draft, 1, map[string]any{"meaning": "BLAIR-DRAFT-TEXT"})
	w.reply = one("forgiveness-reflection", "individual", p.partnerB, map[string]any{"reply_to": w.letter})
	submit(blair, w.reply, map[string]any{"meaning": "REPLY-TEXT", "where_now": 5})
	// Joint: one plan signed by both and submitted, one waiting.
	w.planDone = one("boundary-worksheet", "joint", 0, nil)
	save(alex, w.planDone, 1, map[string]any{"acceptable": []string{"Work friendships"}, "not_acceptable": []string{"Secret messaging"},
		"non_negotiables": []string{"No contact"}, "if_crossed": "PLAN-TEXT", "agree": true})
	mustOK(t, alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/sign", w.planDone), map[string]any{"version": 2}, nil))
	mustOK(t, blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/sign", w.planDone), map[string]any{"version": 2}, nil))
	mustOK(t, blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", w.planDone), nil, nil))
	w.planOpen = one("transparency-plan", "joint", 0, nil)
	save(alex, w.planOpen, 1, map[string]any{"purpose": "JOINT-DRAFT-TEXT"})

	// Daily check-ins for each partner, from a fortnight ago.
	ci := p.assign(t, cora, map[string]any{"template_id": p.tpl["daily-check-in"], "mode": "each",
		"recurrence": map[string]string{"every": "day", "until": tz.AddDays(today, 20).Format(time.DateOnly)}})
	// Occurrences are made day by day: the fortnight before today is made
	// here as the job would have made it.
	app.Exec(`INSERT INTO responses (clinic_id, couple_id, assignment_id, partner_id, occurs_on, due_at)
		SELECT r.clinic_id, r.couple_id, r.assignment_id, r.partner_id, r.occurs_on + d, r.due_at + d * interval '1 day'
		FROM responses r, generate_series(-14, -1) d WHERE r.assignment_id = $1`, ci.ID)
	var rows []struct {
		ID        int64     `db:"id"`
		PartnerID int64     `db:"partner_id"`
		OccursOn  time.Time `db:"occurs_on"`
	}
	app.DB.Select(&rows, `SELECT id, partner_id, occurs_on FROM responses WHERE assignment_id = $1`, ci.ID)
	w.checkA, w.checkB = map[int]int64{}, map[int]int64{}
	for _, r := range rows {
		d := tz.Days(today, r.OccursOn)
		if r.PartnerID == p.partnerA {
			w.checkA[d] = r.ID
		} else {
			w.checkB[d] = r.ID
		}
	}
	checkin := func(api *apptest.API, rid int64, trust int, concern string, send bool) {
		t.Helper()
		ans := map[string]any{"trust": trust, "mood": "Calm", "appreciation": "Coffee."}
		if concern != "" {
			ans["concern"] = concern
		}
		if send {
			submit(api, rid, ans)
		} else {
			save(api, rid, 1, ans)
		}
	}
	// Before the period: Alex at 4. In it: 6, 6, 6 and 8, one concern;
	// three days missed (today's is not due yet).
	checkin(alex, w.checkA[-14], 4, "CONCERN-BEFORE", true)
	checkin(alex, w.checkA[-13], 4, "", true)
	checkin(alex, w.checkA[-7], 6, "", true)
	checkin(alex, w.checkA[-5], 6, "CONCERN-A", true)
	checkin(alex, w.checkA[-3], 6, "", true)
	checkin(alex, w.checkA[-1], 8, "", true)
	// Blair: one submitted at 5 with a concern; a draft with another.
	checkin(blair, w.checkB[-2], 5, "CONCERN-B-SUBMITTED", true)
	checkin(blair, w.checkB[-1], 1, "DRAFT-CONCERN-B", false)
	w.shareA = func(day int) {
		mustOK(t, alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", w.checkA[day]), map[string]any{"shared": true}, nil))
	}
	return w
}

// Words that are in drafts, in answers (which the page links to rather than
// shows), or before the period: never on a prep page.
var neverOnPrep = []string{"BLAIR-DRAFT-TEXT", "DRAFT-CONCERN-B", "JOINT-DRAFT-TEXT", "I hid the messages", "REPLY-TEXT",
	"PLAN-TEXT", "JOURNAL-TEXT", "OLD-REFLECTION-TEXT", "CONCERN-BEFORE"}

// The prep page holds exactly the work of the period that the counselor may
// see: what was submitted since the previous session (newest first, with
// the reply, the joint plan and the concerning safety check in their own
// lists), what is still open and what is back for revision (statuses only),
// and each partner's submitted check-ins — average trust, its change on the
// period before, days missed, concerns — never a draft, never anything
// from before the previous session.
func TestPrepHoldsExactlyTheSubmittedWorkOfThePeriod(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	w := buildPrepWork(t, p)
	cora := app.Login("cora@h.test")
	var prep prepJSON
	r := cora.Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", w.next.ID), nil, &prep)
	if r.Status != 200 {
		t.Fatalf("prep: %d %s", r.Status, r.Body)
	}
	for _, s := range neverOnPrep {
		if strings.Contains(r.Body, s) {
			t.Errorf("the prep answer holds %q", s)
		}
	}
	pd := prep.Period
	want := map[string][2]string{
		"submitted": {ids(pd.Submitted), fmt.Sprint(sorted(w.letter, w.safety, w.journal))},
		"replies":   {ids(pd.Replies), fmt.Sprint(sorted(w.reply))},
		"open":      {ids(pd.Open), fmt.Sprint(sorted(w.draft))},
		"revisions": {ids(pd.Revisions), fmt.Sprint(sorted(w.journal))},
		"safety":    {ids(pd.Safety), fmt.Sprint(sorted(w.safety))},
		"signed":    {ids(pd.JointDone), fmt.Sprint(sorted(w.planDone))},
		"waiting":   {ids(pd.JointOpen), fmt.Sprint(sorted(w.planOpen))},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("%s: %s, want %s", k, v[0], v[1])
		}
	}
	if prep.Previous == nil || len(pd.Safety) != 1 || len(pd.Safety[0].Concerns) == 0 || !strings.Contains(pd.Replies[0].ReplyTo, "Apology letter by Alex") {
		t.Errorf("previous %v, safety %+v, replies %+v", prep.Previous, pd.Safety, pd.Replies)
	}
	if len(pd.Submitted) > 0 && pd.Submitted[0].ResponseID != w.journal {
		t.Errorf("submitted is not newest first: %+v", pd.Submitted)
	}
	if len(pd.Checkins) != 2 {
		t.Fatalf("check-ins: %+v", pd.Checkins)
	}
	for _, c := range pd.Checkins {
		var concerns []string
		for _, x := range c.Concerns {
			concerns = append(concerns, x.Text)
		}
		switch c.PartnerID {
		case p.partnerA:
			if c.Days != 8 || c.Submitted != 4 || c.Missed != 3 || c.Trust == nil || *c.Trust != 6.5 || c.TrustBefore == nil ||
				*c.TrustBefore != 4 || c.Change == nil || *c.Change != 2.5 || strings.Join(concerns, "|") != "CONCERN-A" {
				t.Errorf("Alex's check-ins: %+v %v", c, concerns)
			}
		case p.partnerB:
			if c.Submitted != 1 || c.Missed != 6 || c.Trust == nil || *c.Trust != 5 || c.Change != nil || strings.Join(concerns, "|") != "CONCERN-B-SUBMITTED" {
				t.Errorf("Blair's check-ins: %+v %v", c, concerns)
			}
		}
	}
	// The page shows the same, and links rather than shows the answers.
	page := p.browser(t, "cora@h.test").Get(fmt.Sprintf("/sessions/%d/prep", w.next.ID))
	if page.Status != 200 || !strings.Contains(page.Body, "CONCERN-A") || !strings.Contains(page.Body, fmt.Sprintf(`href="/responses/%d"`, w.letter)) ||
		!strings.Contains(page.Body, "6.5 / 10") || !strings.Contains(page.Body, "&#43;2.5</td>") || !strings.Contains(page.Body, "Safety checks with concerning answers") {
		t.Fatalf("prep page: %d\n%s", page.Status, page.Body)
	}
	for _, s := range neverOnPrep {
		if strings.Contains(page.Body, s) {
			t.Errorf("the prep page holds %q", s)
		}
	}
	// What the page read is audited: the check-ins and the safety check, by id.
	var detail string
	app.DB.Get(&detail, `SELECT detail FROM audit_log WHERE action = 'response.read' AND detail::jsonb->>'view' = 'prep' ORDER BY seq DESC LIMIT 1`)
	var d struct{ Responses []int64 }
	json.Unmarshal([]byte(detail), &d)
	if len(d.Responses) != 8 || !containsInt(d.Responses, w.safety) || !containsInt(d.Responses, w.checkB[-2]) || containsInt(d.Responses, w.checkB[-1]) {
		t.Errorf("audited reads: %s", detail)
	}
	// Nobody else prepares: the partners and the admin are refused, another
	// counselor or clinic finds nothing.
	for email, want := range map[string]int{"alex@h.test": 403, "blair@h.test": 403, "ada@h.test": 403, "carl@h.test": 404, "finn@n.test": 404} {
		if r := app.Login(email).Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", w.next.ID), nil, nil); r.Status != want {
			t.Errorf("prep as %s: %d, want %d", email, r.Status, want)
		}
	}
}

// Roles add up in one clinic: a counselor who is also one of the couple's
// partners prepares by a partner's rules (access.go). Blair, counseling
// her own couple, sees nothing of Alex's unshared work (the letter, his
// check-ins and concerns) and never learns of his safety check; once Alex
// shares a check-in, it counts.
func TestPrepOfTheCounselorWhoIsAlsoThePartner(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	app := p.app
	w := buildPrepWork(t, p)
	blairID := p.userID(t, "blair@h.test")
	app.Member(blairID, p.clinic, "counselor")
	app.Exec(`UPDATE couples SET counselor_id = $1 WHERE id = $2`, blairID, p.couple)
	blair := app.Login("blair@h.test")
	var prep prepJSON
	r := blair.Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", w.next.ID), nil, &prep)
	if r.Status != 200 {
		t.Fatalf("prep: %d %s", r.Status, r.Body)
	}
	for _, s := range append(neverOnPrep, "CONCERN-A", "Safety check", `"private_to_counselor":true`) {
		if strings.Contains(r.Body, s) {
			t.Errorf("Blair's prep holds %q", s)
		}
	}
	pd := prep.Period
	if got, want := ids(pd.Submitted), ""; got != want {
		t.Errorf("submitted: %s (Alex's unshared letter and journal, his safety check), want none", got)
	}
	if len(pd.Safety) != 0 || ids(pd.Replies) != fmt.Sprint(w.reply) || ids(pd.JointDone) != fmt.Sprint(w.planDone) {
		t.Errorf("safety %v, replies %v, signed %v", pd.Safety, pd.Replies, pd.JointDone)
	}
	for _, c := range pd.Checkins {
		if c.PartnerID == p.partnerA && (c.Trust != nil || c.Submitted != 0 || len(c.Concerns) != 0) {
			t.Errorf("Alex's unshared check-ins show: %+v", c)
		}
	}
	w.shareA(-5)
	blair.Do("GET", fmt.Sprintf("/api/v1/sessions/%d/prep", w.next.ID), nil, &prep)
	for _, c := range prep.Period.Checkins {
		if c.PartnerID == p.partnerA && (c.Submitted != 1 || c.Trust == nil || *c.Trust != 6 || len(c.Concerns) != 1) {
			t.Errorf("Alex's shared check-in does not count: %+v", c)
		}
	}
}

func sorted(xs ...int64) string {
	var out []string
	for _, x := range xs {
		out = append(out, fmt.Sprint(x))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func containsInt(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
