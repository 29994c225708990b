package test

import (
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/internal/testsrv"
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

// TestXMPPRoomExtensions: in a room on Prosody with mod_muc_mam, through the real binary,
// the client names messages by the gateway's stanza-ids and bob by Prosody's: the
// client's reaction to bob's message and the retraction of its own reach bob naming
// Prosody's stanza-ids, bob's reaction to the client's message and his correction arrive
// naming the gateway's.
func TestXMPPRoomExtensions(t *testing.T) {
	alicePW, bobPW := "alice-"+xmppSecret(), "bob-"+xmppSecret()
	p := &Prosody{Prosody: testsrv.StartProsody(t, testsrv.ProsodyOptions{Domain: remoteDomain, MUC: remoteMUC,
		MUCArchive: true, Users: []string{"alice", alicePW, "bob", bobPW}}), t: t}
	s := startXMPPGateway(t, p, alicePW, bobPW)
	bob := p.MustDial("bob", bobPW, "phone")
	inb := Listen(bob)
	c := s.MustDial(xmppAliceUser, alicePW, "laptop")
	in := Listen(c)
	xmppSend(t, bob, `<presence to='`+xmppRoomP+`/resp'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	inb.Wait(t, "resp joined", xmppWait, xmppPresence(xmppRoomP+"/resp", ""))
	xmppSend(t, c, `<presence to='`+xmppRoomR+`/client'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	in.Wait(t, "client's self-presence", xmppWait, xmppPresence(xmppRoomR+"/client", ""))
	inb.Wait(t, "client seen by resp", xmppWait, xmppPresence(xmppRoomP+"/client", ""))
	with := func(from, local, idv string) func(any) bool {
		return func(st any) bool {
			m, ok := st.(xmpp.Chat)
			got, has := xmppChildAttr(m, local, "id")
			return ok && m.Type == "groupchat" && m.Remote == from && has && got == idv
		}
	}

	xmppSend(t, bob, `<message to='`+xmppRoomP+`' type='groupchat' id='b1'><body>hello room</body></message>`)
	pb1 := inb.Wait(t, "b1's reflection to bob", xmppWait, xmppChat(xmppRoomP+"/resp", "groupchat", "hello room")).(xmpp.Chat).StanzaID.ID
	gb1 := in.Wait(t, "b1 through the gateway", xmppWait, xmppChat(xmppRoomR+"/resp", "groupchat", "hello room")).(xmpp.Chat).StanzaID.ID
	xmppSend(t, c, `<message to='`+xmppRoomR+`' type='groupchat' id='a1'><body>hi all</body></message>`)
	pa1 := inb.Wait(t, "a1 on Prosody", xmppWait, xmppChat(xmppRoomP+"/client", "groupchat", "hi all")).(xmpp.Chat).StanzaID.ID
	ga1 := in.Wait(t, "a1's reflection", xmppWait, xmppChat(xmppRoomR+"/client", "groupchat", "hi all")).(xmpp.Chat).StanzaID.ID
	if pb1 == "" || gb1 == "" || pa1 == "" || ga1 == "" {
		t.Fatalf("stanza-ids missing: Prosody's %q %q, the gateway's %q %q", pb1, pa1, gb1, ga1)
	}

	xmppSend(t, c, `<message to='`+xmppRoomR+`' type='groupchat' id='a2'>`+
		`<reactions xmlns='urn:xmpp:reactions:0' id='`+gb1+`'><reaction>👍</reaction></reactions></message>`)
	inb.Wait(t, "the client's reaction to b1, by Prosody's stanza-id", xmppWait, with(xmppRoomP+"/client", "reactions", pb1))

	xmppSend(t, bob, `<message to='`+xmppRoomP+`' type='groupchat' id='b2'>`+
		`<reactions xmlns='urn:xmpp:reactions:0' id='`+pa1+`'><reaction>🎉</reaction></reactions></message>`)
	in.Wait(t, "bob's reaction to a1, by the gateway's stanza-id", xmppWait, with(xmppRoomR+"/resp", "reactions", ga1))

	xmppSend(t, bob, `<message to='`+xmppRoomP+`' type='groupchat' id='b3'><body>hello, room</body>`+
		`<replace xmlns='urn:xmpp:message-correct:0' id='b1'/></message>`)
	m := in.Wait(t, "bob's correction", xmppWait, xmppChat(xmppRoomR+"/resp", "groupchat", "hello, room")).(xmpp.Chat)
	// A room correction names the message's id as the client got it: the legacy id, which
	// is Prosody's stanza-id of b1 (bob's own id b1 mapped by the backend).
	if got, _ := xmppChildAttr(m, "replace", "id"); got != pb1 {
		t.Errorf("bob's correction names %q; b1 is %q on Prosody, %q on the gateway", got, pb1, gb1)
	}

	xmppSend(t, c, `<message to='`+xmppRoomR+`' type='groupchat' id='a3'><retract xmlns='urn:xmpp:message-retract:1' id='`+ga1+`'/>`+
		`<body>retracted</body></message>`)
	inb.Wait(t, "the client's retraction of a1, by Prosody's stanza-id", xmppWait, with(xmppRoomP+"/client", "retract", pa1))
}
