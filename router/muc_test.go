package router

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestJoin: JOIN_ROOM with the password; participants with role and affiliation; the
// self-presence (110) after them; the subject held back until the self-presence.
func TestJoin(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	j := e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil).(*pb.Room)
	if j.GetRoom() != "#lobby" || j.GetPassword() != "pw" || j.GetUserName() != bob {
		t.Fatalf("JOIN_ROOM %v", j)
	}
	ada := tr.wait(t, "Ada", presenceFrom(lobby+"/Ada"))
	if it := item(ada); it == nil || it.Attr("role") != "moderator" || it.Attr("affiliation") != "admin" {
		t.Fatalf("Ada: %s", ada)
	}
	turing := tr.wait(t, "Turing", presenceFrom(lobby+"/Turing"))
	if it := item(turing); it.Attr("role") != "participant" || turing.ChildText(xmpp.NSClient, "show") != "away" {
		t.Fatalf("Turing: %s", turing)
	}
	tr.wait(t, "subject", subjectMsg("Welcome"))
	self, subj := tr.index(selfPresence("bob")), tr.index(subjectMsg("Welcome"))
	if tr.index(presenceFrom(lobby+"/Ada")) > self || subj < self {
		t.Fatalf("order: participants, self-presence, subject: %v", tr.all())
	}
	if slices.Contains(codes(tr.all()[self]), statusNickForced) {
		t.Fatal("210 without a nick change")
	}
}

// TestJoinBeforeConnected: a join during a re-login is sent on CONNECTED, and rooms are
// joined again after a backend restart (spec 3.12).
func TestJoinBeforeConnected(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	e.be.set(func(f *fakeBackends) { f.onLogin = func(*pb.Login) {} })
	e.backend(bob, pb.WrapperMessage_TYPE_DISCONNECTED, &pb.Disconnected{User: s(bob),
		Error: proto.Int32(int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR)), Message: s("restart")})
	eventually(t, "re-login", func() bool { return e.be.nLogins() == 2 })
	send(t, h, `<presence to='#dev@localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	settle(t, e.r, bob)
	if n := e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM); n != 1 {
		t.Fatalf("JOIN_ROOM before CONNECTED: %d frames", n)
	}
	e.backend(bob, pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: s(bob)})
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, func(m proto.Message) bool { return m.(*pb.Room).GetRoom() == "#dev" })
	eventually(t, "re-join of #lobby", func() bool { return e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM) == 3 })
}

// TestJoinErrors: the error flags of our own participant become error presences and the
// room is left (spec 3.12).
func TestJoinErrors(t *testing.T) {
	tests := []struct {
		flag      pb.ParticipantFlag
		cond, typ string
	}{
		{pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT, "conflict", "cancel"},
		{pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED, "not-authorized", "auth"},
		{pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND, "item-not-found", "cancel"},
	}
	for _, tc := range tests {
		t.Run(tc.cond, func(t *testing.T) {
			e, tr, h := mucEnv(t)
			send(t, h, `<presence to='`+lobby+`/Ada'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
			e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil)
			p := participantFrame("#lobby", "Ada", tc.flag, pb.StatusType_STATUS_ONLINE)
			p.StatusMessage = s("no way")
			e.participant(p)
			el := tr.wait(t, "error presence", func(el *xmpp.Element) bool { return el.Type() == "error" })
			if errCond(el) != tc.cond || el.Child(xmpp.NSClient, "error").Attr("type") != tc.typ ||
				el.From() != lobby+"/Ada" || el.Child(xmpp.NSMUC, "x") == nil || !strings.Contains(el.String(), "no way") {
				t.Fatalf("error presence %s", el)
			}
			e.be.waitFrame(t, pb.WrapperMessage_TYPE_LEAVE_ROOM, nil)
			settle(t, e.r, bob)
			if u := e.r.lookup(bob); u.rooms.Len() != 0 {
				t.Fatal("room kept after the error")
			}
		})
	}
}

// TestKickBan: quirk 16 fixed: KICKED and BANNED become 307 and 301, for us and others.
func TestKickBan(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	e.participant(participantFrame("#lobby", "Turing", pb.ParticipantFlag_PARTICIPANT_FLAG_BANNED, pb.StatusType_STATUS_NONE))
	ban := tr.wait(t, "Turing banned", unavailableFrom(lobby+"/Turing"))
	if !slices.Contains(codes(ban), statusBanned) {
		t.Fatalf("ban: %s", ban)
	}
	p := participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED, pb.StatusType_STATUS_NONE)
	p.StatusMessage = s("You asked for it")
	e.participant(p)
	kick := tr.wait(t, "kicked", unavailableFrom(lobby+"/bob"))
	if c := codes(kick); !slices.Contains(c, statusKicked) || !slices.Contains(c, statusSelf) ||
		!strings.Contains(kick.String(), "You asked for it") {
		t.Fatalf("kick: %s", kick)
	}
	settle(t, e.r, bob)
	if e.r.lookup(bob).rooms.Len() != 0 {
		t.Fatal("room kept after the kick")
	}
}

