package test

import (
	"regexp"
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"

	"github.com/gospectrum/spectrum2/internal/testsrv"
)

var ircMsgID = regexp.MustCompile(`(?:^@|;)msgid=([^; ]+)`)

// msgidIn is the msgid tag of a raw IRC line.
func msgidIn(t *testing.T, line string) string {
	t.Helper()
	m := ircMsgID.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no msgid in %q", line)
	}
	return m[1]
}

// chatWith matches a chat message from a JID starting with from that has a child local
// whose id attribute is id.
func chatWith(from, local, id string) func(any) bool {
	return func(st any) bool {
		m, ok := st.(xmpp.Chat)
		got, has := xmppChildAttr(m, local, "id")
		return ok && strings.HasPrefix(m.Remote, from) && has && got == id
	}
}

// TestIRCv3Gateway (issue 24): a go-xmpp client through the real binary and builtin:irc
// on a real InspIRCd with the IRCv3 tags, and a raw IRC peer with message-tags and
// echo-message: the peer's message reaches the client with its msgid as the id; the
// client's reply and reaction reach IRC as +draft/reply and a +draft/react TAGMSG naming
// that msgid; the peer's reply and reaction to the client's message come back naming the
// client's own id; a correction (no IRCv3 form) goes as "s/old/new"
// (service.correction_fallback = "sed").
func TestIRCv3Gateway(t *testing.T) {
	irc := testsrv.StartInspIRCd(t)
	s := StartServerWith(t, "builtin:irc", "allowed_servers = [\"127.0.0.1\"]\ncorrection_fallback = \"sed\"\n"+
		"[backend_ini.service]\nirc_server = \""+irc.Addr()+"\"\n")
	peer := testsrv.ConnectIRCv3Peer(t, irc, "v3peer", "message-tags", "echo-message")
	trace := &syncBuffer{} // go-xmpp does not give a message's id: read it in the raw XML
	c := xmppDialTraced(t, s, "v3client@localhost", s.Password(), "r", trace)
	client := &mucClient{t: t, c: c, in: Listen(c)}
	const buddy = "v3peer@localhost"

	peer.Send("PRIVMSG v3client :hello xmpp")
	peerID := msgidIn(t, peer.Expect("PRIVMSG v3client :hello xmpp")) // the echo
	client.wait("the peer's message", chatFrom(buddy, "hello xmpp"))
	if !regexp.MustCompile(`<message[^>]* id=["']` + regexp.QuoteMeta(peerID) + `["']`).MatchString(trace.String()) {
		t.Errorf("the peer's message did not reach the client with its msgid %q as id:\n%s", peerID, trace)
	}

	client.send(`<message to='` + buddy + `' type='chat' id='x1'><body>&gt; hello xmpp` + "\n" + `hi peer</body>` +
		`<reply xmlns='urn:xmpp:reply:0' id='` + peerID + `' to='` + buddy + `/bot'/>` +
		`<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='13'/></fallback></message>`)
	line := peer.Expect("PRIVMSG v3peer :")
	if !strings.Contains(line, "+draft/reply="+peerID) || !strings.HasSuffix(line, "PRIVMSG v3peer :hi peer") {
		t.Errorf("the client's reply reached IRC as %q", line)
	}
	ownID := msgidIn(t, line)

	client.send(`<message to='` + buddy + `' type='chat' id='x2'><reactions xmlns='urn:xmpp:reactions:0' id='` + peerID +
		`'><reaction>👍</reaction></reactions><store xmlns='urn:xmpp:hints'/></message>`)
	if line := peer.Expect(" TAGMSG "); !strings.Contains(line, "+draft/react=👍") || !strings.Contains(line, "+draft/reply="+peerID) {
		t.Errorf("the client's reaction reached IRC as %q", line)
	}

	peer.Send("@+draft/reply=" + ownID + " PRIVMSG v3client :answer")
	m := client.wait("the peer's reply", chatWith(buddy, "reply", "x1")).(xmpp.Chat)
	if m.Text != "answer" {
		t.Errorf("the peer's reply has body %q", m.Text)
	}
	peer.Send("@+draft/reply=" + ownID + ";+draft/react=🎉 TAGMSG v3client")
	m = client.wait("the peer's reaction", chatWith(buddy, "reactions", "x1")).(xmpp.Chat)
	for _, e := range m.OtherElem {
		if e.XMLName.Local == "reactions" && !strings.Contains(e.InnerXML, "🎉") {
			t.Errorf("the peer's reaction: %s", e.InnerXML)
		}
	}

	client.send(`<message to='` + buddy + `' type='chat' id='x3'><body>see you tmrw</body></message>`)
	peer.Expect("PRIVMSG v3peer :see you tmrw")
	client.send(`<message to='` + buddy + `' type='chat' id='x4'><body>see you tomorrow</body>` +
		`<replace xmlns='urn:xmpp:message-correct:0' id='x3'/></message>`)
	if line := peer.Expect("PRIVMSG v3peer :"); !strings.HasSuffix(line, "PRIVMSG v3peer :s/tmrw/tomorrow") {
		t.Errorf("the correction reached IRC as %q", line)
	}
}

