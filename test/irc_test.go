package test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// The IRC scenarios of spec 5.3 end to end: go-xmpp client -> spectrum2 -> builtin:irc
// backend -> ngircd -> another IRC client (a raw socket, or a second XMPP user through the
// gateway as in Spectrum 2's test_chat.cpp) and back.

// startIRCGateway runs spectrum2 with the native IRC backend; service lines are the
// backend's [service] keys (spec 5.2: irc_test.cfg), e.g. `irc_server = "127.0.0.1:6667"`.
// irc_away_timeout is 1 s so that WHO polling (muc_away) is quick. allowed_servers lists
// ngircd's loopback address, which per-room mode (no irc_server) could not reach otherwise.
func startIRCGateway(t *testing.T, service ...string) *Server {
	t.Helper()
	extra := "allowed_servers = [\"127.0.0.1\"]\n[backend_ini.service]\nirc_away_timeout = 1\n" + strings.Join(service, "\n") + "\n"
	return StartServerWith(t, "builtin:irc", extra)
}

// ircRoom is a channel's room JID in single-network mode (spec 5.2: `#channel@localhost`).
func ircRoom(channel string) string { return channel + "@localhost" }

// joinRoom enters room (a bare room JID) as nick and waits for the self-presence from
// room/want (spec 5.3 "Join"; go-xmpp does not expose status 110, the resource tells).
func (m *mucClient) joinRoom(room, nick, want string) {
	m.t.Helper()
	m.send(`<presence to='` + room + `/` + nick + `'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	m.wait("self-presence in "+room+" as "+want, presenceFrom(room+"/"+want, ""))
}

// leaveRoom leaves room (spec 5.3 "Leave") and waits for the unavailable self-presence.
func (m *mucClient) leaveRoom(room, nick string) {
	m.t.Helper()
	m.send(`<presence to='` + room + `/` + nick + `' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>`)
	m.wait("leaving "+room, presenceFrom(room+"/"+nick, "unavailable"))
}

// sayIn sends a groupchat message to room.
func (m *mucClient) sayIn(room, body string) {
	m.t.Helper()
	m.send(`<message to='` + room + `' type='groupchat'><body>` + body + `</body></message>`)
}

// chatTo sends a type=chat message to jid.
func (m *mucClient) chatTo(jid, body string) {
	m.t.Helper()
	m.send(`<message to='` + jid + `' type='chat'><body>` + body + `</body></message>`)
}

// chatFrom matches a message of type chat from jid (any resource when jid is bare) whose
// body contains want.
func chatFrom(jid, want string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		if !ok || c.Type != "chat" || !strings.Contains(c.Text, want) {
			return false
		}
		return c.Remote == jid || strings.HasPrefix(c.Remote, jid+"/")
	}
}

// showFrom matches an available presence from jid with <show> show.
func showFrom(jid, show string) func(any) bool {
	return func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && p.From == jid && p.Type == "" && p.Show == show
	}
}

// subjectOf matches a room subject message of room.
func subjectOf(room, text string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && c.Type == "groupchat" && strings.HasPrefix(c.Remote, room) && c.Subject == text
	}
}

// TestIRCSingleServer runs the spec 5.3 IRC scenarios in irc_server mode (irc_test.cfg):
// one ngircd, rooms `#chan@localhost`, each XMPP user's IRC nick is its JID's node.
func TestIRCSingleServer(t *testing.T) {
	irc := startIRCd(t, false)
	s := startIRCGateway(t, `irc_server = "`+irc.Addr()+`"`)
	pw := s.Password()
	t.Run("JoinLeave", func(t *testing.T) { ircJoinLeave(t, s, irc, pw) })
	t.Run("Echo", func(t *testing.T) { ircEcho(t, s, irc, pw) })
	t.Run("RoomPM", func(t *testing.T) { ircRoomPM(t, s, irc, pw) })
	t.Run("PrivateMessage", func(t *testing.T) { ircPrivate(t, s, irc, pw) })
	t.Run("ChangeTopic", func(t *testing.T) { ircTopic(t, s, irc, pw) })
	t.Run("Away", func(t *testing.T) { ircAway(t, s, irc, pw) })
	t.Run("NicknameUsed", func(t *testing.T) { ircNickUsed(t, s, irc, pw) })
	t.Run("Whois", func(t *testing.T) { ircWhois(t, s, irc, pw) })
}

// ircJoinLeave is muc_join_leave: a second XMPP user (through the gateway) and an IRC
// client both see the client come and go.
func ircJoinLeave(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#joinleave")
	peer := connectPeer(t, irc, "watcher")
	peer.Send("JOIN #joinleave")
	peer.Expect(" 366 ")
	resp := dialMUC(t, s, "jlresp@localhost", pw, "r")
	resp.joinRoom(room, "jlresp", "jlresp")
	resp.wait("the IRC watcher", presenceFrom(room+"/watcher", ""))
	client := dialMUC(t, s, "jlclient@localhost", pw, "r")
	client.joinRoom(room, "jlclient", "jlclient")
	client.wait("jlresp in the room", presenceFrom(room+"/jlresp", ""))
	resp.wait("client available", presenceFrom(room+"/jlclient", ""))
	peer.Expect(":jlclient!")
	client.leaveRoom(room, "jlclient")
	resp.wait("client unavailable", presenceFrom(room+"/jlclient", "unavailable"))
	peer.Expect("PART #joinleave")
}

// ircEcho is muc_echo: the client's words reach IRC (and are reflected), IRC's reach it.
func ircEcho(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#echo")
	peer := connectPeer(t, irc, "echoresp")
	peer.Send("JOIN #echo")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "echoclient@localhost", pw, "r")
	client.joinRoom(room, "echoclient", "echoclient")
	client.sayIn(room, "abc")
	client.wait("reflection", groupchatFrom(room+"/echoclient", "abc"))
	peer.Expect("PRIVMSG #echo :abc")
	peer.Send("PRIVMSG #echo :echo abc")
	client.wait("IRC answer", groupchatFrom(room+"/echoresp", "echo abc"))
	client.leaveRoom(room, "echoclient")
}

// ircRoomPM is muc_pm: private messages to and from a room participant, twice.
func ircRoomPM(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#pm")
	peer := connectPeer(t, irc, "pmresp")
	peer.Send("JOIN #pm")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "pmclient@localhost", pw, "r")
	client.joinRoom(room, "pmclient", "pmclient")
	client.wait("pmresp in the room", presenceFrom(room+"/pmresp", ""))
	for _, body := range []string{"abc", "def"} {
		client.chatTo(room+"/pmresp", body)
		// The PRIVMSG itself, not any line from pmclient: the JOIN line is still unread,
		// and answering before the backend saw the PM would make the answer a 1:1 message.
		peer.Expect("PRIVMSG pmresp :" + body)
		peer.Send("PRIVMSG pmclient :echo " + body)
		client.wait("private answer "+body, chatFrom(room+"/pmresp", "echo "+body))
	}
	client.leaveRoom(room, "pmclient")
}

