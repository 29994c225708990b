package test

import (
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"
)

// TestXMPPExtensions (issues 24 and 25's sibling): through the real binary with
// builtin:xmpp and a real Prosody, the message extensions pass through both ways between
// the user's client on the gateway and bob, a client directly on Prosody: XEP-0308
// corrections, XEP-0461 replies with the XEP-0428 fallback, XEP-0444 reactions, XEP-0424
// retractions and XEP-0333 displayed markers, each naming the message by the id its
// sender gave it.
func TestXMPPExtensions(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	p := StartProsody(t, "alice", alicePW, "bob", bobPW)
	xmppBefriend(t, p, alicePW, bobPW)
	s := startXMPPGateway(t, p, alicePW, bobPW)
	bob := p.MustDial("bob", bobPW, "phone")
	inb := Listen(bob)
	xmppSend(t, bob, `<presence/>`)
	c := s.MustDial(xmppAliceUser, alicePW, "laptop")
	in := Listen(c)
	in.Wait(t, "bob's presence", xmppWait, xmppPresence(xmppBobBuddy, ""))
	aliceGW := strings.SplitN(c.JID(), "/", 2)[0] // the user's JID on the gateway

	// with is a message matcher: from a JID starting with from, with element local whose
	// attribute id is id.
	with := func(from, local, id string) func(any) bool {
		return func(st any) bool {
			m, ok := st.(xmpp.Chat)
			got, has := xmppChildAttr(m, local, "id")
			return ok && strings.HasPrefix(m.Remote, from) && has && got == id
		}
	}
	attr := func(m xmpp.Chat, local, name string) string {
		for _, e := range m.OtherElem {
			if e.XMLName.Local == local {
				for _, a := range e.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
			}
		}
		return ""
	}
	inner := func(m xmpp.Chat, local string) string {
		for _, e := range m.OtherElem {
			if e.XMLName.Local == local {
				return strings.ReplaceAll(e.InnerXML, `'`, `"`) // Prosody writes single quotes
			}
		}
		return ""
	}

	// Messages both ways, by their ids.
	xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a1'><body>hello bob</body></message>`)
	if m := inb.Wait(t, "a1", xmppWait, xmppChat(xmppAliceJID, "chat", "hello bob")).(xmpp.Chat); m.OriginID != "a1" {
		t.Errorf("a1 reached bob with origin-id %q", m.OriginID)
	}
	xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b1'><body>hello alice</body></message>`)
	in.Wait(t, "b1", xmppWait, xmppChat(xmppBobBuddy, "chat", "hello alice"))

	t.Run("ToContact", func(t *testing.T) {
		xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a2'><body>hello, bob</body>`+
			`<replace xmlns='urn:xmpp:message-correct:0' id='a1'/></message>`)
		inb.Wait(t, "the correction of a1", xmppWait, with(xmppAliceJID, "replace", "a1"))

		quote := "> hello alice\n"
		xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a3'><body>`+quote+`hi</body>`+
			`<reply xmlns='urn:xmpp:reply:0' id='b1' to='`+xmppBobBuddy+`/x'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='14'/></fallback></message>`)
		m := inb.Wait(t, "the reply to b1", xmppWait, with(xmppAliceJID, "reply", "b1")).(xmpp.Chat)
		if attr(m, "reply", "to") != xmppBobJID || m.Text != quote+"hi" || !strings.Contains(inner(m, "fallback"), `end="14"`) {
			t.Errorf("the reply reached bob as %q %+v", m.Text, m.OtherElem)
		}

		xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a4'>`+
			`<reactions xmlns='urn:xmpp:reactions:0' id='b1'><reaction>👍</reaction><reaction>🎉</reaction></reactions></message>`)
		m = inb.Wait(t, "the reactions to b1", xmppWait, with(xmppAliceJID, "reactions", "b1")).(xmpp.Chat)
		if r := inner(m, "reactions"); !strings.Contains(r, "👍") || !strings.Contains(r, "🎉") {
			t.Errorf("the reactions reached bob as %s", r)
		}

		xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a5'><retract xmlns='urn:xmpp:message-retract:1' id='a2'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>retracted</body></message>`)
		inb.Wait(t, "the retraction of a2", xmppWait, with(xmppAliceJID, "retract", "a2"))

		xmppSend(t, c, `<message to='`+xmppBobBuddy+`' type='chat' id='a6'><displayed xmlns='urn:xmpp:chat-markers:0' id='b1'/></message>`)
		inb.Wait(t, "the displayed marker of b1", xmppWait, with(xmppAliceJID, "displayed", "b1"))
	})

	t.Run("FromContact", func(t *testing.T) {
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b2'><body>hello, alice</body>`+
			`<replace xmlns='urn:xmpp:message-correct:0' id='b1'/></message>`)
		m := in.Wait(t, "bob's correction of b1", xmppWait, with(xmppBobBuddy, "replace", "b1")).(xmpp.Chat)
		if m.Text != "hello, alice" {
			t.Errorf("the correction came with body %q", m.Text)
		}

		quote := "> hello bob\n"
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b3'><body>`+quote+`yes?</body>`+
			`<reply xmlns='urn:xmpp:reply:0' id='a1' to='`+xmppAliceJID+`/Spectrum'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='12'/></fallback></message>`)
		m = in.Wait(t, "bob's reply to a1", xmppWait, with(xmppBobBuddy, "reply", "a1")).(xmpp.Chat)
		if to := attr(m, "reply", "to"); !strings.HasPrefix(to, aliceGW) || !strings.Contains(inner(m, "fallback"), `end="12"`) {
			t.Errorf("bob's reply came naming %q: %+v", to, m.OtherElem)
		}

		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b4'>`+
			`<reactions xmlns='urn:xmpp:reactions:0' id='a1'><reaction>❤</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>`)
		m = in.Wait(t, "bob's reaction to a1", xmppWait, with(xmppBobBuddy, "reactions", "a1")).(xmpp.Chat)
		if r := inner(m, "reactions"); !strings.Contains(r, "❤") {
			t.Errorf("bob's reaction came as %s", r)
		}
		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b5'><reactions xmlns='urn:xmpp:reactions:0' id='a1'/></message>`)
		m = in.Wait(t, "bob's reactions removed", xmppWait, with(xmppBobBuddy, "reactions", "a1")).(xmpp.Chat)
		if r := inner(m, "reactions"); strings.Contains(r, "reaction") {
			t.Errorf("the removal came as %s", r)
		}

		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b6'><retract xmlns='urn:xmpp:message-retract:1' id='b2'/>`+
			`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:message-retract:1'/><body>bob retracted</body></message>`)
		m = in.Wait(t, "bob's retraction of b2", xmppWait, with(xmppBobBuddy, "retract", "b2")).(xmpp.Chat)
		if strings.Contains(m.Text, "bob retracted") {
			t.Errorf("the retraction came with bob's fallback body %q, not the gateway's", m.Text)
		}

		xmppSend(t, bob, `<message to='`+xmppAliceJID+`' type='chat' id='b7'><displayed xmlns='urn:xmpp:chat-markers:0' id='a3'/></message>`)
		in.Wait(t, "bob's displayed marker of a3", xmppWait, with(xmppBobBuddy, "displayed", "a3"))
	})
}
