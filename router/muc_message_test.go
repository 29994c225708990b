package router

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestGroupchat: a groupchat goes to the backend; the network's echo is the reflection
// with the client's id and origin-id; others' messages reach the occupant.
func TestGroupchat(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='g1'><body>hello room</body>`+
		`<origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>`)
	m := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
	if m.GetBuddyName() != "#lobby" || m.GetMessage() != "hello room" {
		t.Fatalf("CONV_MESSAGE %v", m)
	}
	e.roomMsg("#lobby", "bob", "hello room", false)
	echo := tr.wait(t, "reflection", groupchat(lobby+"/bob", "hello room"))
	if echo.ID() != "g1" || echo.Child(xmpp.NSSID, "origin-id").Attr("id") != "o1" || echo.To() != bob+"/a" {
		t.Fatalf("reflection %s", echo)
	}
	e.roomMsg("#lobby", "Ada", "hi bob", false)
	tr.wait(t, "Ada's message", groupchat(lobby+"/Ada", "hi bob"))
	send(t, h, `<message to='`+lobby+`' type='groupchat'><subject>New topic</subject></message>`)
	subj := e.be.waitFrame(t, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, nil).(*pb.ConversationMessage)
	if subj.GetBuddyName() != "#lobby" || subj.GetMessage() != "New topic" {
		t.Fatalf("ROOM_SUBJECT_CHANGED %v", subj)
	}
	send(t, h, `<message to='#other@localhost' type='groupchat' id='g2'><body>x</body></message>`)
	if el := tr.wait(t, "not an occupant", contains(`id="g2"`)); errCond(el) != "not-acceptable" {
		t.Fatalf("message to a room not joined: %s", el)
	}
}

// TestPrivateMessages: room/nick both ways (spec 3.9, 3.10).
func TestPrivateMessages(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	send(t, h, `<message to='`+lobby+`/Ada' type='chat' id='p1'><body>psst</body></message>`)
	m := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil).(*pb.ConversationMessage)
	if m.GetBuddyName() != "#lobby/Ada" || m.GetMessage() != "psst" {
		t.Fatalf("PM to the backend %v", m)
	}
	e.roomMsg("#lobby", "Ada", "what?", true)
	pm := tr.wait(t, "PM", func(el *xmpp.Element) bool {
		return el.Local == "message" && el.Type() == "chat" && el.From() == lobby+"/Ada"
	})
	if pm.ChildText(xmpp.NSClient, "body") != "what?" || pm.Child(xmpp.NSMUCUser, "x") == nil {
		t.Fatalf("PM %s", pm)
	}
	e.roomMsg("#lobby/Turing", "", "from the side", false)
	tr.wait(t, "PM named room/nick", func(el *xmpp.Element) bool {
		return el.Type() == "chat" && el.From() == lobby+"/Turing"
	})
	send(t, h, `<message to='`+lobby+`/Ada' type='groupchat' id='p2'><body>x</body></message>`)
	if el := tr.wait(t, "groupchat to an occupant", contains(`id="p2"`)); errCond(el) != "bad-request" {
		t.Fatalf("%s", el)
	}
}

// TestTwoResources: one legacy membership for two resources; the second gets the
// occupants, the history with delay and the subject; LEAVE_ROOM only when both left.
func TestTwoResources(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	for _, b := range []string{"one", "two", "three", "four"} {
		e.roomMsg("#lobby", "Ada", b, false)
	}
	tr.wait(t, "last message", groupchat(lobby+"/Ada", "four"))
	g, err := e.auth(bob, secret)
	if err != nil {
		t.Fatal(err)
	}
	tr2, h2 := e.bind(g, bob+"/b")
	send(t, h2, `<presence to='`+lobby+`/bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr2.wait(t, "subject replay", subjectMsg("Welcome"))
	if n := e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM); n != 1 {
		t.Fatalf("%d JOIN_ROOM for one room", n)
	}
	rename := tr2.index(unavailableFrom(lobby + "/bobby"))
	self := tr2.index(selfPresence("bob"))
	ada := tr2.index(presenceFrom(lobby + "/Ada"))
	if rename < 0 || self < 0 || ada < 0 || !(rename < ada && ada < self) {
		t.Fatalf("join of the second resource: %v", tr2.all())
	}
	var history []string
	for _, el := range tr2.all() {
		if el.Type() == "groupchat" && el.Child(xmpp.NSClient, "body") != nil {
			if el.Child(xmpp.NSDelay, "delay") == nil {
				t.Fatalf("history without delay: %s", el)
			}
			history = append(history, el.ChildText(xmpp.NSClient, "body"))
		}
	}
	if !slices.Equal(history, []string{"two", "three", "four"}) {
		t.Fatalf("history %q, want the last 3", history)
	}
	e.roomMsg("#lobby", "Turing", "to both", false)
	tr.wait(t, "live message a", groupchat(lobby+"/Turing", "to both"))
	tr2.wait(t, "live message b", groupchat(lobby+"/Turing", "to both"))

	send(t, h, `<presence to='`+lobby+`/bob' type='unavailable'/>`)
	tr.wait(t, "exit confirmed", func(el *xmpp.Element) bool {
		return unavailableFrom(lobby+"/bob")(el) && slices.Contains(codes(el), statusSelf)
	})
	settle(t, e.r, bob)
	if e.be.count(pb.WrapperMessage_TYPE_LEAVE_ROOM) != 0 {
		t.Fatal("LEAVE_ROOM while another resource is in the room")
	}
	h2.Closed(nil)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_LEAVE_ROOM, func(m proto.Message) bool {
		return m.(*pb.Room).GetRoom() == "#lobby"
	})
}

