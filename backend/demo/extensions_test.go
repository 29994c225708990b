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

// TestLobbyExtensions (issue 24): #lobby echoes the user's line with its id, correction
// and reply, and its reactions and retractions; Babbage's answer is echo-<id> and mirrors
// them; the commands and a displayed marker on Babbage's copy work as with echo.
func TestLobbyExtensions(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	joinLobby(t, d, "al")
	next := func() *pb.ConversationMessage {
		for {
			f, m := d.Next()
			if f.Type == pb.WrapperMessage_TYPE_CONV_MESSAGE || f.Type == pb.WrapperMessage_TYPE_CONV_EVENT {
				return m.(*pb.ConversationMessage)
			}
		}
	}
	say := func(body, id string, set func(*pb.ConversationMessage)) {
		m := &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Lobby), Message: ptr(body), Id: ptr(id)}
		if set != nil {
			set(m)
		}
		d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, m)
	}
	say("helo", "g1", nil)
	if e, b := next(), next(); e.GetId() != "g1" || e.GetNickname() != "al" || b.GetId() != "echo-g1" || b.GetNickname() != "Babbage" {
		t.Errorf("echo %v, answer %v", e, b)
	}
	say("hello", "g2", func(m *pb.ConversationMessage) { m.ReplaceId = ptr("g1") })
	if e, b := next(), next(); e.GetReplaceId() != "g1" || b.GetReplaceId() != "echo-g1" || b.GetMessage() != "al: you said hello" {
		t.Errorf("correction echo %v, answer %v", e, b)
	}
	say("> x\nyes", "g3", func(m *pb.ConversationMessage) {
		m.ReplyToId, m.ReplyToSender, m.ReplyFallbackEnd = ptr("t1"), ptr("Turing"), ptrU(4)
	})
	if e, b := next(), next(); e.GetReplyToId() != "t1" || e.GetReplyFallbackEnd() != 4 || b.GetReplyToId() != "t1" ||
		b.GetReplyToSender() != "Turing" || b.ReplyFallbackEnd != nil {
		t.Errorf("reply echo %v, answer %v", e, b)
	}
	event := func(set func(*pb.ConversationMessage)) {
		m := &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Lobby), Message: ptr("")}
		set(m)
		d.Send(pb.WrapperMessage_TYPE_CONV_EVENT, m)
	}
	event(func(m *pb.ConversationMessage) { m.ReactToId, m.Reaction = ptr("echo-g2"), []string{"👍"} })
	if e, b := next(), next(); e.GetReactToId() != "echo-g2" || e.GetNickname() != "al" || b.GetReactToId() != "g2" ||
		b.GetNickname() != "Babbage" || b.Reaction[0] != "👍" {
		t.Errorf("reaction echo %v, mirror %v", e, b)
	}
	event(func(m *pb.ConversationMessage) { m.RetractId = ptr("g2") })
	if e, b := next(), next(); e.GetRetractId() != "g2" || e.GetNickname() != "al" || b.GetRetractId() != "echo-g2" {
		t.Errorf("retraction echo %v, mirror %v", e, b)
	}
	say("react 🎉", "g4", nil)
	if e, b := next(), next(); e.GetId() != "g4" || b.GetReactToId() != "g4" || b.GetNickname() != "Babbage" {
		t.Errorf("react command: echo %v, reaction %v", e, b)
	}
	say("displayed", "g5", nil)
	if _, b := next(), next(); b.GetDisplayedId() != "g5" || b.GetNickname() != "Babbage" {
		t.Errorf("displayed command %v", b)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Lobby),
		Message: ptr(""), Id: ptr("echo-g1")})
	if b := next(); b.GetDisplayedId() != "g1" || b.GetNickname() != "Babbage" || b.GetBuddyName() != demo.Lobby {
		t.Errorf("displayed mirror %v", b)
	}
}

// TestEchoMarkers (issue 24): the user's displayed marker on echo's copy is mirrored on
// the original, and "displayed" marks the command itself.
func TestEchoMarkers(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr(""), Id: ptr("echo-m1")})
	if e := d.Expect(pb.WrapperMessage_TYPE_CONV_EVENT).(*pb.ConversationMessage); e.GetDisplayedId() != "m1" || e.GetBuddyName() != demo.Echo {
		t.Errorf("displayed mirror %v", e)
	}
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr("displayed"), Id: ptr("m2")})
	d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK) // the receipt
	if e := d.Expect(pb.WrapperMessage_TYPE_CONV_EVENT).(*pb.ConversationMessage); e.GetDisplayedId() != "m2" {
		t.Errorf("displayed command %v", e)
	}
}
