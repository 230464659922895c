package mail

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/mend-clinic/mend/templates"
)

// Data is what a mail template may use. It holds no clinical content by
// construction: names of the clinic and of the recipient, a link, dates and
// neutral lines written by this package.
type Data struct {
	Clinic      string
	Name        string // the recipient's own name, for the greeting
	Link        string
	LinkLabel   string
	Expires     string // when a one-time link stops working, in the recipient's zone
	When        string // when a security event happened, in the recipient's zone
	Role        string // the role an invitation offers ("a counselor")
	Who         string // a staff member's name (counselor_joined)
	Self        bool   // the person asked for it themselves (self-service reset)
	Day         string
	Lines       []string
	Subject     string // filled by Render for the HTML title
	Unsubscribe string // one-click unsubscribe link (reminders, digest, updates)
	Settings    string // the notification settings page
}

// Renderer renders each kind from templates/mail: <kind>.txt defines
// "subject" and "text", <kind>.html defines "body" inside layout.html.
type Renderer struct {
	text map[Kind]*texttemplate.Template
	html map[Kind]*htmltemplate.Template
}

// NewRenderer parses every kind's templates once; a missing or broken one
// is an error at start-up, not when the mail is due.
func NewRenderer() (*Renderer, error) {
	r := &Renderer{text: map[Kind]*texttemplate.Template{}, html: map[Kind]*htmltemplate.Template{}}
	for k := range Kinds {
		t, err := texttemplate.ParseFS(templates.FS, "mail/footer.txt", "mail/"+string(k)+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.txt: %w", k, err)
		}
		if t.Lookup("subject") == nil || t.Lookup("text") == nil {
			return nil, fmt.Errorf("mail template %s.txt: needs \"subject\" and \"text\"", k)
		}
		h, err := htmltemplate.ParseFS(templates.FS, "mail/layout.html", "mail/"+string(k)+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", k, err)
		}
		r.text[k], r.html[k] = t, h
	}
	return r, nil
}

// Render returns the subject, text and HTML of a kind.
func (r *Renderer) Render(k Kind, d Data) (subject, text, html string, err error) {
	t, h := r.text[k], r.html[k]
	if t == nil || h == nil {
		return "", "", "", fmt.Errorf("mail: unknown kind %q", k)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "subject", d); err != nil {
		return "", "", "", err
	}
	subject = strings.Join(strings.Fields(b.String()), " ")
	d.Subject = subject
	b.Reset()
	if err := t.ExecuteTemplate(&b, "text", d); err != nil {
		return "", "", "", err
	}
	text = b.String()
	b.Reset()
	if err := h.ExecuteTemplate(&b, "layout", d); err != nil {
		return "", "", "", err
	}
	return subject, text, b.String(), nil
}