// TestLogoutShutsRooms: the end of the legacy session gives occupants 332 (spec 3.5).
func TestLogoutShutsRooms(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	e.stop()
	el := tr.wait(t, "332", unavailableFrom(lobby+"/bob"))
	if c := codes(el); !slices.Contains(c, statusShutdown) || !slices.Contains(c, statusSelf) {
		t.Fatalf("shutdown presence %s", el)
	}
}

// TestRoomDisco: ROOM_LIST (global, capped, and per user) in disco#items; disco#info on a
// room; the MUC feature on the service with features.muc.
func TestRoomDisco(t *testing.T) {
	e, tr, h := mucEnv(t)
	e.be.set(func(f *fakeBackends) { f.features.MUC = true })
	e.r.HandleBackendMessage("", pb.WrapperMessage_TYPE_ROOM_LIST, &pb.RoomList{
		Room: []string{"#a", "#b", "#c"}, Name: []string{"A", "B", "C"}})
	e.backend(bob, pb.WrapperMessage_TYPE_ROOM_LIST, &pb.RoomList{User: s(bob),
		Room: []string{"#lobby", "#x@irc"}, Name: []string{"Lobby"}})
	send(t, h, `<iq type='get' id='i1' to='localhost'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>`)
	items := tr.wait(t, "items", contains(`id="i1"`)).Child(xmpp.NSDiscoItems, "query").Children()
	var jids []string
	for _, it := range items {
		jids = append(jids, it.Attr("jid")+"="+it.Attr("name"))
	}
	want := []string{"#a@localhost=A", "#b@localhost=B", "#lobby@localhost=Lobby", `#x\40irc@localhost=#x@irc`}
	if !slices.Equal(jids, want) {
		t.Fatalf("items %q, want %q", jids, want)
	}
	send(t, h, `<iq type='get' id='i2' to='#lobby@localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	info := tr.wait(t, "room info", contains(`id="i2"`))
	if !strings.Contains(info.String(), `category="conference"`) || !strings.Contains(info.String(), `name="Lobby"`) ||
		!strings.Contains(info.String(), xmpp.NSMUC+`"`) {
		t.Fatalf("room info %s", info)
	}
	send(t, h, `<iq type='get' id='i3' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`)
	if !strings.Contains(tr.wait(t, "server info", contains(`id="i3"`)).String(), xmpp.NSMUC+`"`) {
		t.Fatal("service without the muc feature")
	}
}
