package security

import (
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// FuzzTOTPCode fuzzes the TOTP code parser (matchStep): whatever is typed,
// no panic; a code matches only if, once spaces are removed, it is exactly
// the six digits of an accepted step after last; the current code with
// spaces sprinkled in is always accepted.
func FuzzTOTPCode(f *testing.F) {
	const secret = "JBSWY3DPEHPK3PXP"
	now := time.Unix(1_800_000_000, 0)
	m := &MFA{now: func() time.Time { return now }}
	cur, _ := totp.GenerateCodeCustom(secret, now, totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	for _, s := range []string{cur, " " + cur[:3] + " " + cur[3:] + " ", "000000", "12345", "1234567", "", "\x00\x00\x00\x00\x00\x00", "٣٣٣٣٣٣", "abcdef", "aaaa-bbbb-cccc"} {
		f.Add(s, int64(0))
	}
	f.Add(cur, now.Unix()/period)
	f.Fuzz(func(t *testing.T, code string, last int64) {
		step := m.matchStep(secret, code, last)
		if step == 0 {
			return
		}
		if step <= last {
			t.Fatalf("step %d accepted after last %d", step, last)
		}
		nowStep := now.Unix() / period
		if step < nowStep-skew || step > nowStep+skew {
			t.Fatalf("step %d outside the window", step)
		}
		norm := strings.ReplaceAll(strings.TrimSpace(code), " ", "")
		want, _ := totp.GenerateCodeCustom(secret, time.Unix(step*period, 0), totp.ValidateOpts{Period: period, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if norm != want {
			t.Fatalf("code %q accepted as step %d (code %s)", code, step, want)
		}
		// The accepted code, spaced as an app shows it, is accepted again
		// (before last_step records it).
		if m.matchStep(secret, want[:3]+" "+want[3:], last) == 0 {
			t.Fatal("spaced code refused")
		}
	})
}
