package paging

import (
	"encoding/json"
	"testing"
)

// Every list answers {"items": [...], "next": "..."|null}: an empty page
// has [] (never null) and the last page a null next.
func TestEveryListHasOneJSONShape(t *testing.T) {
	for _, c := range []struct {
		p    Page[int]
		want string
	}{
		{Page[int]{}, `{"items":[],"next":null}`},
		{Page[int]{Items: []int{1, 2}}, `{"items":[1,2],"next":null}`},
		{Page[int]{Items: []int{3}, Next: EncodeCursor(struct{ I int64 }{3})}, `{"items":[3],"next":"eyJJIjozfQ"}`},
	} {
		b, err := json.Marshal(c.p)
		if err != nil || string(b) != c.want {
			t.Errorf("%+v: %s %v, want %s", c.p, b, err, c.want)
		}
	}
}
