package pgtest

import "testing"

// MustGet returns what the query finds; a query that finds nothing or fails
// fails the test (checked here on a recorder, not on this test).
func TestMustGetFailsOnNoRow(t *testing.T) {
	d := NewDB(t)
	var n int
	MustGet(t, d, &n, `SELECT 41 + $1::int`, 1)
	if n != 42 {
		t.Fatalf("MustGet read %d, want 42", n)
	}
	for _, q := range []string{`SELECT 1 WHERE false`, `SELECT no_such_column FROM pg_class`} {
		r := &recorder{TB: t}
		func() {
			defer func() { recover() }() // Fatalf ends the look-up with runtime.Goexit on a real T
			MustGet(r, d, &n, q)
		}()
		if !r.failed {
			t.Errorf("MustGet(%q) did not fail the test", q)
		}
	}
}

// recorder is a testing.TB whose Fatalf records the failure and stops.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic("fatal")
}
