package router

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Issue 24, a client's corrections, replies, reactions and retractions to a contact.

func TestCorrectionAndReplyToBackend(t *testing.T) {
	e, _, h := chatEnv(t, nil)
	isText := func(text string) func(proto.Message) bool {
		return func(m proto.Message) bool { return m.(*pb.ConversationMessage).GetMessage() == text }
	}
	// Without the keys: the corrected text goes as a message of its own, without the fields.
	send(t, h, `<message to='alice@localhost' type='chat' id='c1'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("fixed")).(*pb.ConversationMessage)
	if c.ReplaceId != nil {
		t.Errorf("replaceId without features.corrections: %v", c)
	}
	e.be.set(func(f *fakeBackends) { f.features.Corrections, f.features.Replies = true, true })
	send(t, h, `<message to='alice@localhost' type='chat' id='c2'><body>fixed again</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
	c = e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("fixed again")).(*pb.ConversationMessage)
	if c.GetReplaceId() != "m1" || c.GetId() != "c2" {
		t.Errorf("correction %v", c)
	}
	send(t, h, `<message to='alice@localhost' type='chat' id='r1'><body>&gt; hi
yes</body><reply xmlns='urn:xmpp:reply:0' to='alice@localhost/bot' id='m7'/>`+
		`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='5'/></fallback></message>`)
	c = e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("> hi\nyes")).(*pb.ConversationMessage)
	if c.GetReplyToId() != "m7" || c.GetReplyToSender() != "Alice" || c.GetReplyFallbackEnd() != 5 {
		t.Errorf("reply %v", c)
	}
	// The user's reply to their own message names no sender; a fallback past the body is not taken.
	send(t, h, `<message to='alice@localhost' type='chat' id='r2'><body>me too</body><reply xmlns='urn:xmpp:reply:0' to='bob@localhost/x' id='m8'/>`+
		`<fallback xmlns='urn:xmpp:feature-fallback:0' for='urn:xmpp:reply:0'><body start='0' end='99'/></fallback></message>`)
	c = e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, isText("me too")).(*pb.ConversationMessage)
	if c.GetReplyToId() != "m8" || c.ReplyToSender == nil || c.GetReplyToSender() != "" || c.ReplyFallbackEnd != nil {
		t.Errorf("own reply %v", c)
	}
}

func TestReactionRetractionToBackend(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	isErr := func(id string) func(*xmpp.Element) bool {
		return func(el *xmpp.Element) bool {
			return el.Local == "message" && el.Type() == "error" && el.ID() == id &&
				el.Child(xmpp.NSClient, "error").Child(xmpp.NSStanzas, xmpp.StanzaFeatureNotImplemented) != nil
		}
	}
	react := `<message to='alice@localhost' type='chat' id='%s'><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction><reaction>🎉</reaction></reactions></message>`
	retract := `<message to='alice@localhost' type='chat' id='%s'><body>fallback text</body><apply-to xmlns='urn:xmpp:fasten:0' id='m2'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to></message>`
	// Without the keys the client is told, and nothing goes (the retraction's fallback body neither).
	send(t, h, fmt.Sprintf(react, "e1"))
	tr.wait(t, "feature-not-implemented for the reaction", isErr("e1"))
	send(t, h, fmt.Sprintf(retract, "e2"))
	tr.wait(t, "feature-not-implemented for the retraction", isErr("e2"))
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_EVENT) + e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE); n != 0 {
		t.Fatalf("%d frames sent for refused events", n)
	}
	e.be.set(func(f *fakeBackends) { f.features.Reactions, f.features.Retractions = true, true })
	send(t, h, fmt.Sprintf(react, "e3"))
	ev := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_EVENT, func(m proto.Message) bool {
		return m.(*pb.ConversationMessage).GetReactToId() == "m1"
	}).(*pb.ConversationMessage)
	if len(ev.Reaction) != 2 || ev.Reaction[0] != "👍" || ev.GetBuddyName() != "Alice" || ev.GetMessage() != "" {
		t.Errorf("reaction %v", ev)
	}
	send(t, h, fmt.Sprintf(retract, "e4"))
	send(t, h, `<message to='alice@localhost' type='chat' id='e5'><retract xmlns='urn:xmpp:message-retract:1' id='m3'/></message>`)
	for _, id := range []string{"m2", "m3"} {
		e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_EVENT, func(m proto.Message) bool {
			return m.(*pb.ConversationMessage).GetRetractId() == id
		})
	}
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE); n != 0 {
		t.Errorf("%d CONV_MESSAGE sent: a retraction's fallback body went to the backend", n)
	}
}

