package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/mail"
	"github.com/mend-clinic/mend/internal/mail/mailtest"
)

// Clinical words that must never be in a mail: what the counselor wrote
// to the author, what the author wrote, the counselor's comment.
const (
	secretInstructions = "Bring it to our next session, not before"
	secretComment      = "Please say more about the night of the party"
	secretAnswer       = "I hid the messages"
)

var linkRe = regexp.MustCompile(`https?://[^\s"<>]+`)

// Every mail a person gets through the between-sessions flows is neutral:
// no exercise title, instruction, answer, comment, safety word or the
// other partner's name; multipart text + HTML; the clinic's name; one link
// that works; one-click unsubscribe where the person may turn it off.
func TestMailCarriesNoClinicalContent(t *testing.T) {
	t.Parallel()
	p := practiceOn(t, apptest.NewWithMail(t))
	app := p.app
	srv := app.Mail
	srv.Refuse(func(rcpt string) *smtp.SMTPError {
		if strings.HasPrefix(rcpt, "gone@") {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
		}
		return nil
	})
	ada, cora := app.Login("ada@h.test"), app.Login("cora@h.test")
	alex, blair := app.Login("alex@h.test"), app.Login("blair@h.test")

	// Invitations (and one to an address that does not exist).
	var cc createdCouple
	if r := ada.Do("POST", "/api/v1/couples", map[string]any{"label": "Dee & Gone", "counselor_id": p.userID(t, "carl@h.test"),
		"partners": []map[string]string{{"name": "Dee", "email": "dee@x.test"}, {"name": "Gone", "email": "gone@x.test"}}}, &cc); r.Status != 201 {
		t.Fatalf("couple: %d %s", r.Status, r.Body)
	}
	var inv struct {
		Invitation struct{ Token string } `json:"invitation"`
	}
	if r := ada.Do("POST", "/api/v1/counselors", map[string]string{"name": "Nia", "email": "nia@h.test"}, &inv); r.Status != 201 {
		t.Fatalf("invite counselor: %d %s", r.Status, r.Body)
	}
	srv.Wait(2, 10*time.Second)
	if r := app.API().Do("POST", "/api/v1/invitations/"+inv.Invitation.Token+"/accept",
		map[string]string{"name": "Nia", "password": apptest.Password}, nil); r.Status != 200 && r.Status != 201 {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}

	// New work, a revision, an acceptance, a share.
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA,
		"instructions": secretInstructions})
	rid := p.response(t, a, p.partnerA).ID
	answers := map[string]any{}
	for k, v := range letter {
		answers[k] = v
	}
	answers["what_i_did"] = secretAnswer + "."
	path := fmt.Sprintf("/api/v1/responses/%d", rid)
	mustOK(t, alex.Do("PUT", path, map[string]any{"answers": answers, "version": 1}, nil))
	mustOK(t, alex.Do("POST", path+"/submit", nil, nil))
	mustOK(t, cora.Do("POST", path+"/review", map[string]string{"decision": "revise", "comment": secretComment}, nil))
	mustOK(t, alex.Do("PUT", path, map[string]any{"answers": answers, "version": 2}, nil))
	mustOK(t, alex.Do("POST", path+"/submit", nil, nil))
	mustOK(t, cora.Do("POST", path+"/review", map[string]string{"decision": "accept"}, nil))
	mustOK(t, alex.Do("POST", path+"/share", map[string]any{"shared": true}, nil))

	// Reveal together: both are told when both have submitted.
	rt := p.assign(t, cora, map[string]any{"template_id": p.tpl["acknowledging-the-breach"], "mode": "each", "reveal": "together"})
	for _, who := range []struct {
		api     *apptest.API
		partner int64
	}{{alex, p.partnerA}, {blair, p.partnerB}} {
		r := p.response(t, rt, who.partner)
		fill := fillRequired(t, app, r.ID, who.api)
		mustOK(t, who.api.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", r.ID), map[string]any{"answers": fill, "version": 1}, nil))
		mustOK(t, who.api.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", r.ID), nil, nil))
	}

	// A concerning safety check alerts the counselor at once.
	sc := p.assign(t, cora, map[string]any{"template_id": p.tpl["safety-check"], "mode": "individual", "partner_id": p.partnerB})
	sr := p.response(t, sc, p.partnerB).ID
	concern := fillRequired(t, app, sr, blair)
	concern["feel_safe"] = "No, I don't feel safe"
	mustOK(t, blair.Do("PUT", fmt.Sprintf("/api/v1/responses/%d", sr), map[string]any{"answers": concern, "version": 1}, nil))
	mustOK(t, blair.Do("POST", fmt.Sprintf("/api/v1/responses/%d/submit", sr), nil, nil))

	// Account notices: a clinic-issued reset used, a password change,
	// "Forgot password?", two-factor turned off.
	var reset struct {
		Reset map[string]any `json:"reset"`
	}
	if r := ada.Do("POST", fmt.Sprintf("/api/v1/couples/%d/partners/%d/password-reset", p.couple, p.partnerA), nil, &reset); r.Status != 201 {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if _, shown := reset.Reset["token"]; shown || reset.Reset["url"] != nil {
		t.Fatalf("with mail configured the admin's answer carries the link: %v", reset.Reset)
	}
	resetMail := waitFor(t, srv, "alex@h.test", "Choose a new password")
	link := firstLink(t, resetMail, "/password-reset/")
	token := link[strings.LastIndex(link, "/")+1:]
	if r := app.API().Do("POST", "/api/v1/password-resets/"+token, map[string]string{"password": apptest.Password + "-new"}, nil); r.Status != 200 {
		t.Fatalf("use reset: %d %s", r.Status, r.Body)
	}
	b := app.Browser()
	if r := b.Post("/login", url.Values{"email": {"blair@h.test"}, "password": {apptest.Password}}, "/login"); r.Status != 303 {
		t.Fatalf("login blair: %d", r.Status)
	}
	if r := b.Post("/account/password", url.Values{"current": {apptest.Password}, "password": {apptest.Password + "-2"},
		"confirm": {apptest.Password + "-2"}}, "/account/password"); r.Status != 303 {
		t.Fatalf("password change: %d\n%s", r.Status, r.Body)
	}
	if r := app.API().Do("POST", "/api/v1/auth/forgot-password", map[string]string{"email": "sol@h.test"}, nil); r.Status != 202 {
		t.Fatalf("forgot: %d %s", r.Status, r.Body)
	}
	cb := app.Browser()
	cb.Login("carl@h.test")
	secret, _ := enrol(t, cb)
	app.Exec(`UPDATE user_totp SET last_step = 0`)
	code, _ := totp.GenerateCode(secret, time.Now())
	if r := cb.Post("/account/security/disable", url.Values{"code": {code}}, "/account/security"); r.Status != 303 {
		t.Fatalf("disable two-factor: %d", r.Status)
	}

	want := map[mail.Kind]int{mail.Invitation: 2, mail.CounselorJoined: 1, mail.NewWork: 4, mail.Feedback: 2, mail.PartnerShared: 1,
		mail.BothSubmitted: 2, mail.SafetyAlert: 1, mail.PasswordReset: 2, mail.SignInAfterReset: 1, mail.PasswordChanged: 1,
		mail.TwoFactorOff: 1, mail.Undeliverable: 1}
	total := 0
	for _, n := range want {
		total += n
	}
	// Reminders and the digest follow the hour the test runs at; they may
	// come too (and are checked like the rest), so wait for the wanted ones.
	msgs := srv.WaitUntil(func(got []mailtest.Message) bool {
		wanted := 0
		for _, m := range got {
			if _, ok := want[kindOf(m)]; ok {
				wanted++
			}
		}
		return wanted >= total
	}, 2*time.Minute) // returns when they arrived; 30 s was too short on a loaded machine

	var forbidden []string
	app.DB.Select(&forbidden, `SELECT DISTINCT title FROM template_versions`)
	forbidden = append(forbidden, secretInstructions, secretComment, secretAnswer, "safety", "Safety", "apology", "Apology", "letter")
	kinds := map[mail.Kind]int{}
	for _, m := range msgs {
		k := kindOf(m)
		kinds[k]++
		where := fmt.Sprintf("%s to %v (%q)", k, m.To, m.Subject)
		body := m.Subject + "\n" + m.Text + "\n" + m.HTML
		for _, f := range forbidden {
			if strings.Contains(body, f) {
				t.Errorf("%s holds %q", where, f)
			}
		}
		// The other partner's name is never next to their work.
		if m.To[0] == "blair@h.test" && strings.Contains(body, "Alex") || m.To[0] == "alex@h.test" && strings.Contains(body, "Blair") {
			t.Errorf("%s names the other partner", where)
		}
		if m.Text == "" || m.HTML == "" || !strings.Contains(m.Header.Get("Content-Type"), "multipart/alternative") {
			t.Errorf("%s is not text + HTML", where)
		}
		if !strings.Contains(m.Text, "Harbor") || !strings.Contains(m.Header.Get("From"), "Harbor") {
			t.Errorf("%s does not name the clinic: From %q", where, m.Header.Get("From"))
		}
		unsub := m.Header.Get("List-Unsubscribe")
		if mail.Kinds[k] == mail.Always && unsub != "" || mail.Kinds[k] != mail.Always && (unsub == "" ||
			m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click") {
			t.Errorf("%s: List-Unsubscribe %q for a mail of category %s", where, unsub, mail.Kinds[k])
		}
		// Its one link leads into Mend (a one-time link used since answers
		// that it was used, 410).
		l := firstLink(t, m, app.URL)
		res, err := http.Get(l)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 && !(res.StatusCode == 410 && strings.Contains(l, "/invitations/")) &&
			!(res.StatusCode == 410 && strings.Contains(l, "/password-reset/")) {
			t.Errorf("%s: link %s answers %d", where, l, res.StatusCode)
		}
	}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d mail(s) of kind %s, want %d (all: %v)", kinds[k], k, n, kinds)
		}
	}
	// The undeliverable invitation is on the admins' list and home.
	ab := app.Browser()
	ab.Login("ada@h.test")
	if home := ab.Get("/").Body; !strings.Contains(home, "could not be delivered") {
		t.Error("admin home does not say a message could not be delivered")
	}
	if page := ab.Get("/admin/mail").Body; !strings.Contains(page, "gone@x.test") || !strings.Contains(page, "550") {
		t.Errorf("undeliverable mail page:\n%s", page)
	}
}