// ircPrivate is a 1:1 private message both ways with an IRC user outside any room:
// the contact JID is nick@localhost (the backend disables JID escaping, spec 4.3). The IRC
// user writes first: the router refuses messages to a contact that is neither in the
// roster nor in a conversation (item-not-found, router/message.go), and IRC has no roster.
func ircPrivate(t *testing.T, s *Server, irc *ircd, pw string) {
	peer := connectPeer(t, irc, "dmpeer")
	client := dialMUC(t, s, "dmclient@localhost", pw, "r")
	peer.Send("PRIVMSG dmclient :hello xmpp")
	client.wait("1:1 message", chatFrom("dmpeer@localhost", "hello xmpp"))
	client.chatTo("dmpeer@localhost", "hello irc")
	line := peer.Expect("PRIVMSG dmpeer :hello irc")
	if !strings.HasPrefix(line, ":dmclient!") {
		t.Errorf("the answer came from %q, want the client's nick dmclient", line)
	}
}

// ircTopic is muc_change_topic both ways: an IRC topic change reaches the client as a
// subject, and the client's subject becomes the channel topic.
func ircTopic(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#topic")
	peer := connectPeer(t, irc, "topicresp")
	peer.Send("JOIN #topic")
	peer.Expect(" 366 ")
	peer.Send("MODE #topic -t") // anyone may set the topic (ngircd answers only a change)
	client := dialMUC(t, s, "topicclient@localhost", pw, "r")
	client.joinRoom(room, "topicclient", "topicclient")
	client.sayIn(room, "ready")
	peer.Expect("PRIVMSG #topic :ready")
	peer.Send("TOPIC #topic :The new subject")
	client.wait("the new subject", subjectOf(room, "The new subject"))
	client.send(`<message to='` + room + `' type='groupchat'><subject>Set from XMPP</subject></message>`)
	peer.Expect("TOPIC #topic :Set from XMPP")
	client.leaveRoom(room, "topicclient")
}

