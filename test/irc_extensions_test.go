package test

import (
	"strings"
	"testing"
)

// TestIRCExtensionFallbacks (issue 24): builtin:irc on ngircd carries none of the message
// extensions, so the fallbacks apply: a XEP-0308 correction reaches the IRC peer as the
// corrected text after service.correction_prefix, a XEP-0444 reaction as a text line
// (service.reaction_fallback = "text"), and a XEP-0424 retraction is refused, its
// fallback body not sent.
func TestIRCExtensionFallbacks(t *testing.T) {
	irc := startIRCd(t, false)
	s := StartServerWith(t, "builtin:irc", "allowed_servers = [\"127.0.0.1\"]\ncorrection_prefix = \"* \"\n"+
		"reaction_fallback = \"text\"\n[backend_ini.service]\nirc_server = \""+irc.Addr()+"\"\n")
	peer := connectPeer(t, irc, "fbpeer")
	client := dialMUC(t, s, "fbclient@localhost", s.Password(), "r")
	peer.Send("PRIVMSG fbclient :hello xmpp")
	client.wait("1:1 message", chatFrom("fbpeer@localhost", "hello xmpp"))
	client.send(`<message to='fbpeer@localhost' type='chat' id='o1'><body>helo</body></message>`)
	peer.Expect("PRIVMSG fbpeer :helo")
	client.send(`<message to='fbpeer@localhost' type='chat' id='o2'><body>hello</body><replace xmlns='urn:xmpp:message-correct:0' id='o1'/></message>`)
	if line := peer.Expect("PRIVMSG fbpeer :"); !strings.HasSuffix(line, ":* hello") {
		t.Errorf("correction fallback %q, want \"* hello\"", line)
	}
	client.send(`<message to='fbpeer@localhost' type='chat' id='o3'><reactions xmlns='urn:xmpp:reactions:0' id='x'><reaction>👍</reaction></reactions></message>`)
	if line := peer.Expect("PRIVMSG fbpeer :"); !strings.HasSuffix(line, ":reacted 👍") {
		t.Errorf("reaction fallback %q", line)
	}
	client.send(`<message to='fbpeer@localhost' type='chat' id='o4'><body>This person attempted to retract a previous message</body>` +
		`<apply-to xmlns='urn:xmpp:fasten:0' id='o2'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to></message>`)
	client.chatTo("fbpeer@localhost", "after")
	if line := peer.Expect("PRIVMSG fbpeer :"); !strings.HasSuffix(line, ":after") {
		t.Errorf("after the refused retraction the peer got %q", line)
	}
}
