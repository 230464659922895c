package remind_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/mail/mailtest"
	"github.com/mend-clinic/mend/internal/tz"
)

// A real SMTP exchange with two `mend serve` instances: the leader's
// sweeps and extra sweeps run by hand at the same instant send the
// partner's reminder and the counselor's digest once each; the mails name
// the clinic and carry counts only: no exercise title, instructions or
// answer, and not the other partner's name.
func TestTwoInstancesSendReminderAndDigestOnceOverSMTP(t *testing.T) {
	a := apptest.NewWithMailNoJobs(t)
	ctx := context.Background()
	cid := a.Clinic("Harbor Counseling")
	a.Exec(`UPDATE clinics SET time_zone = 'Europe/Berlin' WHERE id = $1`, cid)
	loc, _ := tz.Load("Europe/Berlin")
	cora := a.User(cid, actor.RoleCounselor, "cora@h.test", "Cora Counselor")
	alex := a.User(cid, actor.RoleClient, "alex@h.test", "Alexandra")
	blair := a.User(cid, actor.RoleClient, "blair@h.test", "Blairwood")
	var couple, pa, pb int64
	a.DB.Get(&couple, `INSERT INTO couples (clinic_id, label, counselor_id) VALUES ($1, 'Alexandra & Blairwood', $2) RETURNING id`, cid, cora)
	a.DB.Get(&pa, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'A', 'Alexandra', 'alex@h.test', $3) RETURNING id`, couple, cid, alex)
	a.DB.Get(&pb, `INSERT INTO partners (couple_id, clinic_id, slot, name, email, user_id) VALUES ($1, $2, 'B', 'Blairwood', 'blair@h.test', $3) RETURNING id`, couple, cid, blair)
	tpl := map[string]int64{}
	titles := map[string]string{}
	var rows []struct {
		ID    int64  `db:"id"`
		Slug  string `db:"slug"`
		Title string `db:"title"`
	}
	a.DB.Select(&rows, `SELECT t.id, t.slug, v.title FROM exercise_templates t
		JOIN template_versions v ON v.template_id = t.id AND v.version = t.current_version WHERE t.slug IS NOT NULL`)
	for _, r := range rows {
		tpl[r.Slug], titles[r.Slug] = r.ID, r.Title
	}

	day := mustDate("2026-06-10")
	nine := tz.At(day, 9, 0, loc).Add(20 * time.Second)
	counselor := actor.Actor{UserID: cora, ClinicID: cid, Roles: []string{actor.RoleCounselor}, ClinicZone: loc, ClinicZoneSet: true}
	work := a.Services.Assignments.WithClock(at(tz.At(tz.AddDays(day, -1), 10, 0, loc)))
	due := tz.At(day, 18, 0, loc)
	if _, err := work.Create(ctx, counselor, couple, assignment.NewAssignment{TemplateID: tpl["apology-letter"], Mode: "individual",
		PartnerID: pa, DueAt: &due, Instructions: "INSTRUCTION-TEXT-7731"}); err != nil {
		t.Fatal(err)
	}
	in := assignment.NewAssignment{TemplateID: tpl["daily-check-in"], Mode: "each"}
	in.Recurrence = &struct {
		Every string `json:"every"`
		Until string `json:"until"`
	}{"day", tz.AddDays(day, 5).Format(time.DateOnly)}
	if _, err := work.Create(ctx, counselor, couple, in); err != nil {
		t.Fatal(err)
	}
	journal, err := work.Create(ctx, counselor, couple, assignment.NewAssignment{TemplateID: tpl["trigger-journal"], Mode: "individual", PartnerID: pb})
	if err != nil {
		t.Fatal(err)
	}
	// Blair submitted the journal last night: new for the digest.
	a.Exec(`UPDATE responses SET answers = '{"trigger": "SECRET-ANSWER-5512"}', status = 'submitted', submitted_at = $2 WHERE assignment_id = $1`,
		journal.ID, tz.At(tz.AddDays(day, -1), 22, 0, loc))
	a.Exec(`INSERT INTO submissions (response_id, version, answers, submitted_by, submitted_at)
		SELECT id, 1, answers, $2, submitted_at FROM responses WHERE assignment_id = $1`, journal.ID, blair)
	if _, err := a.Services.Assignments.MakeOccurrences(ctx, nine); err != nil {
		t.Fatal(err)
	}

	// Two instances, both at 9:00:20 in Berlin; and more sweeps by hand.
	a.StartJobsAt("instance-1", at(nine))
	a.StartJobsAt("instance-2", at(nine))
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := a.Services.Remind.Reminders(ctx, nine); err != nil {
				t.Error(err)
			}
			if _, err := a.Services.Remind.Digests(ctx, nine); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	a.Mail.Wait(5, 30*time.Second)
	time.Sleep(2 * time.Second) // room for a duplicate to arrive
	// (Assigning the work also mailed "new work": only reminders and
	// digests are counted here.)
	only := func(ms []mailtest.Message) []mailtest.Message {
		var out []mailtest.Message
		for _, m := range ms {
			if id := m.Header.Get("Message-Id"); strings.Contains(id, ".reminder@") || strings.Contains(id, ".digest@") {
				out = append(out, m)
			}
		}
		return out
	}
	toAlex, toCora, toBlair := only(a.Mail.To("alex@h.test")), only(a.Mail.To("cora@h.test")), only(a.Mail.To("blair@h.test"))
	if len(toAlex) != 1 || len(toCora) != 1 || len(toBlair) != 0 {
		t.Fatalf("mails: %d to the partner, %d to the counselor, %d to the other partner; want 1, 1, 0", len(toAlex), len(toCora), len(toBlair))
	}
	r, d := toAlex[0], toCora[0]
	if r.Subject != "A reminder from Harbor Counseling" || !strings.Contains(r.Text, "Something is due today.") ||
		!strings.Contains(r.Text, "Today's check-in is waiting for you.") || r.Header.Get("List-Unsubscribe") == "" {
		t.Errorf("reminder: %q\n%s", r.Subject, r.Text)
	}
	if d.Subject != "Your Mend summary for Wednesday 10 June" || !strings.Contains(d.Text, "One new piece of work came in.") ||
		!strings.Contains(d.Text, "One piece of work is waiting for your review.") || d.Header.Get("List-Unsubscribe") == "" {
		t.Errorf("digest: %q\n%s", d.Subject, d.Text)
	}
	for _, m := range []mailtest.Message{r, d} {
		for _, secret := range []string{titles["apology-letter"], titles["daily-check-in"], titles["trigger-journal"],
			"INSTRUCTION-TEXT-7731", "SECRET-ANSWER-5512", "Blairwood"} {
			if strings.Contains(m.Text, secret) || strings.Contains(m.HTML, secret) || strings.Contains(m.Subject, secret) {
				t.Errorf("%q to %v carries %q", m.Subject, m.To, secret)
			}
		}
	}
	// The leader enqueued the sweeps at start, and an instance worked them.
	var swept []string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		a.DB.Select(&swept, `SELECT args->>'name' FROM river_job WHERE kind = 'sweep' AND state = 'completed' ORDER BY 1`)
		if len(swept) >= 4 {
			break
		}
	}
	if strings.Join(swept, ",") != "digests,occurrences,reminders,tables" {
		t.Errorf("sweeps worked: %v", swept)
	}
	var sends int
	a.DB.Get(&sends, `SELECT count(*) FROM reminder_sends`)
	if sends != 2 {
		t.Errorf("%d reminder_sends rows, want 2", sends)
	}
}
