package router

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Our protocol extensions (pbnetwork.proto, fields 100 and features.markers).

func TestParticipantAffiliation(t *testing.T) {
	e, tr, h := mucEnv(t)
	send(t, h, `<presence to='`+lobby+`/me'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, nil)
	owner := participantFrame("#lobby", "Ada", pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR, pb.StatusType_STATUS_ONLINE)
	owner.Affiliation = s("owner")
	bogus := participantFrame("#lobby", "Eve", 0, pb.StatusType_STATUS_ONLINE)
	bogus.Affiliation = s("emperor") // not an affiliation: the flags decide
	e.participant(owner)
	e.participant(bogus)
	e.participant(participantFrame("#lobby", "me", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	for nick, want := range map[string][2]string{"Ada": {"owner", "moderator"}, "Eve": {"member", "participant"}} {
		p := tr.wait(t, nick, presenceFrom(lobby+"/"+nick))
		item := p.Child(xmpp.NSMUCUser, "x").Child(xmpp.NSMUCUser, "item")
		if item.Attr("affiliation") != want[0] || item.Attr("role") != want[1] {
			t.Errorf("%s: %s", nick, p)
		}
	}
}

func TestInviteFromBackend(t *testing.T) {
	e, tr, _ := chatEnv(t, nil)
	e.backend("bob@localhost", pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{
		UserName: s("bob@localhost"), BuddyName: s("alice"), Message: s("join us"), InviteRoom: s("#room:example.org"),
	})
	m := tr.wait(t, "invitation", isMsg)
	x := m.Child(xmpp.NSConference, "x")
	if x == nil || x.Attr("jid") != `#room\3aexample.org@localhost` || x.Attr("reason") != "join us" ||
		m.ChildText(xmpp.NSClient, "body") != "join us" || m.From() != "alice@localhost/bot" {
		t.Fatalf("invitation %s", m)
	}
}

func TestMarkersToBackend(t *testing.T) {
	e, _, h := chatEnv(t, nil)
	// Without features.markers nothing goes: Spectrum 2's backends know no such frame.
	send(t, h, `<message to='alice@localhost' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='x0'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat'><body>after x0</body></message>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil) // x0 was handled before it
	e.be.set(func(f *fakeBackends) { f.features.Markers = true })
	send(t, h, `<message to='alice@localhost' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='x1'/></message>`)
	send(t, h, `<message to='alice@localhost' type='chat'><received xmlns='urn:xmpp:receipts' id='x2'/></message>`)
	for _, id := range []string{"x1", "x2"} {
		a := e.be.waitFrame(t, pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, func(m proto.Message) bool {
			return m.(*pb.ConversationMessage).GetId() == id
		}).(*pb.ConversationMessage)
		if a.GetBuddyName() != "Alice" {
			t.Fatalf("CONV_MESSAGE_ACK %v", a)
		}
	}
	if n := e.be.count(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK); n != 2 {
		t.Fatalf("%d markers sent, want 2: x0 went to a backend without features.markers", n)
	}
}
