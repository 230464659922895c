package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/mend-clinic/mend/internal/apptest"
	"github.com/mend-clinic/mend/internal/config"
)

// Behind a proxy that ends TLS (MEND_BASE_URL is https), the session
// cookie is Secure with the __Host- prefix and HSTS is sent, as when Mend
// serves TLS itself; over plain http neither is (a browser would drop a
// Secure cookie there and nobody could sign in).
func TestHTTPSBehindProxy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		base   string
		cookie string
		secure bool
	}{
		{"plain http", "", "mend_session", false},
		{"https proxy", "https://mend.example.org", "__Host-mend_session", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := apptest.New(t, func(c *config.Config) {
				if tc.base != "" {
					c.BaseURL = tc.base
				}
			})
			res, err := http.Get(app.URL + "/login")
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			var got *http.Cookie
			for _, c := range res.Cookies() {
				if strings.HasSuffix(c.Name, "mend_session") {
					got = c
				}
			}
			if got == nil || got.Name != tc.cookie || got.Secure != tc.secure || !got.HttpOnly || got.Path != "/" || got.Domain != "" {
				t.Fatalf("session cookie %+v, want %s secure=%v", got, tc.cookie, tc.secure)
			}
			hsts := res.Header.Get("Strict-Transport-Security")
			if (hsts != "") != tc.secure {
				t.Fatalf("HSTS %q with secure=%v", hsts, tc.secure)
			}
		})
	}
}