func mustOK(t *testing.T, r apptest.Response) {
	t.Helper()
	if r.Status/100 != 2 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

// kindOf reads a message's kind from its Message-ID (mend.<job>.<kind>@host).
func kindOf(m mailtest.Message) mail.Kind {
	id := strings.Trim(m.Header.Get("Message-Id"), "<>")
	parts := strings.SplitN(strings.SplitN(id, "@", 2)[0], ".", 3)
	if len(parts) < 3 {
		return ""
	}
	return mail.Kind(parts[2])
}

func firstLink(t *testing.T, m mailtest.Message, prefix string) string {
	t.Helper()
	for _, l := range linkRe.FindAllString(m.Text, -1) {
		if strings.Contains(l, prefix) && !strings.Contains(l, "/unsubscribe/") && !strings.Contains(l, "/settings/") {
			return l
		}
	}
	t.Fatalf("no link with %q in %q:\n%s", prefix, m.Subject, m.Text)
	return ""
}

// waitFor waits for a mail to rcpt whose subject contains subject.
func waitFor(t *testing.T, srv *mailtest.Server, rcpt, subject string) mailtest.Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range srv.To(rcpt) {
			if strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail %q to %s (got %d)", subject, rcpt, len(srv.To(rcpt)))
	return mailtest.Message{}
}

func (p *practice) userID(t *testing.T, email string) int64 {
	t.Helper()
	var id int64
	if err := p.app.DB.Get(&id, `SELECT id FROM users WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	return id
}

// fillRequired answers every required field of a response's exercise
// with plain, valid values (for the safety check: the reassuring ones).
func fillRequired(t *testing.T, app *apptest.App, responseID int64, _ *apptest.API) map[string]any {
	t.Helper()
	var raw []byte
	if err := app.DB.Get(&raw, `SELECT v.schema FROM responses r JOIN assignments a ON a.id = r.assignment_id
		JOIN template_versions v ON v.template_id = a.template_id AND v.version = a.template_version WHERE r.id = $1`, responseID); err != nil {
		t.Fatal(err)
	}
	var sc exercise.Schema
	if err := json.Unmarshal(raw, &sc); err != nil {
		t.Fatal(err)
	}
	ans := map[string]any{}
	for _, f := range sc.Fields() {
		if !f.Required {
			continue
		}
		switch f.Type {
		case exercise.TypeShortText, exercise.TypeLongText:
			ans[f.Key] = "Some words."
		case exercise.TypeList:
			ans[f.Key] = []string{"One thing"}
		case exercise.TypeScale:
			ans[f.Key] = *f.Min
		case exercise.TypeSingleChoice:
			ans[f.Key] = f.Options[0]
		case exercise.TypeMultiChoice:
			ans[f.Key] = []string{f.Options[len(f.Options)-1]}
		case exercise.TypeCheckbox, exercise.TypeAgreement:
			ans[f.Key] = true
		case exercise.TypeDate:
			ans[f.Key] = "2026-03-02"
		}
	}
	return ans
}