// TestExtensionsFromBackend: a contact's correction and reply, and its reactions,
// retraction and displayed marker (CONV_EVENT), reach the client as the XEPs' elements.
func TestExtensionsFromBackend(t *testing.T) {
	e, tr, _ := chatEnv(t, nil)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("fixed"), Id: s("m2"), ReplaceId: s("m1"),
	})
	m := tr.wait(t, "correction", func(el *xmpp.Element) bool { return isMsg(el) && el.ID() == "m2" })
	if r := m.Child(nsCorrect, "replace"); r == nil || r.Attr("id") != "m1" || m.ChildText(xmpp.NSClient, "body") != "fixed" {
		t.Errorf("correction %s", m)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("> hi\nyes"), Id: s("m3"),
		ReplyToId: s("u1"), ReplyToSender: s(""), ReplyFallbackEnd: proto.Uint32(5),
	})
	m = tr.wait(t, "reply", func(el *xmpp.Element) bool { return isMsg(el) && el.ID() == "m3" })
	r, fb := m.Child(nsReply, "reply"), m.Child(nsFallback, "fallback")
	if r == nil || r.Attr("id") != "u1" || r.Attr("to") != "bob@localhost" || fb == nil || fb.Attr("for") != nsReply ||
		fb.Child(nsFallback, "body") == nil || fb.Child(nsFallback, "body").Attr("end") != "5" {
		t.Errorf("reply %s", m)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s(""), ReactToId: s("u1"), Reaction: []string{"👍"},
	})
	m = tr.wait(t, "reactions", func(el *xmpp.Element) bool { return isMsg(el) && el.Child(nsReactions, "reactions") != nil })
	if rs := m.Child(nsReactions, "reactions"); rs.Attr("id") != "u1" || rs.ChildText(nsReactions, "reaction") != "👍" ||
		m.From() != "alice@localhost/bot" {
		t.Errorf("reactions %s", m)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s(""), RetractId: s("m2"),
	})
	m = tr.wait(t, "retraction", func(el *xmpp.Element) bool { return isMsg(el) && el.Child(nsRetract, "retract") != nil })
	if m.Child(nsRetract, "retract").Attr("id") != "m2" || m.Child(nsFasten, "apply-to").Attr("id") != "m2" {
		t.Errorf("retraction %s", m)
	}
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_EVENT, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s(""), DisplayedId: s("u1"),
	})
	m = tr.wait(t, "displayed", func(el *xmpp.Element) bool { return isMsg(el) && el.Child(xmpp.NSMarkers, "displayed") != nil })
	if m.Child(xmpp.NSMarkers, "displayed").Attr("id") != "u1" {
		t.Errorf("displayed %s", m)
	}
}

// TestExtensionsInBuddyDisco: a contact's disco#info and caps show the extensions only
// when the backends announced them.
func TestExtensionsInBuddyDisco(t *testing.T) {
	e, tr, h := chatEnv(t, nil)
	plain := e.r.capsVer()
	ask := func(id string) *xmpp.Element {
		send(t, h, `<iq type='get' id='`+id+`' to='alice@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		return tr.wait(t, "disco#info "+id, func(el *xmpp.Element) bool { return el.Local == "iq" && el.ID() == id })
	}
	has := func(iq *xmpp.Element, v string) bool {
		for _, f := range iq.Child(xmpp.NSDiscoInfo, "query").Children() {
			if f.Local == "feature" && f.Attr("var") == v {
				return true
			}
		}
		return false
	}
	ns := []string{nsCorrect, nsReply, nsReactions, nsRetract, nsRetract0}
	iq := ask("d1")
	for _, v := range ns {
		if has(iq, v) {
			t.Errorf("%s advertised without the backend's announcement: %s", v, iq)
		}
	}
	e.be.set(func(f *fakeBackends) {
		f.features.Corrections, f.features.Replies, f.features.Reactions, f.features.Retractions = true, true, true, true
	})
	iq = ask("d2")
	for _, v := range ns {
		if !has(iq, v) {
			t.Errorf("%s not advertised: %s", v, iq)
		}
	}
	if e.r.capsVer() == plain {
		t.Error("the caps ver did not change with the features")
	}
}

// TestFallbacks: service.correction_prefix and service.reaction_fallback for a backend
// without features.corrections and features.reactions.
func TestFallbacks(t *testing.T) {
	for _, mode := range []string{"text", "drop"} {
		t.Run(mode, func(t *testing.T) {
			e, tr, h := chatEnv(t, func(c *Config) { c.CorrectionPrefix, c.ReactionFallback = "* ", mode })
			send(t, h, `<message to='alice@localhost' type='chat' id='c1'><body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m1'/></message>`)
			c := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
			if c.GetMessage() != "* fixed" || c.ReplaceId != nil {
				t.Errorf("correction fallback %v", c)
			}
			send(t, h, `<message to='alice@localhost' type='chat' id='e1'><reactions xmlns='urn:xmpp:reactions:0' id='m1'><reaction>👍</reaction></reactions></message>`)
			send(t, h, `<message to='alice@localhost' type='chat' id='after'><body>after</body></message>`)
			e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
				return m.(*pb.ConversationMessage).GetMessage() == "after"
			})
			var lines []string
			for _, f := range e.be.framesOf(pb.WrapperMessage_TYPE_CONV_MESSAGE) {
				lines = append(lines, f.(*pb.ConversationMessage).GetMessage())
			}
			want := map[string][]string{"text": {"* fixed", "reacted 👍", "after"}, "drop": {"* fixed", "after"}}[mode]
			if fmt.Sprint(lines) != fmt.Sprint(want) {
				t.Errorf("sent %q, want %q", lines, want)
			}
			if tr.has(func(el *xmpp.Element) bool { return el.Type() == "error" }) {
				t.Error("an error for a reaction with a fallback")
			}
		})
	}
}

// framesOf is what the fake backends got of type ft, in order.
func (f *fakeBackends) framesOf(ft pb.WrapperMessage_Type) []proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []proto.Message
	for _, fr := range f.frames {
		if fr.t == ft {
			out = append(out, fr.m)
		}
	}
	return out
}