// ircAway is muc_away: the client's away reaches a second XMPP user through IRC's WHO
// polling (irc_away_timeout), and an IRC user's AWAY reaches the client.
func ircAway(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#away")
	resp := dialMUC(t, s, "awayresp@localhost", pw, "r")
	resp.joinRoom(room, "awayresp", "awayresp")
	client := dialMUC(t, s, "awayclient@localhost", pw, "r")
	client.joinRoom(room, "awayclient", "awayclient")
	resp.wait("client present", presenceFrom(room+"/awayclient", ""))
	client.send(`<presence><show>away</show></presence>`)
	resp.wait("client away", showFrom(room+"/awayclient", "away"))

	peer := connectPeer(t, irc, "awaypeer")
	peer.Send("JOIN #away")
	peer.Expect(" 366 ")
	client.wait("IRC peer present", presenceFrom(room+"/awaypeer", ""))
	peer.Send("AWAY :gone fishing")
	client.wait("IRC peer away", showFrom(room+"/awaypeer", "away"))
	client.leaveRoom(room, "awayclient")
	resp.leaveRoom(room, "awayresp")
}

// ircNickUsed is muc_join_nickname_used in irc_server mode: joining as a nick that is
// taken on IRC keeps the session's IRC nick (the self-presence names it).
func ircNickUsed(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#nick")
	peer := connectPeer(t, irc, "respond")
	peer.Send("JOIN #nick")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "nickclient@localhost", pw, "r")
	client.joinRoom(room, "respond", "nickclient")
	peer.Expect(":nickclient!")
	peer.Send("PRIVMSG #nick :disconnect please :)")
	client.wait("the IRC user's message", groupchatFrom(room+"/respond", "disconnect please :)"))
	client.leaveRoom(room, "nickclient")
	peer.Expect("PART #nick")
}

// ircWhois is muc_whois: "/whois" typed to one's own room nick answers with WHOIS text.
func ircWhois(t *testing.T, s *Server, irc *ircd, pw string) {
	room := ircRoom("#whois")
	peer := connectPeer(t, irc, "responder")
	peer.Send("JOIN #whois")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "whoisclient@localhost", pw, "r")
	client.joinRoom(room, "whoisclient", "whoisclient")
	client.chatTo(room+"/whoisclient", "/whois responder")
	client.wait("whois answer", anyBody("responder is "))
	client.chatTo(room+"/whoisclient", "/whois nonexisting")
	client.wait("whois for an unknown nick", anyBody("No such client"))
	client.leaveRoom(room, "whoisclient")
}

// anyBody matches any message whose body contains want.
func anyBody(want string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && strings.Contains(c.Text, want)
	}
}

