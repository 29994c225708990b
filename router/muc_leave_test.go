package router

import (
	"testing"

	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestRejoinBeforeLeaveConfirmed: a client leaves #lobby and joins again before the
// network confirmed the leave; the late confirmation does not end the new membership.
func TestRejoinBeforeLeaveConfirmed(t *testing.T) {
	e, tr, h := mucEnv(t)
	joinLobby(t, e, tr, h, "bob")
	send(t, h, `<presence to='`+lobby+`/bob' type='unavailable'/>`)
	tr.wait(t, "own exit", unavailableFrom(lobby+"/bob"))
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_LEAVE_ROOM, func(proto.Message) bool { return true })

	send(t, h, `<presence to='`+lobby+`/bob'><x xmlns='http://jabber.org/protocol/muc'/></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, func(m proto.Message) bool {
		return m.(*pb.Room).GetNickname() == "bob"
	})
	n := len(tr.all())
	// The network's confirmation of the leave, then its answer to the join.
	e.participant(participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_NONE))
	e.participant(participantFrame("#lobby", "Ada", 0, pb.StatusType_STATUS_ONLINE))
	e.participant(participantFrame("#lobby", "bob", pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "self-presence of the new join", selfPresence("bob"))
	for _, el := range tr.all()[n:] {
		if unavailableFrom(lobby + "/bob")(el) {
			t.Fatalf("the late leave confirmation ended the new join: %s", el)
		}
	}
	// The room is still joined: a message reaches the client.
	e.roomMsg("#lobby", "Ada", "still here", false)
	tr.wait(t, "a message of the room", groupchat(lobby+"/Ada", "still here"))
}
