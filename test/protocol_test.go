package test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	xmpp "github.com/xmppo/go-xmpp"
)

// Protocol details of issue 19 through the real binary and the demo backend: how a MUC
// join ends, MUC self-ping, occupant and server disco, IQs to other domains, and ids of
// the messages the network originates.

// joinRecorded joins room as nick and returns every stanza up to and including the
// join's subject, in arrival order.
func (m *mucClient) joinRecorded(room, nick string) []any {
	m.t.Helper()
	m.send(`<presence to='` + room + `/` + nick + `'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	var seen []any
	m.wait("subject of "+room, func(st any) bool {
		seen = append(seen, st)
		c, ok := st.(xmpp.Chat)
		return ok && c.Type == "groupchat" && strings.HasPrefix(c.Remote, room) && c.Text == ""
	})
	return seen
}

// positions maps occupant JIDs (presences) and "subject" to their index in seen.
func positions(seen []any) map[string]int {
	pos := map[string]int{}
	for i, st := range seen {
		switch v := st.(type) {
		case xmpp.Presence:
			pos[v.From] = i
		case xmpp.Chat:
			pos["subject"] = i
		}
	}
	return pos
}

// TestMUCJoinCompletes: XEP-0045 7.2.3 and 7.2.15: the presences of the members, then the
// self-presence, then the subject, empty for a room without one.
func TestMUCJoinCompletes(t *testing.T) {
	s := StartServer(t, "")
	m := dialMUC(t, s, "mjoinorder@localhost", s.Password(), "r")
	seen := m.joinRecorded(lobbyJID, "order")
	pos := positions(seen)
	self, ok := pos[lobbyJID+"/order"]
	if !ok {
		t.Fatalf("no self-presence before the subject: %+v", seen)
	}
	for _, bot := range []string{"Ada", "Babbage", "Turing"} {
		if p, ok := pos[lobbyJID+"/"+bot]; !ok || p > self {
			t.Errorf("%s not before the self-presence: %+v", bot, seen)
		}
	}
	if subj := seen[len(seen)-1].(xmpp.Chat); subj.Subject != lobbySubject || pos["subject"] < self {
		t.Errorf("subject %+v after %+v", subj, seen)
	}

	seen = m.joinRecorded("#quiet@localhost", "order")
	pos = positions(seen)
	subj := seen[len(seen)-1].(xmpp.Chat)
	if _, ok := pos["#quiet@localhost/order"]; !ok || subj.Subject != "" || subj.Remote != "#quiet@localhost" {
		t.Fatalf("join of a room without subject: %+v", seen)
	}
}

// iqAnswer waits for the result or error of the IQ with id.
func (m *mucClient) iqAnswer(id string) xmpp.IQ {
	m.t.Helper()
	return m.wait("answer to "+id, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		return ok && iq.ID == id
	}).(xmpp.IQ)
}

// TestMUCSelfPing: XEP-0410: result while joined, not-acceptable after leaving; disco#info
// on an occupant JID answers for the member.
func TestMUCSelfPing(t *testing.T) {
	s := StartServer(t, "")
	m := dialMUC(t, s, "mselfping@localhost", s.Password(), "r")
	ping := func(id string) xmpp.IQ {
		m.send(`<iq type='get' id='` + id + `' to='` + lobbyJID + `/pinger'><ping xmlns='urn:xmpp:ping'/></iq>`)
		return m.iqAnswer(id)
	}
	if iq := ping("sp0"); iq.Type != "error" || iq.Error.Condition != "not-acceptable" {
		t.Errorf("before the join: %+v", iq)
	}
	m.join("pinger")
	if iq := ping("sp1"); iq.Type != "result" {
		t.Errorf("joined: %+v", iq)
	}
	m.send(`<iq type='get' id='od1' to='` + lobbyJID + `/Ada'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	info := m.wait("occupant disco#info", func(st any) bool {
		r, ok := st.(xmpp.DiscoResult)
		return ok && r.ID == "od1"
	}).(xmpp.DiscoResult)
	if len(info.Identities) != 1 || info.Identities[0].Category != "client" || info.Identities[0].Name != "Ada" {
		t.Errorf("occupant disco#info %+v", info)
	}
	m.send(`<presence to='` + lobbyJID + `/pinger' type='unavailable'/>`)
	m.wait("left", presenceFrom(lobbyJID+"/pinger", "unavailable"))
	if iq := ping("sp2"); iq.Type != "error" || iq.Error.Condition != "not-acceptable" {
		t.Errorf("after leaving: %+v", iq)
	}
}

// TestDiscoServerIdentities: the domain is the gateway and the users' server; an IQ to
// another domain is remote-server-not-found (no s2s).
func TestDiscoServerIdentities(t *testing.T) {
	s := StartServer(t, "")
	m := dialMUC(t, s, "mdisco@localhost", s.Password(), "r")
	m.send(`<iq type='get' id='sd1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	info := m.wait("server disco#info", func(st any) bool {
		r, ok := st.(xmpp.DiscoResult)
		return ok && r.ID == "sd1"
	}).(xmpp.DiscoResult)
	var ids []string
	for _, id := range info.Identities {
		ids = append(ids, id.Category+"/"+id.Type)
	}
	if !slices.Contains(ids, "server/im") || !slices.Contains(ids, "gateway/xmpp") {
		t.Errorf("server identities %q", ids)
	}
	m.send(`<iq type='get' id='sd2' to='example.org'><ping xmlns='urn:xmpp:ping'/></iq>`)
	if iq := m.iqAnswer("sd2"); iq.Type != "error" || iq.Error.Condition != "remote-server-not-found" {
		t.Errorf("IQ to another domain: %+v", iq)
	}
}

var echoID = regexp.MustCompile(`<message[^>]*from=["']echo@localhost/[^>]*>`)

// TestEchoOwnID: the demo's echo is a new message with an id of its own.
func TestEchoOwnID(t *testing.T) {
	s := StartServer(t, "")
	trace := &syncBuffer{}
	c := xmppDialTraced(t, s, "echoid@localhost", s.Password(), "r", trace)
	in := Listen(c)
	xmppSend(t, c, `<message to='`+echoJID+`' type='chat' id='mine-1'><body>whose id</body></message>`)
	in.Wait(t, "echo", mucWait, fromEcho("whose id"))
	xmppWaitTrace(t, trace, "whose id")
	tags := echoID.FindAllString(trace.String(), -1)
	if len(tags) == 0 {
		t.Fatalf("no message from echo in the trace:\n%s", tail(trace.String(), 20))
	}
	for _, tag := range tags {
		// Echo's id is its own (echo-<client id> since issue 24, so that a correction
		// or reaction refers to it), never the client's.
		if strings.Contains(tag, `id="mine-1"`) || strings.Contains(tag, `id='mine-1'`) || !strings.Contains(tag, " id=") {
			t.Fatalf("echo message %s", tag)
		}
	}
}
