package paging

import (
	"encoding/json"
	"testing"
)

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

// A cursor is refused (400) when it is not one a page wrote, in particular
// when its text would reach PostgreSQL with a NUL byte.
func TestDecodeCursorRefusesWhatPostgresCannotTake(t *testing.T) {
	type cur struct {
		L string `json:"l"`
		I int64  `json:"i"`
	}
	var c cur
	if err := DecodeCursor(EncodeCursor(cur{L: "rivera & chen", I: 7}), &c); err != nil || c != (cur{"rivera & chen", 7}) {
		t.Fatalf("round trip: %+v %v", c, err)
	}
	for _, bad := range []string{
		"eyJsIjoiXHUwMDAwIiwiaSI6MSwidiI6MH0", // {"l":"\u0000","i":1,"v":0}: the reviewer's cursor
		EncodeCursor(map[string]any{"l": "a\x00b", "i": 1}),
		EncodeCursor(map[string]any{"l\u0000": "x", "i": 1}),
		EncodeCursor(map[string]any{"l": []any{"\u0000"}, "i": 1}),
		"not base64!", "W10", // "[]" is not a cursor object
		EncodeCursor(json.RawMessage(`{"l":"x","i":"one"}`)),
	} {
		var c cur
		if err := DecodeCursor(bad, &c); err != ErrBadCursor {
			t.Errorf("%q: %v (%+v), want ErrBadCursor", bad, err, c)
		}
	}
}

// A list ordered by one id continues from an opaque cursor too: a raw
// number, a cursor of another list or one without an id is refused.
func TestIDCursorIsOpaqueAndChecked(t *testing.T) {
	if id, err := DecodeID(EncodeID(42)); err != nil || id != 42 {
		t.Fatalf("round trip: %d %v", id, err)
	}
	if id, err := DecodeID(""); err != nil || id != 0 {
		t.Fatalf("first page: %d %v", id, err)
	}
	for _, bad := range []string{"42", EncodeID(0), EncodeID(-3), EncodeCursor(map[string]any{"l": "x"}), "eyJpIjoiXHUwMDAwIn0"} {
		if _, err := DecodeID(bad); err != ErrBadCursor {
			t.Errorf("%q: %v, want ErrBadCursor", bad, err)
		}
	}
}
