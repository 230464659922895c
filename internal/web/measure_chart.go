package web

import (
	"fmt"
	"html"
	"math"
	"strings"
	"time"

	"github.com/mend-clinic/mend/internal/measure"
)

// measureSVG draws one measure's scores over time, each partner a line
// (the second dashed, with square points, so it reads without color), the
// published distress cut-off as a dashed line over a tinted distress side,
// and the gap between the partners' answers to the same request as a
// dotted bracket. It is small (480×320) with large type (19 px: at a 390 px
// phone's width it renders at 12 px or more); the page puts the same numbers in a table
// beside it for screen readers. No JavaScript, no external resources.
func measureSVG(c measure.Chart, loc *time.Location) string {
	in := c.Instrument
	const w, h, left, right, top, bottom = 480.0, 320.0, 44.0, 18.0, 18.0, 96.0
	plotW, plotH := w-left-right, h-top-bottom
	lo, hi := float64(in.Min), float64(in.Max)
	y := func(v float64) float64 { return top + plotH*(hi-v)/(hi-lo) }

	// Time: from the first score to the last (a week at least), each point
	// where it was submitted (two on one day stay apart).
	var first, last time.Time
	for _, s := range c.Series {
		for _, p := range s.Points {
			if first.IsZero() || p.SubmittedAt.Before(first) {
				first = p.SubmittedAt
			}
			if p.SubmittedAt.After(last) {
				last = p.SubmittedAt
			}
		}
	}
	if first.IsZero() {
		first = time.Now()
		last = first
	}
	span := last.Sub(first)
	if week := 7 * 24 * time.Hour; span < week {
		first = first.Add(-(week - span) / 2)
		span = week
	}
	x := func(at time.Time) float64 { return left + plotW*float64(at.Sub(first))/float64(span) }

	var b strings.Builder
	dir := "higher is better"
	if !in.HigherIsBetter {
		dir = "higher is worse"
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="t">`, w, h)
	fmt.Fprintf(&b, `<title id="t">%s scores over time, %d to %d, %s; the dashed line is the distress cut-off at %s</title>`,
		html.EscapeString(in.Short), in.Min, in.Max, dir, fmtCut(in.Cutoff.Value))
	b.WriteString(`<style>text{font:19px system-ui,sans-serif;fill:#46525a}.grid{stroke:#dfe2e0}</style>`)

	// The distress side of the cut-off, tinted.
	cut := y(in.Cutoff.Value)
	if in.Cutoff.Distress == "below" {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f6e3df"/>`, left, cut, plotW, top+plotH-cut)
	} else {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f6e3df"/>`, left, top, plotW, cut-top)
	}
	for _, v := range ticks(in.Min, in.Max) {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f" text-anchor="end">%d</text>`,
			left, w-right, y(float64(v)), y(float64(v)), left-6, y(float64(v))+5, v)
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#a8321e" stroke-width="2" stroke-dasharray="8 5"/>`, left, w-right, cut, cut)
	// Time labels: the first and last point's days (and the middle on a long span).
	marks := []time.Time{first, first.Add(span)}
	if span > 20*24*time.Hour {
		marks = append(marks, first.Add(span/2))
	}
	for i, d := range marks {
		anchor := "middle"
		switch i {
		case 0:
			anchor = "start"
		case 1:
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="small" x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(d), top+plotH+20, anchor, d.In(loc).Format("2 Jan"))
	}

	if len(c.Series) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">No scores to show yet.</text>`, left+plotW/2, top+plotH/2)
	}
	// The gap between the partners' answers to the same request.
	for _, g := range c.Gaps {
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#7a858c" stroke-width="1.5" stroke-dasharray="2 3"/>`,
			x(g.At), x(g.At), y(float64(g.A)), y(float64(g.B)))
	}
	for i, s := range c.Series {
		color := chartColors[i%len(chartColors)]
		dash := ""
		if i%2 == 1 {
			dash = ` stroke-dasharray="7 4"`
		}
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(p.SubmittedAt), y(float64(p.Score))))
		}
		if len(pts) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="3"%s points="%s"/>`, color, dash, strings.Join(pts, " "))
		}
		for _, p := range s.Points {
			px, py := x(p.SubmittedAt), y(float64(p.Score))
			if i%2 == 1 {
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="9" height="9" fill="%s"/>`, px-4.5, py-4.5, color)
			} else {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s"/>`, px, py, color)
			}
		}
		// The legend, under the plot: one row per partner.
		ly := top + plotH + 42 + float64(i)*24
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="3"%s/><text x="%.1f" y="%.1f">%s</text>`,
			left, left+30, ly-5, ly-5, color, dash, left+38, ly, html.EscapeString(s.Name))
	}
	// The cut-off's legend row, under the partners'.
	ly := top + plotH + 42 + float64(len(c.Series))*24
	side := "distress below"
	if in.Cutoff.Distress != "below" {
		side = "distress at or above"
	}
	fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#a8321e" stroke-width="2" stroke-dasharray="8 5"/><text x="%.1f" y="%.1f">Cut-off %s (%s)</text>`,
		left, left+30, ly-5, ly-5, left+38, ly, fmtCut(in.Cutoff.Value), side)
	b.WriteString(`</svg>`)
	return b.String()
}

// ticks are about five round values from lo to hi.
func ticks(lo, hi int) []int {
	step := 1
	for _, s := range []int{1, 2, 3, 5, 10, 20, 25} {
		step = s
		if (hi-lo)/s <= 6 {
			break
		}
	}
	var out []int
	for v := lo; v <= hi; v += step {
		out = append(out, v)
	}
	return out
}

func fmtCut(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
