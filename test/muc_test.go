package test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// The demo network's populated room (backend/demo/rooms.go).
const (
	lobbyJID     = "#lobby@localhost"
	lobbySubject = "Welcome to the Spectrum 2 demo lobby"
	mucWait      = 30 * time.Second
)

// mucClient is one logged-in client and what it receives.
type mucClient struct {
	t  *testing.T
	c  *xmpp.Client
	in *Stanzas
}

// dialMUC logs a client in. Unlike MustDial it closes the stream at cleanup without racing
// the Listen goroutine: go-xmpp's Close reads the stream itself, so it is called only
// after the server has ended the stream and Listen has stopped reading.
func dialMUC(t *testing.T, s *Server, user, pw, resource string) *mucClient {
	t.Helper()
	c, err := s.Dial(user, pw, resource, false)
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	m := &mucClient{t: t, c: c, in: Listen(c)}
	t.Cleanup(m.close)
	return m
}

func (m *mucClient) close() {
	_, _ = m.c.SendOrg("</stream:stream>")
	deadline := time.After(mucWait)
	for {
		select {
		case _, ok := <-m.in.ch:
			if !ok {
				_ = m.c.Close()
				return
			}
		case <-deadline:
			m.t.Error("the server did not close the stream")
			return
		}
	}
}

func (m *mucClient) send(x string) {
	m.t.Helper()
	if _, err := m.c.SendOrg(x); err != nil {
		m.t.Fatal(err)
	}
}

func (m *mucClient) wait(what string, match func(any) bool) any {
	m.t.Helper()
	return m.in.Wait(m.t, what, mucWait, match)
}

