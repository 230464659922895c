package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/tz"
)

// In a real browser, on a desktop and on a 390 px phone: the counselor
// schedules a session, assigns an apology letter "before the next
// session", the partner sees it due before the session and submits it,
// and the counselor opens the session's prep page from her home and finds
// it there — with nothing wider than the screen.
func TestBrowserScheduleAssignBeforeSessionAndPrepare(t *testing.T) {
	t.Parallel()
	for _, width := range []int64{1200, 390} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			t.Parallel() // a practice and a tab of its own
			p := newPractice(t)
			app := p.app
			loc := p.zone(t, "Europe/Berlin")
			ctx := apptest.Chrome(t)
			do := apptest.Steps(t, ctx)
			do(chromedp.EmulateViewport(width, 900))
			as := func(email string) { t.Helper(); app.SignInAs(t, ctx, email) }
			text := func(sel string) string { return apptest.Text(t, ctx, sel) }
			fits := func(where string) {
				t.Helper()
				w, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
				if err != nil || w > width {
					t.Errorf("%s is %d px wide on a %d px screen (%v)", where, w, width, err)
				}
			}
			day := tz.AddDays(tz.Today(time.Now(), loc), 2)

			// Schedule from the couple's page.
			as("cora@h.test")
			do(chromedp.Navigate(fmt.Sprintf("%s/couples/%d", app.URL, p.couple)), chromedp.WaitVisible(`#sessions-h`),
				chromedp.Click(`a[href$="/sessions/new"]`), chromedp.WaitVisible(`#f-date`))
			fits("the schedule form")
			do(chromedp.SetValue(`#f-date`, day.Format(time.DateOnly)), chromedp.SetValue(`#f-time`, "17:00"),
				chromedp.SetValue(`#f-place`, "Room 2"), chromedp.Click(`main button.primary`), chromedp.WaitVisible(`.flash`))
			if f := text(".flash"); !strings.Contains(f, "Scheduled: "+localDay(tz.At(day, 17, 0, loc), loc)+", 17:00") {
				t.Fatalf("after scheduling: %s", f)
			}

			// Assign the letter before the next session.
			do(chromedp.Navigate(fmt.Sprintf("%s/couples/%d/assign", app.URL, p.couple)), chromedp.WaitVisible(`#f-template_id`),
				chromedp.SetValue(`#f-template_id`, fmt.Sprint(p.tpl["apology-letter"])),
				chromedp.Click(`input[name=mode][value=individual]`),
				chromedp.SetValue(`#f-partner_id`, fmt.Sprint(p.partnerA)),
				chromedp.Click(`input[name=due][value=next_session]`),
				chromedp.Click(`main button.primary`), chromedp.WaitVisible(`.flash`))
			var due time.Time
			app.DB.Get(&due, `SELECT due_at FROM assignments WHERE appointment_id IS NOT NULL`)
			if !due.Equal(tz.At(day, 17, 0, loc)) {
				t.Fatalf("due %v, want the session's start", due)
			}

			// The partner sees the next session and what is due before it, and submits.
			as("alex@h.test")
			if home := text("main"); !strings.Contains(home, "Next session: "+localDay(due, loc)+", 17:00") || !strings.Contains(home, "Due before it") {
				t.Fatalf("client home:\n%s", home)
			}
			fits("the client's home")
			var rid int64
			app.DB.Get(&rid, `SELECT r.id FROM responses r JOIN assignments a ON a.id = r.assignment_id WHERE a.appointment_id IS NOT NULL`)
			do(chromedp.Navigate(fmt.Sprintf("%s/responses/%d", app.URL, rid)), chromedp.WaitVisible(`[name="a.what_i_did"]`),
				chromedp.SendKeys(`[name="a.what_i_did"]`, "I hid the messages for months."),
				chromedp.SendKeys(`[name="a.impact"]`, "You stopped trusting your own memory."),
				chromedp.SendKeys(`[name="a.responsibility"]`, "It was my choice, every time."),
				chromedp.SendKeys(`[name="a.changes"]`, "My phone stays open."),
				chromedp.SendKeys(`[name="a.how_you_will_see"]`, "Ask me anything; I will answer."),
				chromedp.Click(`[name="a.no_rushing"]`), chromedp.Sleep(200*time.Millisecond),
				chromedp.Click(`button[value=submit]`), chromedp.WaitVisible(`.flash`))

			// The counselor prepares from her home page and finds it.
			as("cora@h.test")
			do(chromedp.WaitVisible(`#sessions-h`), chromedp.Click(`section[aria-labelledby=sessions-h] a[href$="/prep"]`), chromedp.WaitVisible(`#sub-h`))
			if h := text("h1"); h != "Prepare for "+localDay(due, loc) {
				t.Errorf("prep title %q", h)
			}
			sub := text(`#sub-h + ul`)
			if !strings.Contains(sub, "Apology letter") || !strings.Contains(sub, "Alex") || strings.Contains(text("main"), "I hid the messages") {
				t.Fatalf("prep page, submitted:\n%s\n---\n%s", sub, text("main"))
			}
			fits("the prep page")
			// Its link opens the submission.
			do(chromedp.Click(`#sub-h + ul a`), chromedp.WaitVisible(`main h1`))
			if !strings.Contains(text("main"), "I hid the messages for months.") {
				t.Errorf("the submission from the prep page:\n%s", text("main"))
			}
		})
	}
}

var pdfPageRe = regexp.MustCompile(`/Type\s*/Page[^s]`)

// Many counselors prepare on paper: a full period's prep page (every list
// filled, two partners' check-ins and concerns, a note) prints on one or
// two A4 pages, without the navigation or the note's form.
func TestPrepPagePrintsOnOneOrTwoPages(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	w := buildPrepWork(t, p)
	mustOK(t, p.app.Login("cora@h.test").Do("PUT", fmt.Sprintf("/api/v1/sessions/%d/note", w.next.ID),
		map[string]any{"text": "Ask about the weekend.\nFollow up on the safety check first.\nPraise the joint plan.", "version": 0}, nil))
	ctx := apptest.Chrome(t)
	do := apptest.Steps(t, ctx)
	p.app.SignInAs(t, ctx, "cora@h.test")
	do(chromedp.Navigate(fmt.Sprintf("%s/sessions/%d/prep", p.app.URL, w.next.ID)), chromedp.WaitVisible(`#sub-h`))
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(pdfPageRe.FindAll(pdf, -1)); n < 1 || n > 2 {
		t.Errorf("the prep page prints on %d pages", n)
	}
	// On paper the note is text, not a form, and the navigation is gone.
	do(chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return chromedp.Void{}, err
	}))
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[".topbar", "form[data-autosave]", ".prep-note .print-only", "#sub-h"]
		.map((sel) => getComputedStyle(document.querySelector(sel)).display).join(",")`))
	if err != nil || shown != "none,none,block,block" {
		t.Errorf("printed: %q (%v)", shown, err)
	}
	if note := apptest.Text(t, ctx, ".prep-note .print-only"); !strings.Contains(note, "Follow up on the safety check first.") {
		t.Errorf("the printed note: %q", note)
	}
}
