package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/mail"
)

// Every kind renders a subject, a text and an HTML part that name the
// clinic and carry the link; only kinds the person may turn off carry an
// unsubscribe link. The data a template can use holds no clinical field at
// all (mail.Data), so what is checked here is that the wording itself is
// neutral: no exercise words, no "safety", no partner's name.
func TestEveryKindRendersNeutralTextAndHTML(t *testing.T) {
	r, err := mail.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	for k, cat := range mail.Kinds {
		d := mail.Data{Clinic: "Harbor Counseling", Name: "Lucia", Link: "https://mend.test/x?a=1&b=2", LinkLabel: "Open Mend",
			Expires: "Tuesday 9 December 2026, 17:00 (Europe/Berlin)", When: "Tuesday 9 December 2026, 17:00 (Europe/Berlin)",
			Role: "a counselor", Who: "Sam Lee", Day: "Tuesday 9 December", Lines: mail.Lines(k, map[string]int{"due_today": 2, "checkin": 1, "submitted": 3}),
			Settings: "https://mend.test/settings/notifications"}
		if cat != mail.Always {
			d.Unsubscribe = "https://mend.test/unsubscribe/1/" + string(cat) + "/mac"
		}
		subject, text, html, err := r.Render(k, d)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		if subject == "" || strings.Contains(subject, "\n") || len(subject) > 90 {
			t.Errorf("%s: subject %q", k, subject)
		}
		for part, body := range map[string]string{"text": text, "html": html} {
			if !strings.Contains(body, "Harbor Counseling") || !strings.Contains(body, "Lucia") {
				t.Errorf("%s %s: clinic or greeting missing", k, part)
			}
			if !strings.Contains(body, "https://mend.test/x?a=1") {
				t.Errorf("%s %s: link missing", k, part)
			}
			if (d.Unsubscribe != "") != strings.Contains(body, "/unsubscribe/") {
				t.Errorf("%s %s: unsubscribe link for category %s", k, part, cat)
			}
			low := strings.ToLower(subject + body)
			for _, w := range []string{"apology", "letter", "safety", "abuse", "affair", "trust", "check-in answer", "daniel"} {
				if strings.Contains(low, w) {
					t.Errorf("%s %s: holds %q", k, part, w)
				}
			}
		}
		if !strings.Contains(html, "https://mend.test/x?a=1&amp;b=2") {
			t.Errorf("%s: HTML link not escaped", k)
		}
	}
}

func TestReminderAndDigestLinesCountOnly(t *testing.T) {
	got := mail.Lines(mail.Reminder, map[string]int{"due_today": 1, "due_tomorrow": 2, "checkin": 1})
	want := []string{"Something is due today.", "2 things are due tomorrow.", "Today's check-in is waiting for you."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("reminder lines %q", got)
	}
	if d := mail.Lines(mail.Digest, map[string]int{"attention": 1, "waiting": 4}); len(d) != 2 || !strings.Contains(d[0], "attention") {
		t.Errorf("digest lines %q", d)
	}
	if mail.Format(time.Date(2026, 12, 9, 16, 0, 0, 0, time.UTC), mustZone(t, "Europe/Berlin")) != "Wednesday 9 December 2026, 17:00 (Europe/Berlin)" {
		t.Error("format")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
