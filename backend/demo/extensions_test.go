package demo_test

import (
	"testing"

	"github.com/gospectrum/spectrum2/backend/demo"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestEchoExtensions (issue 24): echo mirrors corrections, replies, reactions and
// retractions, and reacts, corrects, retracts and replies on request.
func TestEchoExtensions(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	msg := func(body, id string) *pb.ConversationMessage {
		return &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo), Message: ptr(body), Id: ptr(id)}
	}
	next := func() *pb.ConversationMessage {
		for {
			f, m := d.Next()
			if f.Type == pb.WrapperMessage_TYPE_CONV_MESSAGE || f.Type == pb.WrapperMessage_TYPE_CONV_EVENT {
				return m.(*pb.ConversationMessage)
			}
		}
	}
	c := msg("fixed", "m2")
	c.ReplaceId = ptr("m1")
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, c)
	if e := next(); e.GetId() != "echo-m2" || e.GetReplaceId() != "echo-m1" || e.GetMessage() != "fixed" {
		t.Errorf("echoed correction %v", e)
	}
	r := msg("> x\nyes", "m3")
	r.ReplyToId, r.ReplyToSender, r.ReplyFallbackEnd = ptr("echo-m1"), ptr(demo.Echo), ptrU(4)
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, r)
	if e := next(); e.GetReplyToId() != "echo-m1" || e.GetReplyToSender() != demo.Echo || e.GetReplyFallbackEnd() != 4 {
		t.Errorf("echoed reply %v", e)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr(""), ReactToId: ptr("echo-m2"), Reaction: []string{"👍"}})
	if e := next(); e.GetReactToId() != "m2" || len(e.Reaction) != 1 || e.Reaction[0] != "👍" {
		t.Errorf("mirrored reaction %v", e)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr(""), RetractId: ptr("m2")})
	if e := next(); e.GetRetractId() != "echo-m2" {
		t.Errorf("mirrored retraction %v", e)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, msg("react 🎉", "m4"))
	if e := next(); e.GetReactToId() != "m4" || e.Reaction[0] != "🎉" {
		t.Errorf("reaction on request %v", e)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, msg("correct better", "m5"))
	first, second := next(), next()
	if first.GetMessage() != demo.CorrectFirst || second.GetMessage() != "better" || second.GetReplaceId() != first.GetId() {
		t.Errorf("correction on request %v, %v", first, second)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, msg("retract", "m6"))
	first, second = next(), next()
	if first.GetMessage() != demo.RetractFirst || second.GetRetractId() != first.GetId() {
		t.Errorf("retraction on request %v, %v", first, second)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, msg("reply sure", "m7"))
	if e := next(); e.GetMessage() != "sure" || e.GetReplyToId() != "m7" || e.ReplyToSender == nil || e.GetReplyToSender() != "" {
		t.Errorf("reply on request %v", e)
	}
}

func ptrU(v uint32) *uint32 { return &v }
