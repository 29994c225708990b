package router

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const (
	bob   = "bob@localhost"
	lobby = "#lobby@localhost"
)

// XEP-0045 status codes the tests look for.
const (
	statusSelf       = "110"
	statusBanned     = "301"
	statusRenamed    = "303"
	statusKicked     = "307"
	statusNickForced = "210"
	statusShutdown   = "332"
)

// mucEnv: bob connected with resource a; rooms keep 3 messages of history.
func mucEnv(t *testing.T) (*env, *testResource, *handler) {
	t.Helper()
	e := newEnv(t, func(c *Config) { c.MUCHistory = 3; c.MaxRoomListSize = 2 })
	tr, h := e.connect(bob, secret, "a")
	return e, tr, h
}

func participantFrame(room, nick string, flags pb.ParticipantFlag, st pb.StatusType) *pb.Participant {
	return &pb.Participant{UserName: s(bob), Room: s(room), Nickname: s(nick), Flag: proto.Int32(int32(flags)),
		Status: st.Enum()}
}

// participant delivers PARTICIPANT_CHANGED for bob.
func (e *env) participant(p *pb.Participant) {
	e.backend(bob, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, p)
}

// roomMsg delivers a groupchat message (or, with pm, a private one) for bob.
func (e *env) roomMsg(room, nick, body string, pm bool) {
	e.backend(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: s(bob),
		BuddyName: s(room), Nickname: s(nick), Message: s(body), Pm: proto.Bool(pm)})
}

func (e *env) subject(room, nick, text string) {
	e.backend(bob, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{UserName: s(bob),
		BuddyName: s(room), Nickname: s(nick), Message: s(text)})
}

// joinLobby joins #lobby as nick from h and plays the network's answer: Ada (moderator),
// Turing, our own participant, the subject. It returns when the self-presence arrived.
func joinLobby(t *testing.T, e *env, tr *testResource, h *handler, nick string) {
	t.Helper()
	send(t, h, `<presence to='`+lobby+`/`+nick+`'><x xmlns='http://jabber.org/protocol/muc'><password>pw</password></x></presence>`)
	e.be.waitFrame(t, pb.WrapperMessage_TYPE_JOIN_ROOM, func(m proto.Message) bool {
		return m.(*pb.Room).GetNickname() == nick
	})
	e.subject("#lobby", "Ada", "Welcome")
	e.participant(participantFrame("#lobby", "Ada", pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR, pb.StatusType_STATUS_ONLINE))
	e.participant(participantFrame("#lobby", "Turing", 0, pb.StatusType_STATUS_AWAY))
	e.participant(participantFrame("#lobby", nick, pb.ParticipantFlag_PARTICIPANT_FLAG_ME, pb.StatusType_STATUS_ONLINE))
	tr.wait(t, "self-presence", selfPresence(nick))
}

// presenceFrom matches an available presence from full JID from.
func presenceFrom(from string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return el.Local == "presence" && el.From() == from && el.Type() == ""
	}
}

// unavailableFrom matches an unavailable presence from full JID from.
func unavailableFrom(from string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return el.Local == "presence" && el.From() == from && el.Type() == "unavailable"
	}
}

// selfPresence matches the available self-presence (110) under nick in #lobby.
func selfPresence(nick string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return presenceFrom(lobby+"/"+nick)(el) && slices.Contains(codes(el), statusSelf)
	}
}

// codes lists the muc#user status codes of a presence.
func codes(el *xmpp.Element) []string {
	x := el.Child(xmpp.NSMUCUser, "x")
	if x == nil {
		return nil
	}
	var out []string
	for _, c := range x.Children() {
		if c.Local == "status" {
			out = append(out, c.Attr("code"))
		}
	}
	return out
}

// item is the muc#user item of a presence.
func item(el *xmpp.Element) *xmpp.Element {
	if x := el.Child(xmpp.NSMUCUser, "x"); x != nil {
		return x.Child(xmpp.NSMUCUser, "item")
	}
	return nil
}

// index is the position of the first stanza matching ok, or -1.
func (tr *testResource) index(ok func(*xmpp.Element) bool) int {
	return slices.IndexFunc(tr.all(), ok)
}

func groupchat(from, body string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return el.Local == "message" && el.Type() == "groupchat" && el.From() == from &&
			el.ChildText(xmpp.NSClient, "body") == body
	}
}

func subjectMsg(text string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool {
		return el.Local == "message" && el.Type() == "groupchat" && el.Child(xmpp.NSClient, "subject") != nil &&
			el.ChildText(xmpp.NSClient, "subject") == text
	}
}
