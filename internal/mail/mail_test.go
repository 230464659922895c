package mail_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/mail"
)

func TestLogMailerLogsNoSecrets(t *testing.T) {
	var buf bytes.Buffer
	m := mail.LogMailer{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	err := m.Send(context.Background(), mail.Message{To: "ana.rivera@example.org", Subject: "Your invitation",
		Body: "https://mend.test/invitations/SECRET-TOKEN", Ref: "invitation:42"})
	if err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "SECRET-TOKEN") || strings.Contains(out, "ana.rivera") {
		t.Errorf("log leaks the token or the address: %s", out)
	}
	if !strings.Contains(out, "example.org") || !strings.Contains(out, "invitation:42") {
		t.Errorf("log lacks the domain or the reference: %s", out)
	}
}