// TestIRCPerRoom is irc mode (irc_test2.cfg, no irc_server): the room JID names the
// network, `#chan%127.0.0.1\3aPORT@localhost` (a ':' may not appear in a localpart, RFC
// 7622 3.3.1, so the port separator is XEP-0106-escaped; the legacy room name is
// `#chan@127.0.0.1:PORT`, spec 3.12).
func TestIRCPerRoom(t *testing.T) {
	irc := startIRCd(t, false)
	s := startIRCGateway(t)
	pw := s.Password()
	room := `#perroom%127.0.0.1\3a` + strconv.Itoa(irc.Port) + "@localhost"
	peer := connectPeer(t, irc, "prresp")
	peer.Send("JOIN #perroom")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "prclient@localhost", pw, "r")
	client.joinRoom(room, "prclient", "prclient")
	client.wait("prresp in the room", presenceFrom(room+"/prresp", ""))
	peer.Expect(":prclient!")
	client.sayIn(room, "abc")
	peer.Expect("PRIVMSG #perroom :abc")
	peer.Send("PRIVMSG #perroom :echo abc")
	client.wait("IRC answer", groupchatFrom(room+"/prresp", "echo abc"))

	// muc_join_nickname_used in irc mode: the nick is taken, the network picks nick_.
	other := dialMUC(t, s, "prother@localhost", pw, "r")
	other.joinRoom(room, "prresp", "prresp_")
	client.wait("the renamed joiner", presenceFrom(room+"/prresp_", ""))
	other.leaveRoom(room, "prresp_")
	client.leaveRoom(room, "prclient")
	peer.Expect("PART #perroom")
}

// TestIRCTLS connects the gateway to ngircd's TLS port (irc_server "host:+port"),
// verifying the server against irc_ca_file; an IRC client on the plain port talks to it.
func TestIRCTLS(t *testing.T) {
	irc := startIRCd(t, true)
	s := startIRCGateway(t, `irc_server = "127.0.0.1:+`+strconv.Itoa(irc.TLSPort)+`"`,
		`irc_ca_file = "`+irc.CAFile+`"`)
	pw := s.Password()
	room := ircRoom("#tls")
	peer := connectPeer(t, irc, "tlsresp")
	peer.Send("JOIN #tls")
	peer.Expect(" 366 ")
	client := dialMUC(t, s, "tlsclient@localhost", pw, "r")
	client.joinRoom(room, "tlsclient", "tlsclient")
	peer.Expect(":tlsclient!")
	client.sayIn(room, "over tls")
	peer.Expect("PRIVMSG #tls :over tls")
	peer.Send("PRIVMSG #tls :tls ok")
	client.wait("IRC answer", groupchatFrom(room+"/tlsresp", "tls ok"))
}

// TestIRCServerRestart restarts ngircd under a logged-in client: the XMPP stream stays,
// the gateway logs in to IRC again and rejoins the room (spec 3.4 re-login, 3.12 rejoin).
func TestIRCServerRestart(t *testing.T) {
	irc := startIRCd(t, false)
	s := startIRCGateway(t, `irc_server = "`+irc.Addr()+`"`)
	pw := s.Password()
	room := ircRoom("#restart")
	client := dialMUC(t, s, "rsclient@localhost", pw, "r")
	client.joinRoom(room, "rsclient", "rsclient")

	irc.Stop()
	irc.Start()
	peer := connectPeer(t, irc, "rsresp")
	peer.Send("JOIN #restart")
	peer.Expect(" 366 ")
	// The gateway reconnects on its own time; wait until it is in the channel again.
	deadline := time.Now().Add(2 * mucWait)
	for {
		peer.Send("NAMES #restart")
		line := peer.Expect(" 353 ")
		if strings.Contains(line, "rsclient") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not rejoin #restart after the IRC server restart: %q", line)
		}
		time.Sleep(500 * time.Millisecond)
	}
	peer.Send("PRIVMSG #restart :welcome back")
	client.wait("message after the restart", groupchatFrom(room+"/rsresp", "welcome back"))
	client.sayIn(room, "still here")
	peer.Expect("PRIVMSG #restart :still here")
}
