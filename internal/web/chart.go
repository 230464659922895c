package web

import (
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/tz"
)

// chartColors tell the two partners' lines apart (and dash the second, so
// the chart reads without color too).
var chartColors = []string{"#2f6f73", "#c0622d"}

// checkinSVG draws each partner's daily trust level (1–10) over the last
// days (default 28) as a server-rendered SVG: no JavaScript needed. Days
// are the clinic's (loc): a check-in's day is a local date, and the chart
// ends on today there. Like the measure charts it is small (480 wide) with
// large type and the legend under the plot, so that shrunk to a 390 px
// phone's width its text still renders at 12 px or more.
func checkinSVG(series []assignment.Series, daysParam string, now time.Time, loc *time.Location) string {
	days := 28
	fmt.Sscanf(daysParam, "%d", &days)
	if days < 7 || days > 366 {
		days = 28
	}
	const w, left, right, top, plotH = 480.0, 34.0, 16.0, 22.0, 200.0
	rows := max(1, len(series))
	h := top + plotH + 34 + 26*float64(rows) + 6
	bottom := h - top - plotH
	end := tz.Today(now, loc)
	start := tz.AddDays(end, -(days - 1))
	x := func(d tz.Date) float64 {
		return left + (w-left-right)*float64(tz.Days(start, d))/float64(days-1)
	}
	y := func(v int) float64 { return top + (h-top-bottom)*(10-float64(v))/9 }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" role="img" aria-labelledby="t">`, w, h)
	b.WriteString(`<title id="t">Trust level from daily check-ins, 1 to 10, over the last ` + fmt.Sprint(days) + ` days</title>`)
	b.WriteString(`<style>text{font:19px system-ui,sans-serif;fill:#46525a}.grid{stroke:#dfe2e0}</style>`)
	for _, v := range []int{1, 4, 7, 10} {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/><text x="%.1f" y="%.1f" text-anchor="end">%d</text>`,
			left, w-right, y(v), y(v), left-6, y(v)+6, v)
	}
	for i := 0; i < days; i += max(1, days/4) {
		d := tz.AddDays(start, i)
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s</text>`, x(d), top+plotH+26, anchor, d.Format("2 Jan"))
	}
	if len(series) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">No check-ins to show yet.</text>`, (w-right+left)/2, top+plotH/2)
	}
	for i, s := range series {
		color := chartColors[i%len(chartColors)]
		dash := ""
		if i%2 == 1 {
			dash = ` stroke-dasharray="6 4"`
		}
		var pts []string
		for _, p := range s.Points {
			d, err := tz.ParseDate(p.Day)
			if err != nil || d.Before(start) || d.After(end) {
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(d), y(p.Trust)))
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5"%s points="%s"/>`, color, dash, strings.Join(pts, " "))
			for _, pt := range pts {
				var px, py float64
				fmt.Sscanf(pt, "%f,%f", &px, &py)
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, px, py, color)
			}
		}
		// The legend, under the plot: one row per partner.
		ly := top + plotH + 34 + 26*float64(i+1)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="2.5"%s/><text x="%.1f" y="%.1f">%s</text>`,
			left, left+30, ly-6, ly-6, color, dash, left+38, ly, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}
