package security

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/pgtest"
)

func TestLockoutGrows(t *testing.T) {
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for i, w := range want {
		if got := LockoutFor(i + 1); got != w {
			t.Errorf("lockout %d = %v, want %v", i+1, got, w)
		}
	}
}

func TestThrottleAccountWindowAndGrowth(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Microsecond)
	th := &Throttle{db: d, now: func() time.Time { return now }}
	check := func(email, ip string) time.Duration {
		t.Helper()
		w, err := th.Check(ctx, email, ip)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	fail := func(email, ip string) {
		t.Helper()
		if err := th.Fail(ctx, email, ip); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < MaxPerAccount-1; i++ {
		fail("Someone@Example.test", "192.0.2.1")
	}
	if w := check("someone@example.test", "192.0.2.1"); w != 0 {
		t.Fatalf("locked after %d failures: %v", MaxPerAccount-1, w)
	}
	fail(" someone@example.test", "192.0.2.2") // same account, other IP, other spelling
	if w := check("SOMEONE@example.test", "198.51.100.9"); w != time.Minute {
		t.Fatalf("first lockout %v, want 1m", w)
	}
	// After the lockout, five more failures lock for twice as long.
	now = now.Add(2 * time.Minute)
	if w := check("someone@example.test", "198.51.100.9"); w != 0 {
		t.Fatalf("still locked: %v", w)
	}
	for i := 0; i < MaxPerAccount; i++ {
		fail("someone@example.test", "198.51.100.9")
	}
	if w := check("someone@example.test", "198.51.100.9"); w != 2*time.Minute {
		t.Fatalf("second lockout %v, want 2m", w)
	}
	// Failures older than the window are forgotten.
	fail("other@example.test", "203.0.113.5")
	now = now.Add(Window + time.Second)
	for i := 0; i < MaxPerAccount-1; i++ {
		fail("other@example.test", "203.0.113.5")
	}
	if w := check("other@example.test", "203.0.113.5"); w != 0 {
		t.Fatalf("old failure still counted: %v", w)
	}
	// Success clears the account, not the IP.
	if err := th.Succeed(ctx, "someone@example.test"); err != nil {
		t.Fatal(err)
	}
	if w := check("someone@example.test", "192.0.2.77"); w != 0 {
		t.Fatalf("after success: %v", w)
	}
	var n int
	d.Get(&n, `SELECT count(*) FROM login_failures WHERE key = $1`, IPKey("203.0.113.5"))
	if n != MaxPerAccount-1 {
		t.Fatalf("IP failures %d", n)
	}
	// The table holds no email addresses.
	d.Get(&n, `SELECT count(*) FROM login_failures WHERE key LIKE '%@%'`)
	if n != 0 {
		t.Fatal("email stored in clear")
	}
}

func TestThrottleIP(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	th := NewThrottle(d)
	for i := 0; i < MaxPerIP; i++ {
		if err := th.Fail(ctx, "user"+itoa(i)+"@example.test", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	w, err := th.Check(ctx, "fresh@example.test", "192.0.2.1")
	if err != nil || w <= 14*time.Minute || w > Window {
		t.Fatalf("IP wait %v %v", w, err)
	}
	if w, _ := th.Check(ctx, "fresh@example.test", "192.0.2.2"); w != 0 {
		t.Fatalf("another IP throttled: %v", w)
	}
}

func TestMFASecretEncryptedAndStepReuse(t *testing.T) {
	d := pgtest.NewDB(t)
	ctx := context.Background()
	var uid int64
	if err := d.Get(&uid, `INSERT INTO users (email, name) VALUES ('t@example.test', 'T') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	m, err := NewMFA(d, audit.New(make([]byte, 32)), []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	a := actor.Actor{UserID: uid}
	en, err := m.Pending(ctx, uid, "t@example.test")
	if err != nil {
		t.Fatal(err)
	}
	var enc []byte
	d.Get(&enc, `SELECT secret_enc FROM user_totp WHERE user_id = $1`, uid)
	if len(enc) == 0 || string(enc) == en.Secret || containsBytes(enc, []byte(en.Secret)) {
		t.Fatal("secret stored in clear")
	}
	if _, err := m.Confirm(ctx, a, "000000x"); err != ErrBadCode {
		t.Fatalf("bad code confirmed: %v", err)
	}
	code, _ := totp.GenerateCode(en.Secret, time.Now())
	codes, err := m.Confirm(ctx, a, code)
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v %d", err, len(codes))
	}
	// The step used to confirm cannot sign in again.
	if err := m.Verify(ctx, a, code); err != ErrBadCode {
		t.Fatalf("reused step accepted: %v", err)
	}
	if err := m.Verify(ctx, a, codes[0]); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if err := m.Verify(ctx, a, codes[0]); err != ErrBadCode {
		t.Fatalf("recovery code reused: %v", err)
	}
	// A secret decrypted with another key fails (authenticated encryption).
	other, _ := NewMFA(d, audit.New(make([]byte, 32)), []byte("another key, 32 bytes long......"))
	if _, err := other.open(uid, enc); err == nil {
		t.Fatal("decrypted with the wrong key")
	}
}

func containsBytes(h, n []byte) bool {
	for i := 0; i+len(n) <= len(h); i++ {
		if string(h[i:i+len(n)]) == string(n) {
			return true
		}
	}
	return false
}