// TestRenames: a member's rename is 303 then the new presence; the network changing our
// nick (ROOM_NICKNAME_CHANGED) gives a self-presence with 210.
func TestRenames(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	p := participantFrame("#lobby", "Turing", 0, pb.StatusType_STATUS_ONLINE)
	p.Newname = s("Alan")
	e.participant(p)
	old := tr.wait(t, "303", unavailableFrom(lobby+"/Turing"))
	if !slices.Contains(codes(old), statusRenamed) || item(old).Attr("nick") != "Alan" {
		t.Fatalf("rename: %s", old)
	}
	tr.wait(t, "new name", presenceFrom(lobby+"/Alan"))
	if tr.index(presenceFrom(lobby+"/Alan")) < tr.index(unavailableFrom(lobby+"/Turing")) {
		t.Fatal("new presence before the 303")
	}
	e.backend(bob, pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED, &pb.Room{UserName: s(bob), Room: s("#lobby"), Nickname: s("bob_")})
	e.participant(participantFrame("#lobby", "bob_", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	self := tr.wait(t, "self under the new nick", selfPresence("bob_"))
	if !slices.Contains(codes(self), statusNickForced) {
		t.Fatalf("no 210: %s", self)
	}
}

// TestClientNickChange: the protocol cannot carry it, so the client hears not-acceptable.
func TestClientNickChange(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	send(t, h, `<presence to='`+lobby+`/robert' id='nc'/>`)
	el := tr.wait(t, "refusal", contains(`id="nc"`))
	if errCond(el) != "not-acceptable" {
		t.Fatalf("nick change: %s", el)
	}
	send(t, h, `<presence to='`+lobby+`/bob' id='st'><show>away</show></presence>`)
	settle(t, e.r, bob)
	if tr.has(contains(`id="st"`)) || e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM) != 1 {
		t.Fatal("a status update in the room is not a join")
	}
}

// TestUnavailableLeavesRooms: a broadcast unavailable leaves every room (XEP-0045 7.14)
// before the legacy session ends.
func TestUnavailableLeavesRooms(t *testing.T) {
	e, tr, h := mucEnv(t)
	send(t, h, `<presence/>`)
	joinLobby(t, e, tr, h, "bob")
	send(t, h, `<presence type='unavailable'/>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_LEAVE_ROOM, nil)
	eventually(t, "LOGOUT", func() bool { return e.be.nLogouts() == 1 })
}

// TestSecondResourceJoinsDuringJoin: a resource joining while the network has not
// confirmed the first join gets what arrived so far and then the rest with the others.
func TestSecondResourceJoinsDuringJoin(t *testing.T) {
	e, tr, h := mucEnv(t)
	send(t, h, `<presence to='`+lobby+`/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil)
	e.participant(participantFrame("#lobby", "Ada", pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR, pb.StatusType_STATUS_ONLINE))
	g, err := e.auth(bob, secret)
	if err != nil {
		t.Fatal(err)
	}
	tr2, h2 := e.bind(g, bob+"/b")
	send(t, h2, `<presence to='`+lobby+`/bobby'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr2.wait(t, "Ada so far", presenceFrom(lobby+"/Ada"))
	e.participant(participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "self a", selfPresence("bob"))
	self := tr2.wait(t, "self b", selfPresence("bob"))
	if !slices.Contains(codes(self), statusNickForced) {
		t.Fatalf("b asked for bobby and got bob without 210: %s", self)
	}
	if slices.Contains(codes(tr.all()[tr.index(selfPresence("bob"))]), statusNickForced) {
		t.Fatal("210 for the resource that got its nick")
	}
	if n := e.be.count(pb.WrapperMessage_TYPE_JOIN_ROOM); n != 1 {
		t.Fatalf("%d JOIN_ROOM", n)
	}
}

// TestRoomEscaping: replies use the room JID form the client joined with (spec 3.12: '%'
// for the network's '@', or XEP-0106 \40 when the client used it).
func TestRoomEscaping(t *testing.T) {
	for _, node := range []string{`#chan%irc.example.net`, `#chan\40irc.example.net`} {
		t.Run(node, func(t *testing.T) {
			e, tr, h := mucEnv(t)
			send(t, h, `<presence to='`+node+`@localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
			j := e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil).(*pb.Room)
			if j.GetRoom() != "#chan@irc.example.net" {
				t.Fatalf("JOIN_ROOM for %q", j.GetRoom())
			}
			e.participant(participantFrame("#chan@irc.example.net", "Ada", 0, pb.StatusType_STATUS_ONLINE))
			tr.wait(t, "Ada under the client's room JID", presenceFrom(node+"@localhost/Ada"))
		})
	}
}

// TestRoomAttachments: a client's OOB URL in a groupchat message goes to the room as in
// one-to-one chats: as an attachment when the backends read them, else as text (the URL
// itself when the message has no body).
func TestRoomAttachments(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	conv := func(id string) *pb.ConversationMessage {
		t.Helper()
		return e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, func(m proto.Message) bool {
			return m.(*pb.ConversationMessage).GetId() == id
		}).(*pb.ConversationMessage)
	}
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='n'><x xmlns='jabber:x:oob'><url>http://x/n.png</url></x></message>`)
	if n := conv("n"); len(n.Attachment) != 0 || n.GetMessage() != "http://x/n.png" || n.GetBuddyName() != "#lobby" {
		t.Fatalf("OOB to a backend without features.attachments: %v", n)
	}
	e.be.set(func(f *fakeBackends) { f.features.Attachments = true })
	send(t, h, `<message to='`+lobby+`' type='groupchat' id='a'><body>http://x/a.png</body>`+
		`<x xmlns='jabber:x:oob'><url>http://x/a.png</url><desc>pic</desc></x></message>`)
	if a := conv("a"); len(a.Attachment) != 1 || a.Attachment[0].GetUrl() != "http://x/a.png" || a.GetMessage() != "http://x/a.png" {
		t.Fatalf("OOB to a backend with features.attachments: %v", a)
	}
}
