package config

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzLoadProxiesAndBodyLimit fuzzes the two parsed settings an operator
// types by hand: MEND_TRUSTED_PROXIES and MEND_BODY_LIMIT. No panic; an
// accepted body limit is the number given and ≥ 1024; accepted proxies are
// real networks and written back out they load to the same list; a refusal
// names the variable.
func FuzzLoadProxiesAndBodyLimit(f *testing.F) {
	for _, s := range [][2]string{
		{"10.0.0.0/8, 192.168.1.1", "1048576"}, {"::1,fd00::/8", "1024"}, {"", ""}, {"10.0.0.0/33", "1023"},
		{"0.0.0.0/0", "-1"}, {",,, ,", "9223372036854775807"}, {"1.2.3.4/", "1e6"}, {"::ffff:1.2.3.4", " 2048"}, {"a:b", "0x400"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, proxies, limit string) {
		env := map[string]string{"MEND_TRUSTED_PROXIES": proxies, "MEND_BODY_LIMIT": limit}
		c, err := Load(func(k string) string { return env[k] })
		if err != nil {
			if !strings.Contains(err.Error(), "MEND_TRUSTED_PROXIES") && !strings.Contains(err.Error(), "MEND_BODY_LIMIT") {
				t.Fatalf("error does not name the setting: %v", err)
			}
			return
		}
		if c.BodyLimit < 1024 {
			t.Fatalf("body limit %d accepted", c.BodyLimit)
		}
		if limit != "" {
			if n, err := strconv.ParseInt(limit, 10, 64); err != nil || n != c.BodyLimit {
				t.Fatalf("MEND_BODY_LIMIT %q loaded as %d", limit, c.BodyLimit)
			}
		}
		var out []string
		for _, n := range c.TrustedProxies {
			if n == nil || n.IP == nil || n.Mask == nil {
				t.Fatalf("nil network from %q", proxies)
			}
			out = append(out, n.String())
		}
		env2 := map[string]string{"MEND_TRUSTED_PROXIES": strings.Join(out, ",")}
		c2, err := Load(func(k string) string { return env2[k] })
		if err != nil || len(c2.TrustedProxies) != len(c.TrustedProxies) {
			t.Fatalf("proxies %q do not reload: %v", out, err)
		}
		for i := range c2.TrustedProxies {
			if c2.TrustedProxies[i].String() != out[i] {
				t.Fatalf("proxy %d: %s then %s", i, out[i], c2.TrustedProxies[i])
			}
		}
	})
}
