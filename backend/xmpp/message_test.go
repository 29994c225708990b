package xmpp

import (
	"testing"

	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestChatBothWays(t *testing.T) {
	_, d, b := friends(t)
	// user -> bob, with a receipt request (the daemon sends an id only then).
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(bob),
		Message: ptr("hello bob"), Id: ptr("m1")})
	msg := b.expect("message", func(e *stanza.Element) bool {
		return e.Local == "message" && e.ChildText(stanza.NSClient, "body") != ""
	})
	if msg.ChildText(stanza.NSClient, "body") != "hello bob" || msg.ID() != "m1" || msg.Type() != "chat" ||
		msg.Child(stanza.NSReceipts, "request") == nil {
		t.Errorf("bob got %s", msg)
	}
	b.send(el("message", "to", msg.From(), "id", "r1").Append(stanza.New(stanza.NSReceipts, "received", "id", "m1")))
	ack := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, nil)
	if ack.GetBuddyName() != bob || ack.GetId() != "m1" {
		t.Errorf("ack %v", ack)
	}
	// bob types, then writes with a receipt request.
	b.send(el("message", "to", alice, "type", "chat").Append(stanza.New(stanza.NSChatStates, "composing")))
	typing := waitFor[*pb.Buddy](t, d, pb.WrapperMessage_TYPE_BUDDY_TYPING, nil)
	if typing.GetBuddyName() != bob {
		t.Errorf("typing %v", typing)
	}
	b.send(el("message", "to", alice, "type", "chat", "id", "b1").Append(
		text(stanza.NSClient, "body", "hi alice"), stanza.New(stanza.NSReceipts, "request"),
		stanza.New(stanza.NSChatStates, "active"),
		stanza.New(stanza.NSOOB, "x").Append(text(stanza.NSOOB, "url", "https://example.test/cat.png"))))
	in := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)
	if in.GetBuddyName() != bob || in.GetMessage() != "hi alice" || in.GetNickname() != "" ||
		len(in.GetAttachment()) != 1 || in.GetAttachment()[0].GetUrl() != "https://example.test/cat.png" {
		t.Errorf("user got %v", in)
	}
	b.expect("receipt", func(e *stanza.Element) bool {
		r := e.Child(stanza.NSReceipts, "received")
		return r != nil && r.Attr("id") == "b1"
	})
	// The user's chat states reach bob.
	d.Send(pb.WrapperMessage_TYPE_BUDDY_TYPED, &pb.Buddy{UserName: ptr(user), BuddyName: ptr(bob)})
	b.expect("paused", func(e *stanza.Element) bool { return e.Child(stanza.NSChatStates, "paused") != nil })
}

func TestXHTMLAndAttention(t *testing.T) {
	_, d, b := friends(t)
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(bob),
		Message: ptr("bold"), Xhtml: ptr("<strong>bold</strong>")})
	b.expect("XHTML-IM", func(e *stanza.Element) bool {
		return e.ChildText(stanza.NSClient, "body") == "bold" && xhtmlOf(e) == "<strong>bold</strong>"
	})
	b.send(el("message", "to", alice, "type", "chat").Append(text(stanza.NSClient, "body", "plain"),
		stanza.New(stanza.NSXHTMLIM, "html").Append(parseXHTML("<em>rich</em>"))))
	if m := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil); m.GetXhtml() != "<em>rich</em>" {
		t.Errorf("xhtml %v", m)
	}
	d.Send(pb.WrapperMessage_TYPE_ATTENTION, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(bob), Message: ptr("hey")})
	b.expect("attention", func(e *stanza.Element) bool { return e.Child(stanza.NSAttention, "attention") != nil })
	b.send(el("message", "to", alice, "type", "headline").Append(stanza.New(stanza.NSAttention, "attention")))
	if m := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_ATTENTION, nil); m.GetBuddyName() != bob {
		t.Errorf("attention %v", m)
	}
}

func TestCarbonFromOtherClient(t *testing.T) {
	p, d, b := friends(t)
	other := connectPeer(t, p, "alice", pass, "desktop")
	other.iq(el("iq", "type", "set").Append(stanza.New(stanza.NSCarbons, "enable")))
	other.send(el("presence"))
	other.send(el("message", "to", bob, "type", "chat").Append(text(stanza.NSClient, "body", "from my desktop")))
	b.expect("message", func(e *stanza.Element) bool { return e.ChildText(stanza.NSClient, "body") == "from my desktop" })
	m := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m *pb.ConversationMessage) bool { return m.GetCarbon() })
	if m.GetBuddyName() != bob || m.GetMessage() != "from my desktop" {
		t.Errorf("carbon %v", m)
	}
}
