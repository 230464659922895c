package paging

import "testing"

func TestParseLimit(t *testing.T) {
	for v, want := range map[string]int{"": Default, "1": 1, "200": 200, "50": 50} {
		if n, err := ParseLimit(v); err != nil || n != want {
			t.Errorf("%q: %d %v", v, n, err)
		}
	}
	for _, v := range []string{"0", "-1", "201", "ten", "1e3", " 5"} {
		if _, err := ParseLimit(v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