// join enters #lobby as nick and waits for the self-presence (spec 5.3: the presence from
// room/nick).
func (m *mucClient) join(nick string) {
	m.t.Helper()
	m.send(`<presence to='` + lobbyJID + `/` + nick + `'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	m.wait("self-presence as "+nick, presenceFrom(lobbyJID+"/"+nick, ""))
}

func (m *mucClient) say(body string) {
	m.t.Helper()
	m.send(`<message to='` + lobbyJID + `' type='groupchat'><body>` + body + `</body></message>`)
}

func presenceFrom(from, typ string) func(any) bool {
	return func(st any) bool {
		p, ok := st.(xmpp.Presence)
		return ok && p.From == from && p.Type == typ
	}
}

func groupchatFrom(from, body string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && c.Type == "groupchat" && c.Remote == from && c.Text == body
	}
}

func subjectIs(text string) func(any) bool {
	return func(st any) bool {
		c, ok := st.(xmpp.Chat)
		return ok && c.Type == "groupchat" && strings.HasPrefix(c.Remote, lobbyJID) && c.Subject == text
	}
}

// TestMUC runs the group chat scenarios of spec 5.3 against the demo network's #lobby.
func TestMUC(t *testing.T) {
	s := StartServer(t, "[muc]\nhistory = 5\n")
	pw := s.Password()
	t.Run("JoinAndParticipants", func(t *testing.T) {
		m := dialMUC(t, s, "mjoin@localhost", pw, "r")
		m.join("mjoin")
		ada := m.wait("Ada", presenceFrom(lobbyJID+"/Ada", "")).(xmpp.Presence)
		if ada.Role != "moderator" || ada.Affiliation != "admin" {
			t.Errorf("Ada is %s/%s, want moderator/admin", ada.Role, ada.Affiliation)
		}
		bab := m.wait("Babbage", presenceFrom(lobbyJID+"/Babbage", "")).(xmpp.Presence)
		if bab.Role != "participant" {
			t.Errorf("Babbage is %s", bab.Role)
		}
		m.wait("subject", subjectIs(lobbySubject))
	})
	t.Run("Conflict", func(t *testing.T) {
		m := dialMUC(t, s, "mconf@localhost", pw, "r")
		m.send(`<presence to='` + lobbyJID + `/Ada'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
		// go-xmpp keeps the name of the error's last child (<text/> here); the condition
		// itself (conflict) is checked by the router's unit tests.
		m.wait("error presence", presenceFrom(lobbyJID+"/Ada", "error"))
		m.join("mconf") // the room was left: a new join works
	})
	t.Run("Kick", func(t *testing.T) {
		m := dialMUC(t, s, "mkick@localhost", pw, "r")
		m.join("mkick")
		m.say("/kick")
		m.wait("kicked", presenceFrom(lobbyJID+"/mkick", "unavailable"))
	})
	t.Run("Rename", func(t *testing.T) {
		m := dialMUC(t, s, "mren@localhost", pw, "r")
		m.join("mren")
		m.say("/rename Charles")
		m.wait("Babbage leaves (303)", presenceFrom(lobbyJID+"/Babbage", "unavailable"))
		m.wait("Charles", presenceFrom(lobbyJID+"/Charles", ""))
	})
	t.Run("GroupchatEcho", func(t *testing.T) {
		m := dialMUC(t, s, "mecho@localhost", pw, "r")
		m.join("mecho")
		m.send(`<message to='` + lobbyJID + `' type='groupchat' id='e1'><body>hello all</body>` +
			`<origin-id xmlns='urn:xmpp:sid:0' id='origin-e1'/></message>`)
		echo := m.wait("reflection", groupchatFrom(lobbyJID+"/mecho", "hello all")).(xmpp.Chat)
		if echo.OriginID != "origin-e1" {
			t.Errorf("reflection lost the origin id: %+v", echo)
		}
		m.wait("Babbage answers", groupchatFrom(lobbyJID+"/Babbage", "mecho: you said hello all"))
	})
	t.Run("Subject", func(t *testing.T) {
		m := dialMUC(t, s, "msubj@localhost", pw, "a")
		m.join("msubj")
		m.send(`<message to='` + lobbyJID + `' type='groupchat'><subject>Tea at five</subject></message>`)
		m.wait("new subject", subjectIs("Tea at five"))
		late := dialMUC(t, s, "msubj@localhost", pw, "b")
		late.join("msubj")
		late.wait("subject replayed", subjectIs("Tea at five"))
	})
	t.Run("PrivateMessages", func(t *testing.T) {
		m := dialMUC(t, s, "mpm@localhost", pw, "r")
		m.join("mpm")
		m.send(`<message to='` + lobbyJID + `/Turing' type='chat'><body>psst</body></message>`)
		m.wait("private answer", func(st any) bool {
			c, ok := st.(xmpp.Chat)
			return ok && c.Type == "chat" && c.Remote == lobbyJID+"/Turing" && c.Text == "you said privately: psst"
		})
	})
	t.Run("TwoResources", func(t *testing.T) {
		a := dialMUC(t, s, "mtwo@localhost", pw, "a")
		a.join("mtwo")
		a.say("first words")
		a.wait("answer", groupchatFrom(lobbyJID+"/Babbage", "mtwo: you said first words"))
		b := dialMUC(t, s, "mtwo@localhost", pw, "b")
		b.join("mtwo")
		b.wait("Ada for b", presenceFrom(lobbyJID+"/Ada", ""))
		hist := b.wait("history", groupchatFrom(lobbyJID+"/mtwo", "first words")).(xmpp.Chat)
		if hist.Stamp.IsZero() {
			t.Errorf("history without delay: %+v", hist)
		}
		b.wait("subject for b", subjectIs(lobbySubject))
		b.say("from b")
		a.wait("b's words reach a", groupchatFrom(lobbyJID+"/mtwo", "from b"))
		a.send(`<presence to='` + lobbyJID + `/mtwo' type='unavailable'/>`)
		a.wait("a left", presenceFrom(lobbyJID+"/mtwo", "unavailable"))
		b.say("still here")
		b.wait("b still in the room", groupchatFrom(lobbyJID+"/Babbage", "mtwo: you said still here"))
	})
	t.Run("Leave", func(t *testing.T) {
		m := dialMUC(t, s, "mleave@localhost", pw, "r")
		m.join("mleave")
		m.wait("Ada", presenceFrom(lobbyJID+"/Ada", ""))
		m.send(`<presence to='` + lobbyJID + `/mleave' type='unavailable'><x xmlns='http://jabber.org/protocol/muc#user'/></presence>`)
		m.wait("exit", presenceFrom(lobbyJID+"/mleave", "unavailable"))
		m.join("mleave") // LEAVE_ROOM reached the network: joining again is a fresh join
		m.wait("Ada again", presenceFrom(lobbyJID+"/Ada", ""))
	})
	t.Run("RoomList", func(t *testing.T) {
		m := dialMUC(t, s, "mlist@localhost", pw, "r")
		// The demo sends its ROOM_LIST right after the roster; ask until it is there.
		deadline := time.Now().Add(mucWait)
		for i := 0; !hasLobby(m.discoItems("rooms" + strconv.Itoa(i))); i++ {
			if time.Now().After(deadline) {
				t.Fatal("the room list never listed #lobby")
			}
			time.Sleep(200 * time.Millisecond)
		}
		m.send(`<iq type='get' id='info1' to='` + lobbyJID + `'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
		info := m.wait("room disco#info", func(st any) bool {
			r, ok := st.(xmpp.DiscoResult)
			return ok && r.ID == "info1"
		}).(xmpp.DiscoResult)
		if len(info.Identities) != 1 || info.Identities[0].Category != "conference" ||
			!slices.Contains(info.Features, "http://jabber.org/protocol/muc") {
			t.Errorf("room disco#info %+v", info)
		}
	})
}

// discoItems asks the service for its items (the room list, spec 3.13).
func (m *mucClient) discoItems(id string) []xmpp.DiscoItem {
	m.t.Helper()
	m.send(`<iq type='get' id='` + id + `' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	return m.wait("disco#items", func(st any) bool {
		r, ok := st.(xmpp.DiscoItems)
		return ok && r.ID == id
	}).(xmpp.DiscoItems).Items
}

func hasLobby(items []xmpp.DiscoItem) bool {
	return slices.ContainsFunc(items, func(it xmpp.DiscoItem) bool {
		return it.Jid == lobbyJID && it.Name == "Lobby"
	})
}
