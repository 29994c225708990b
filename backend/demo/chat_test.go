package demo_test

import (
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend/demo"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestEchoMessageWithReceipt(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr("hello"), Xhtml: ptr("<p>hello</p>"), Id: ptr("m1")})
	ack := d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK).(*pb.ConversationMessage)
	if ack.GetBuddyName() != demo.Echo || ack.GetId() != "m1" || ack.GetUserName() != user {
		t.Errorf("ack %v", ack)
	}
	m := d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE).(*pb.ConversationMessage)
	if m.GetBuddyName() != demo.Echo || m.GetMessage() != "hello" || m.GetXhtml() != "<p>hello</p>" ||
		m.GetNickname() != "" || m.GetPm() {
		t.Errorf("echo %v", m)
	}
	// The echo is a new message with an id of its own: a client may drop a message
	// whose id it already knows.
	if m.GetId() == "" || m.GetId() == "m1" {
		t.Errorf("echo id %q", m.GetId())
	}
	// Without a receipt request there is no ack; the echo still has a fresh id.
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo),
		Message: ptr("again"), Xhtml: ptr("")})
	again := d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE).(*pb.ConversationMessage)
	if again.GetMessage() != "again" || again.GetId() == "" || again.GetId() == m.GetId() {
		t.Errorf("echo %v after %v", again, m)
	}
}

func TestEchoTypingAndAttention(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	for _, typ := range []pb.WrapperMessage_Type{pb.WrapperMessage_TYPE_BUDDY_TYPING,
		pb.WrapperMessage_TYPE_BUDDY_TYPED, pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING} {
		d.Send(typ, &pb.Buddy{UserName: ptr(user), BuddyName: ptr(demo.Echo)})
		if b := d.Expect(typ).(*pb.Buddy); b.GetBuddyName() != demo.Echo {
			t.Errorf("%v from %q", typ, b.GetBuddyName())
		}
	}
	d.Send(pb.WrapperMessage_TYPE_ATTENTION, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Echo), Message: ptr("wake up")})
	if m := d.Expect(pb.WrapperMessage_TYPE_ATTENTION).(*pb.ConversationMessage); m.GetMessage() != "wake up" {
		t.Errorf("attention %v", m)
	}
}

func TestOtherContactsAckButStayQuiet(t *testing.T) {
	d := start(t, "contacts", "3")
	login(t, d, "alice")
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("contact0002"),
		Message: ptr("hi"), Id: ptr("x")})
	d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK)
	d.Send(pb.WrapperMessage_TYPE_BUDDY_TYPING, &pb.Buddy{UserName: ptr(user), BuddyName: ptr("contact0002")})
	d.Handshake()
}

func TestVCards(t *testing.T) {
	d := start(t, "contacts", "3")
	login(t, d, "alice")
	tests := []struct {
		buddy, fullname string
		photo           bool
	}{
		{demo.Echo, "Echo Bot", true},
		{demo.Clock, "Speaking Clock", false},
		{"contact0003", "Contact 3", false},
		{"", "alice", false},
		{"#lobby/Ada", "Ada", false},
		{"contact0004", "", false},
	}
	for i, tc := range tests {
		d.Send(pb.WrapperMessage_TYPE_VCARD, &pb.VCard{UserName: ptr(user), BuddyName: ptr(tc.buddy), Id: ptr(int32(i + 1))})
		v := d.Expect(pb.WrapperMessage_TYPE_VCARD).(*pb.VCard)
		if v.GetId() != int32(i+1) || v.GetFullname() != tc.fullname || (len(v.GetPhoto()) > 0) != tc.photo {
			t.Errorf("%q: vCard %v", tc.buddy, v)
		}
	}
}

func TestRosterEdits(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	d.Send(pb.WrapperMessage_TYPE_BUDDY_CHANGED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr("bob"), Alias: ptr("Bob"),
		Group: []string{"Friends"}, Status: pb.StatusType_STATUS_NONE.Enum()})
	b := d.Expect(pb.WrapperMessage_TYPE_BUDDY_CHANGED).(*pb.Buddy)
	if b.GetBuddyName() != "bob" || b.GetAlias() != "Bob" || b.GetGroup()[0] != "Friends" || b.GetStatus() != pb.StatusType_STATUS_NONE {
		t.Errorf("added buddy %v", b)
	}
	d.Send(pb.WrapperMessage_TYPE_BUDDY_REMOVED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr("bob")})
	if b := d.Expect(pb.WrapperMessage_TYPE_BUDDY_REMOVED).(*pb.Buddy); b.GetBuddyName() != "bob" {
		t.Errorf("removed %v", b)
	}
}

// TestLaterAnswersAfterADelay: later answers each message once, LaterDelay afterwards.
func TestLaterAnswersAfterADelay(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	sent := time.Now()
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Later),
		Message: ptr("are you there?")})
	m := d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE).(*pb.ConversationMessage)
	if m.GetBuddyName() != demo.Later || m.GetMessage() != "later: are you there?" {
		t.Errorf("answer %v", m)
	}
	if waited := time.Since(sent); waited < demo.LaterDelay {
		t.Errorf("answered after %v, before LaterDelay", waited)
	}
}
