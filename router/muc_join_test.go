package router

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// startJoin sends bob's join of room as nick and waits for JOIN_ROOM.
func startJoin(t *testing.T, e *env, h *handler, room, nick string) {
	t.Helper()
	send(t, h, `<presence to='`+room+`@localhost/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, func(m proto.Message) bool {
		return m.(*pb.Room).GetRoom() == room
	})
}

func anySubject(el *xmpp.Element) bool {
	return el.Local == "message" && el.Child(xmpp.NSClient, "subject") != nil
}

// TestSelfPresenceLast: XEP-0045 7.2.3: the self-presence is the last presence of the
// join even when the backend reports our own participant first, as the libcommuni and
// libpurple backends do (own JOIN, then RPL_TOPIC, then NAMES); the subject follows it.
func TestSelfPresenceLast(t *testing.T) {
	e, tr, h := mucEnv(t)
	startJoin(t, e, h, "#lobby", "bob")
	e.participant(participantFrame("#lobby", "bob", 0, pb.StatusType_STATUS_ONLINE))
	e.subject("#lobby", "", "Welcome")
	e.participant(participantFrame("#lobby", "Ada", pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR, pb.StatusType_STATUS_ONLINE))
	e.participant(participantFrame("#lobby", "Turing", 0, pb.StatusType_STATUS_AWAY))
	tr.wait(t, "subject", subjectMsg("Welcome"))
	self := tr.index(selfPresence("bob"))
	ada, turing := tr.index(presenceFrom(lobby+"/Ada")), tr.index(presenceFrom(lobby+"/Turing"))
	if self < 0 || ada < 0 || turing < 0 || self < ada || self < turing || tr.index(subjectMsg("Welcome")) < self {
		t.Fatalf("order: participants, self-presence, subject: %v", tr.all())
	}
	if n := len(slices.DeleteFunc(tr.all(), func(el *xmpp.Element) bool { return !anySubject(el) })); n != 1 {
		t.Fatalf("%d subject messages: %v", n, tr.all())
	}
	// After the join a member arriving is an ordinary presence, the self-presence is not
	// sent again.
	e.participant(participantFrame("#lobby", "Babbage", 0, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "Babbage", presenceFrom(lobby+"/Babbage"))
	settle(t, e.r, bob)
	if n := len(slices.DeleteFunc(tr.all(), func(el *xmpp.Element) bool { return !selfPresence("bob")(el) })); n != 1 {
		t.Fatalf("%d self-presences", n)
	}
}

// TestSelfPresenceReleasedByMessage: the backend's first frame for the room that is not
// a participant (a message) shows that the occupant list is complete: the self-presence
// and the subject go out before it.
func TestSelfPresenceReleasedByMessage(t *testing.T) {
	e, tr, h := mucEnv(t)
	startJoin(t, e, h, "#lobby", "bob")
	e.participant(participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	e.participant(participantFrame("#lobby", "Ada", 0, pb.StatusType_STATUS_ONLINE))
	e.roomMsg("#lobby", "Ada", "hello", false)
	tr.wait(t, "message", groupchat(lobby+"/Ada", "hello"))
	ada, self := tr.index(presenceFrom(lobby+"/Ada")), tr.index(selfPresence("bob"))
	subj, msg := tr.index(subjectMsg("")), tr.index(groupchat(lobby+"/Ada", "hello"))
	if ada < 0 || self < ada || subj < self || msg < subj {
		t.Fatalf("order: Ada, self-presence, subject, message: %v", tr.all())
	}
}

// TestEmptySubjectEndsJoin: XEP-0045 7.2.15: a room without subject ends the join with
// an empty <subject/> from the room, for the first resource and for one joining later.
func TestEmptySubjectEndsJoin(t *testing.T) {
	e, tr, h := mucEnv(t)
	startJoin(t, e, h, "#dev", "bob")
	e.participant(participantFrame("#dev", "Ada", 0, pb.StatusType_STATUS_ONLINE))
	e.participant(participantFrame("#dev", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	empty := func(el *xmpp.Element) bool {
		return anySubject(el) && el.Type() == "groupchat" && el.From() == "#dev@localhost" &&
			el.ChildText(xmpp.NSClient, "subject") == "" && el.Child(xmpp.NSClient, "body") == nil
	}
	tr.wait(t, "empty subject", empty)
	if tr.index(empty) < tr.index(presenceFrom("#dev@localhost/bob")) {
		t.Fatalf("subject before the self-presence: %v", tr.all())
	}
	g, err := e.auth(bob, secret)
	if err != nil {
		t.Fatal(err)
	}
	tr2, h2 := e.bind(g, bob+"/b")
	send(t, h2, `<presence to='#dev@localhost/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	tr2.wait(t, "empty subject for b", empty)
}
