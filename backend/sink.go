package backend

import (
	"context"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Sink sends the backend's events to the daemon. It is safe for use from any goroutine;
// each method returns once its frame was written, or with the connection's write error
// (after which every later call fails too).
type Sink struct {
	w     *protocol.Writer
	ctx   context.Context
	wg    sync.WaitGroup
	files files // SendFile's transfers (files.go)
}

func newSink(ctx context.Context, w *protocol.Writer) *Sink {
	return &Sink{w: w, ctx: ctx}
}

// Go runs f in a goroutine that Run waits for before it returns. ctx ends when the
// connection is over, so f must return soon after.
func (s *Sink) Go(f func(ctx context.Context)) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f(s.ctx)
	}()
}

func (s *Sink) send(t pb.WrapperMessage_Type, m proto.Message) error {
	return s.w.WriteFrame(protocol.MustEncode(t, m))
}

// Connected reports a successful login (CONNECTED).
func (s *Sink) Connected(user string) error {
	return s.send(pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: &user})
}

// Disconnected reports a failed login or a lost legacy connection (DISCONNECTED). Codes 0
// (network error) and 16 (other error) make the daemon log the user in again; the others
// end the user's sessions with message as the reason (spec 3.4).
func (s *Sink) Disconnected(user string, code pb.ConnectionError, message string) error {
	e := int32(code)
	return s.send(pb.WrapperMessage_TYPE_DISCONNECTED,
		&pb.Disconnected{User: &user, Error: &e, Message: &message})
}

// Buddy adds or updates a contact of the user (BUDDY_CHANGED).
func (s *Sink) Buddy(b Buddy) error {
	return s.send(pb.WrapperMessage_TYPE_BUDDY_CHANGED, b.proto())
}

// BuddyRemoved removes a contact from the user's roster (BUDDY_REMOVED).
func (s *Sink) BuddyRemoved(user, buddy string) error {
	return s.send(pb.WrapperMessage_TYPE_BUDDY_REMOVED, &pb.Buddy{UserName: &user, BuddyName: &buddy})
}

// AuthRequest asks the user to accept buddy as a contact (AUTH_REQUEST).
func (s *Sink) AuthRequest(user, buddy string) error {
	return s.send(pb.WrapperMessage_TYPE_AUTH_REQUEST, &pb.Buddy{UserName: &user, BuddyName: &buddy})
}

// Message delivers a message to the user (CONV_MESSAGE). In a room, set Buddy to the room
// and Nickname to the sender; the user's own nickname is how the network echoes the
// user's own room messages (spec 3.12).
func (s *Sink) Message(m Message) error {
	return s.send(pb.WrapperMessage_TYPE_CONV_MESSAGE, m.proto())
}

// Event sends the user a contact's reactions, retraction or displayed marker (CONV_EVENT,
// ours; issue 24). Announce the matching Features key.
func (s *Sink) Event(e Event) error {
	return s.send(pb.WrapperMessage_TYPE_CONV_EVENT, e.proto())
}

// Invite sends the user buddy's invitation to a room (CONV_MESSAGE with our extension
// field inviteRoom), which the daemon delivers as a XEP-0249 invitation; the body is the
// reason, or a sentence naming the room for clients that show only bodies.
func (s *Sink) Invite(inv Invite) error {
	body := inv.Reason
	if body == "" {
		body = "You are invited to the room " + inv.Room
	}
	m := Message{User: inv.User, Buddy: inv.Buddy, Body: body}.proto()
	m.InviteRoom = &inv.Room
	return s.send(pb.WrapperMessage_TYPE_CONV_MESSAGE, m)
}

// RoomSubject tells the user a room's subject (ROOM_SUBJECT_CHANGED): m.Buddy is the room,
// m.Nickname who set it, m.Body the subject.
func (s *Sink) RoomSubject(m Message) error {
	return s.send(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, m.proto())
}

// Attention delivers an attention request ("buzz") with an optional body (ATTENTION).
func (s *Sink) Attention(user, buddy, body string) error {
	m := Message{User: user, Buddy: buddy, Body: body}
	return s.send(pb.WrapperMessage_TYPE_ATTENTION, m.proto())
}

// Typing reports buddy's chat state to the user.
func (s *Sink) Typing(user, buddy string, state TypingState) error {
	return s.send(state.frameType(), &pb.Buddy{UserName: &user, BuddyName: &buddy})
}

// Ack reports that the message with id reached buddy (CONV_MESSAGE_ACK); the daemon sends
// the user a receipt (spec 3.10).
func (s *Sink) Ack(user, buddy, id string) error {
	m := Message{User: user, Buddy: buddy, ID: id}
	return s.send(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, m.proto())
}

// Participant reports a room participant's change (PARTICIPANT_CHANGED).
func (s *Sink) Participant(p Participant) error {
	return s.send(pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, p.proto())
}

// RoomNicknameChanged sets the user's own nickname in a room (ROOM_NICKNAME_CHANGED),
// e.g. after the network refused the one asked for.
func (s *Sink) RoomNicknameChanged(user, room, nickname string) error {
	return s.send(pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED,
		&pb.Room{UserName: &user, Room: &room, Nickname: &nickname})
}

// RoomList publishes the rooms the network offers (ROOM_LIST), for one user or, with
// user "", for everyone (spec 3.13).
func (s *Sink) RoomList(user string, rooms []RoomListEntry) error {
	l := &pb.RoomList{}
	if user != "" {
		l.User = &user
	}
	for _, r := range rooms {
		l.Room = append(l.Room, r.Room)
		l.Name = append(l.Name, r.Name)
	}
	return s.send(pb.WrapperMessage_TYPE_ROOM_LIST, l)
}

// VCard answers a VCardRequest (VCARD with the request's ID).
func (s *Sink) VCard(v VCard) error {
	return s.send(pb.WrapperMessage_TYPE_VCARD, v.proto())
}

// RawXML sends stanza text in raw-XML mode (spec 3.21).
func (s *Sink) RawXML(data []byte) error {
	return s.w.WriteFrame(protocol.EncodeRawXML(data))
}

// SendFrame sends a frame the typed methods do not cover.
func (s *Sink) SendFrame(f protocol.Frame) error {
	return s.w.WriteFrame(f)
}
