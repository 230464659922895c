package mail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// Dir writes each message as an .eml file in a folder instead of sending
// it: the mail of `make run` (and of any server without MEND_SMTP_URL), so
// nothing leaves the machine and every message can still be opened in a
// mail program or read as text. Files are readable by their owner only:
// they hold one-time links.
type Dir struct {
	Path string
	Log  *slog.Logger
}

// Describe names the folder.
func (d Dir) Describe() string {
	return "files in " + d.Path + " (MEND_SMTP_URL not set: nothing leaves this machine)"
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_.-]+`)

// Send writes m to <Path>/<UTC time>-<kind>-<recipient>.eml.
func (d Dir) Send(ctx context.Context, m Message) error {
	if err := os.MkdirAll(d.Path, 0o700); err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s-%s.eml", time.Now().UTC().Format("20060102T150405.000000Z"), m.Kind,
		unsafeName.ReplaceAllString(m.To, "_"))
	p := filepath.Join(d.Path, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if err := WriteEML(f, m); err != nil {
		f.Close()
		os.Remove(p)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if d.Log != nil {
		d.Log.InfoContext(ctx, "mail written (not sent: no MEND_SMTP_URL)", "file", p, "kind", string(m.Kind))
	}
	return nil
}
