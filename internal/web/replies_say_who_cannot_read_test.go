package web_test

import (
	"fmt"
	"strings"
	"testing"
)

// Replies: the assign form marks a response the replying partner cannot
// read; the reply page tells them; the original lists its replies.
func TestRepliesHTTP(t *testing.T) {
	t.Parallel()
	p := newPractice(t)
	cora, alex := p.app.Login("cora@h.test"), p.app.Login("alex@h.test")
	a := p.assign(t, cora, map[string]any{"template_id": p.tpl["apology-letter"], "mode": "individual", "partner_id": p.partnerA})
	rid := p.response(t, a, p.partnerA).ID
	p.submitLetter(t, alex, rid)
	coraB := p.browser(t, "cora@h.test")
	form := coraB.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body
	if !strings.Contains(form, "by Alex (not shared with Blair yet)") {
		t.Fatal("the assign form does not mark the unshared response")
	}
	reply := p.assign(t, cora, map[string]any{"template_id": p.tpl["forgiveness-reflection"], "mode": "individual", "partner_id": p.partnerB, "reply_to": rid})
	replyPage := fmt.Sprintf("/responses/%d", p.response(t, reply, p.partnerB).ID)
	blairB := p.browser(t, "blair@h.test")
	body := blairB.Get(replyPage).Body
	if !strings.Contains(body, "Alex has not shared it with you yet") || strings.Contains(body, "I hid the messages") {
		t.Fatal("the reply page does not say the response is not shared yet")
	}
	body = coraB.Get(fmt.Sprintf("/responses/%d", rid)).Body
	if !strings.Contains(body, "Replies to this response") || !strings.Contains(body, "by Blair") {
		t.Fatal("the letter's page does not list its reply")
	}
	alex.Do("POST", fmt.Sprintf("/api/v1/responses/%d/share", rid), map[string]any{"shared": true}, nil)
	if body := blairB.Get(replyPage).Body; !strings.Contains(body, "I hid the messages") {
		t.Fatal("the shared letter is not shown beside the reply")
	}
	form = coraB.Get(fmt.Sprintf("/couples/%d/assign", p.couple)).Body
	if strings.Contains(form, "not shared with Blair yet") {
		t.Fatal("a shared response is still marked")
	}
	// The API gives the reply_of it shows, on the response too.
	var got struct {
		ReplyOf *struct{ ID int64 } `json:"reply_of"`
	}
	p.app.Login("blair@h.test").Do("GET", "/api/v1"+replyPage, nil, &got)
	if got.ReplyOf == nil || got.ReplyOf.ID != rid {
		t.Fatalf("API reply_of: %+v", got.ReplyOf)
	}
}
