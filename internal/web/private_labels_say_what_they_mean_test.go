package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// "(private to you)" meant "answers for the counselor only" in the assign
// form and "only you can see this exercise" in the library; each now says
// what it means, and the assign form's safety check says whose the answers are.
func TestPrivateLabelsSayWhatTheyMean(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	coraB := p.browser(t, "cora@h.test")
	form := coraB.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body
	if strings.Contains(form, "private to you") || !strings.Contains(form, "(answers for the counselor only)") {
		t.Fatal("the assign form does not say the safety check's answers are for the counselor only")
	}
}
