package appointment

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// FeedSummary is every event's title: neutral, because calendars are
// widely shared (with assistants, family, on lock screens). No couple's
// name or label, no place note, nothing clinical.
const FeedSummary = "Mend session"

// WriteCalendar writes a feed as an iCalendar stream (RFC 5545): one event
// per session, in UTC, titled FeedSummary, with a link to its prep page.
// Cancelled sessions stay, marked cancelled, so a subscribed calendar
// removes them; every move or cancellation raises the event's SEQUENCE.
func WriteCalendar(w io.Writer, f Feed, baseURL string, now time.Time) error {
	host := "mend"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//Mend//Sessions//EN")
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, "PUBLISH")
	cal.Props.SetText(ical.PropName, "Mend sessions")
	cal.Props.SetText("X-WR-CALNAME", "Mend sessions")
	refresh := ical.NewProp(ical.PropRefreshInterval)
	refresh.SetDuration(time.Hour)
	cal.Props.Set(refresh)
	cal.Props.SetText("X-PUBLISHED-TTL", "PT1H")
	stamp := now.UTC().Truncate(time.Second)
	for _, ap := range f.Events {
		ev := ical.NewEvent()
		ev.Props.SetText(ical.PropUID, "session-"+strconv.FormatInt(ap.ID, 10)+"@"+host)
		ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp)
		ev.Props.SetDateTime(ical.PropDateTimeStart, ap.StartsAt.UTC())
		ev.Props.SetDateTime(ical.PropDateTimeEnd, ap.EndsAt().UTC())
		ev.Props.SetDateTime(ical.PropLastModified, ap.UpdatedAt.UTC().Truncate(time.Second))
		ev.Props.SetText(ical.PropSummary, FeedSummary)
		ev.Props.SetText(ical.PropClass, "PRIVATE")
		ev.Props.SetText(ical.PropTransparency, "OPAQUE")
		seq := ical.NewProp(ical.PropSequence)
		seq.Value = strconv.Itoa(ap.Sequence)
		ev.Props.Set(seq)
		prep := fmt.Sprintf("%s/sessions/%d/prep", strings.TrimRight(baseURL, "/"), ap.ID)
		if u, err := url.Parse(prep); err == nil {
			link := ical.NewProp(ical.PropURL)
			link.SetURI(u)
			ev.Props.Set(link)
		}
		ev.Props.SetText(ical.PropDescription, "Prepare in Mend: "+prep)
		if ap.Status == Cancelled {
			ev.SetStatus(ical.EventCancelled)
		} else {
			ev.SetStatus(ical.EventConfirmed)
		}
		cal.Children = append(cal.Children, ev.Component)
	}
	if len(cal.Children) == 0 {
		// RFC 5545 wants at least one component: an empty feed carries the
		// zone its (absent) events would use.
		cal.Children = append(cal.Children, utcZone())
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return err
	}
	_, err := w.Write(fold(buf.Bytes()))
	return err
}

func utcZone() *ical.Component {
	z := ical.NewComponent(ical.CompTimezone)
	z.Props.SetText(ical.PropTimezoneID, "UTC")
	std := ical.NewComponent(ical.CompTimezoneStandard)
	start := ical.NewProp(ical.PropDateTimeStart)
	start.Value = "19700101T000000"
	std.Props.Set(start)
	std.Props.SetText(ical.PropTimezoneOffsetFrom, "+0000")
	std.Props.SetText(ical.PropTimezoneOffsetTo, "+0000")
	std.Props.SetText(ical.PropTimezoneName, "UTC")
	z.Children = append(z.Children, std)
	return z
}

// fold breaks content lines longer than 75 octets (RFC 5545 §3.1): CRLF
// and a space, never inside a UTF-8 character.
func fold(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\r\n")) {
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			out.Write(body[:cut])
			out.WriteString("\r\n ")
			body = body[cut:]
			limit = 74 // the leading space counts
		}
		out.Write(body)
		if bytes.HasSuffix(line, []byte("\r\n")) {
			out.WriteString("\r\n")
		}
	}
	return out.Bytes()
}
