package demo

import (
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/measure"
)

// measures gives the couple six weeks of weekly CSI-4s, submitted and
// scored as the partners would have: one partner's satisfaction rising
// above the cut-off, the other's slipping below it (so the counselor sees
// the distress and moving-apart alerts), and a PHQ-9 each at the start.
func (w *worker) measures(c seeded) {
	if w.err != nil {
		return
	}
	const weeks = 6
	until := time.Now().UTC().AddDate(0, 0, 7*weeks+14).Format(time.DateOnly)
	in := assignment.NewAssignment{TemplateID: w.tpl["csi-4"], Mode: "each", Instructions: "A minute each week, on your own."}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"week", until}
	asg, err := w.svc.Create(w.ctx, c.Counselor, c.ID, in)
	if err != nil {
		w.err = err
		return
	}
	if _, w.err = w.d.ExecContext(w.ctx, `UPDATE responses SET occurs_on = occurs_on - $2::int, due_at = due_at - $2 * interval '1 day'
		WHERE assignment_id = $1`, asg.ID, 7*weeks); w.err != nil {
		return
	}
	var rs []struct {
		ID        int64     `db:"id"`
		PartnerID int64     `db:"partner_id"`
		OccursOn  time.Time `db:"occurs_on"`
	}
	if w.err = w.d.SelectContext(w.ctx, &rs, `SELECT id, partner_id, occurs_on FROM responses WHERE assignment_id = $1
		AND occurs_on < current_date ORDER BY occurs_on, partner_id`, asg.ID); w.err != nil {
		return
	}
	csi4, _ := measure.Get("csi-4")
	rising, falling := []int{10, 11, 13, 14, 15, 16}, []int{16, 15, 15, 14, 12, 11}
	week := map[int64]int{}
	for _, r := range rs {
		by, scores := c.A, rising
		if r.PartnerID == c.PartnerB {
			by, scores = c.B, falling
		}
		n := week[r.PartnerID]
		week[r.PartnerID]++
		if n >= len(scores) {
			continue
		}
		w.save(by, r.ID, answersFor(csi4, scores[n]))
		w.submit(by, r.ID)
		w.backdateScore(r.ID, time.Since(r.OccursOn.Add(19*time.Hour)))
	}
	phq9, _ := measure.Get("phq-9")
	_, resp := w.assign(c, "phq-9", "each", 0, 2*day, "Just for you and me, as we start.")
	for p, score := range map[int64]int{c.PartnerA: 7, c.PartnerB: 11} {
		by := c.A
		if p == c.PartnerB {
			by = c.B
		}
		if rv, ok := resp[p]; ok {
			ans := answersFor(phq9, score)
			ans["phq9_difficulty"] = "Somewhat difficult"
			w.save(by, rv.ID, ans)
			w.submit(by, rv.ID)
			w.backdateScore(rv.ID, 27*day)
		}
	}
}

// backdateScore moves a submitted response, and the score kept with it, back.
func (w *worker) backdateScore(rid int64, ago time.Duration) {
	w.backdate(rid, ago)
	if w.err == nil {
		_, w.err = w.d.ExecContext(w.ctx, `UPDATE measure_scores SET submitted_at = submitted_at - $2 * interval '1 second',
			scored_on = (submitted_at - $2 * interval '1 second')::date WHERE response_id = $1`, rid, int(ago.Seconds()))
	}
}

// answersFor picks published answers that total the score, filling the
// items in order (the demo needs totals, not realistic patterns). A PHQ-9's
// item 9 stays at "Not at all": the demo raises no safety concern here.
func answersFor(in measure.Instrument, score int) map[string]any {
	ans := map[string]any{}
	left := score
	for _, it := range in.Items() {
		if it.Unscored {
			continue
		}
		var best measure.Option
		for _, o := range it.Options {
			if o.Score == 0 && best.Label == "" || o.Score <= left && o.Score > best.Score && it.Key != "phq9_9" {
				best = o
			}
		}
		ans[it.Key] = best.Label
		left -= best.Score
	}
	return ans
}
