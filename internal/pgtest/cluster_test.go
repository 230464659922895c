package pgtest

import (
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// The private cluster trusts every connection on its unix socket, so the
// socket's folder is its owner's only: another local user of the machine
// cannot connect (scripts/pg.sh makes it so on every start).
func TestPrivateClusterSocketFolderIsOwnerOnly(t *testing.T) {
	once.Do(setup)
	if initErr != nil {
		t.Fatal(initErr)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		t.Fatal(err)
	}
	sock := u.Query().Get("host")
	if !filepath.IsAbs(sock) {
		t.Skip("TEST_DATABASE_URL is not a unix socket")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(sock), "data", "PG_VERSION")); err != nil {
		t.Skip("TEST_DATABASE_URL is not a private cluster of scripts/pg.sh")
	}
	st, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Fatalf("%s has mode %v: others can reach the socket", sock, perm)
	}
}