// TestIRCCorrectionSed (issue 24): on ngircd (no tags) with service.correction_fallback
// = "sed", a correction reaches the IRC peer as "s/old/new"; one whose change a single
// line cannot say (the whole text) goes as the corrected text after correction_prefix.
func TestIRCCorrectionSed(t *testing.T) {
	irc := startIRCd(t, false)
	s := StartServerWith(t, "builtin:irc", "allowed_servers = [\"127.0.0.1\"]\ncorrection_fallback = \"sed\"\ncorrection_prefix = \"* \"\n"+
		"[backend_ini.service]\nirc_server = \""+irc.Addr()+"\"\n")
	peer := connectPeer(t, irc, "sedpeer")
	client := dialMUC(t, s, "sedclient@localhost", s.Password(), "r")
	peer.Send("PRIVMSG sedclient :hello")
	client.wait("1:1 message", chatFrom("sedpeer@localhost", "hello"))
	client.send(`<message to='sedpeer@localhost' type='chat' id='o1'><body>I cna come</body></message>`)
	peer.Expect("PRIVMSG sedpeer :I cna come")
	client.send(`<message to='sedpeer@localhost' type='chat' id='o2'><body>I can come</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/></message>`)
	if line := peer.Expect("PRIVMSG sedpeer :"); !strings.HasSuffix(line, ":s/cna/can") {
		t.Errorf("sed correction %q, want \"s/cna/can\"", line)
	}
	client.send(`<message to='sedpeer@localhost' type='chat' id='o3'><body>no</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/></message>`)
	if line := peer.Expect("PRIVMSG sedpeer :"); !strings.HasSuffix(line, ":* no") {
		t.Errorf("whole-text correction %q, want \"* no\"", line)
	}
}

// TestIRCv3GatewayRoom (issue 24): in a channel on InspIRCd through the real binary, the
// client names messages by the room's stanza-ids (the archive's), which reach IRC as the
// msgids they were kept with: the client's reaction to the peer's message is a TAGMSG
// naming its msgid; the peer's reaction to the client's message comes back naming the
// stanza-id of the client's reflected message.
func TestIRCv3GatewayRoom(t *testing.T) {
	irc := testsrv.StartInspIRCd(t)
	s := StartServerWith(t, "builtin:irc", "allowed_servers = [\"127.0.0.1\"]\n"+
		"[backend_ini.service]\nirc_server = \""+irc.Addr()+"\"\n")
	peer := testsrv.ConnectIRCv3Peer(t, irc, "rv3peer", "message-tags", "echo-message")
	peer.Send("JOIN #v3room")
	peer.Expect("366")
	client := dialMUC(t, s, "rv3client@localhost", s.Password(), "r")
	room := ircRoom("#v3room")
	client.joinRoom(room, "rv3client", "rv3client")
	peer.Expect("JOIN")

	peer.Send("PRIVMSG #v3room :hello room")
	peerID := msgidIn(t, peer.Expect("PRIVMSG #v3room :hello room"))
	m := client.wait("the peer's room message", groupchatFrom(room+"/rv3peer", "hello room")).(xmpp.Chat)
	if m.StanzaID.ID == "" {
		t.Fatalf("the room message has no stanza-id: %+v", m)
	}
	client.send(`<message to='` + room + `' type='groupchat' id='g1'><reactions xmlns='urn:xmpp:reactions:0' id='` + m.StanzaID.ID +
		`'><reaction>👍</reaction></reactions></message>`)
	if line := peer.Expect(" TAGMSG "); !strings.Contains(line, "+draft/react=👍") || !strings.Contains(line, "+draft/reply="+peerID) {
		t.Errorf("the client's room reaction reached IRC as %q, want it to name %q", line, peerID)
	}

	client.sayIn(room, "my line")
	ownID := msgidIn(t, peer.Expect("PRIVMSG #v3room :my line"))
	own := client.wait("the reflection", groupchatFrom(room+"/rv3client", "my line")).(xmpp.Chat)
	peer.Send("@+draft/reply=" + ownID + ";+draft/react=🎉 TAGMSG #v3room")
	client.wait("the peer's reaction", func(st any) bool {
		c, ok := st.(xmpp.Chat)
		id, has := xmppChildAttr(c, "reactions", "id")
		return ok && c.Type == "groupchat" && has && id == own.StanzaID.ID
	})
}
