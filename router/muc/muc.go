package muc

import (
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Config is what the group chats take from the router's configuration.
type Config struct {
	Domain      string // the service domain: a room's JID is node@Domain
	MaxRooms    int    // rooms a user may be in or joining at once (router.Limits.Rooms)
	History     int    // groupchat messages kept per room for late joiners; 0 keeps none
	MaxRoomList int    // the global room list's rooms shown in disco#items; 0 shows all
	MaxMembers  int    // other participants kept per room (members.go); 0 is DefaultMaxMembers
}

// Service is the group chats' state shared by every user: the configuration and the
// global room list. It is safe for concurrent use.
type Service struct {
	cfg Config
	dir directory
}

// New returns the group chats of a router with configuration cfg.
func New(cfg Config) *Service {
	if cfg.MaxMembers <= 0 {
		cfg.MaxMembers = DefaultMaxMembers
	}
	return &Service{cfg: cfg}
}

// SetList replaces the global room list with a ROOM_LIST without user (spec 3.13).
func (s *Service) SetList(l *pb.RoomList) { s.dir.set(entries(l)) }

// For is the group chats of the user behind h, whose state is st, for calls on that
// user's actor. It is cheap: make one per call rather than keep it.
func (s *Service) For(h Host, st *Rooms) User { return User{s: s, h: h, st: st} }

// Rooms is one user's group chats: the rooms it is in or joining, the leaves the network
// has not confirmed yet and the user's own room list. The zero value has none; the maps
// are made on first use, so an idle user holds none. Owned by the user's actor.
//
// Bounds: rooms holds at most Config.MaxRooms (TestRoomLimit; router's TestLimitRooms),
// leaving at most maxPendingLeaves (TestPendingLeavesBound); in each room, the other
// participants at most Config.MaxMembers, their order twice that with its holes (router's
// TestLimitRoomMembers, TestMembersOrderAndBound), private-message targets at most
// maxPMTargets (TestPMTargetsBound); and list is replaced by each
// ROOM_LIST, one backend frame, which the frame limit bounds (protocol's TestReaderLimits).
type Rooms struct {
	rooms   map[string]*room  // jidmap.Key(room) -> room joined or being joined (room.go)
	leaving map[string]string // jidmap.Key(room) -> nick of a LEAVE_ROOM not confirmed yet (leave.go)
	list    []entry           // the user's ROOM_LIST (spec 3.13)
}

// Len is the number of rooms the user is in or joining.
func (r *Rooms) Len() int { return len(r.rooms) }

// User is one user's group chats as one call on its actor sees them (Service.For).
type User struct {
	s  *Service
	h  Host
	st *Rooms
}

// Resource is one bound resource of the user, as the host knows it. The group chats keep
// it while the resource is an occupant and give it back to Host.Send.
type Resource interface {
	// JID is the resource's full JID.
	JID() string
	// Seq orders the resources by bind time: what every occupant sees does not depend on
	// map order.
	Seq() int
}

// Host is what the group chats need of the user they belong to: its resources, its legacy
// session and backend, and what they share with one-to-one chats. The router implements
// it; every method is called on the user's actor.
type Host interface {
	// User is the user's bare JID, the userName of every frame to the backend.
	User() string
	// Send queues el for one of the user's resources.
	Send(rs Resource, el *xmpp.Element)
	// Refuse answers el of rs with resource-constraint: the user reached limit n of what.
	Refuse(rs Resource, el *xmpp.Element, what string, n int)
	// Online reports whether the legacy session is up, so that frames may go to the backend.
	Online() bool
	// ToBackend sends a frame to the user's backend; an error says it did not take it.
	ToBackend(t pb.WrapperMessage_Type, m proto.Message) error
	// BounceOffline answers el of rs for a legacy session that is not up; BounceNotSent
	// for a frame the backend did not take, with ToBackend's error.
	BounceOffline(rs Resource, el *xmpp.Element)
	BounceNotSent(rs Resource, el *xmpp.Element, err error)
	// Post runs f later on the user's actor (the timers of a join).
	Post(f func())
	// Debug starts a debug log event about the user (nil when disabled).
	Debug() *zerolog.Event

	// Show is how a legacy status shows in a presence (spec 3.8): its <show/> and whether
	// it is available.
	Show(s pb.StatusType) (show string, available bool)
	// Delay is the <delay/> of a backend's timestamp, nil without one.
	Delay(ts string) *xmpp.Element

	// Conversation is the CONV_MESSAGE to the legacy name buddy for a client's message m
	// (body, XHTML-IM, attachments, the id kept end to end), nil when m carries none.
	Conversation(m *xmpp.Element, buddy string) *pb.ConversationMessage
	// References sets m's correction and reply on conv, with the ids of the legacy network
	// for room (a room's bare JID); senderOf maps the reply's to (an occupant JID) to its
	// legacy sender, "" for the user.
	References(m *xmpp.Element, conv *pb.ConversationMessage, room string, senderOf func(to string) string)
	// EventToBackend sends m's reaction or retraction to the legacy name legacy (its ids
	// mapped for room, "" for a private message), or answers rs why not; false when m
	// carries neither.
	EventToBackend(rs Resource, m *xmpp.Element, legacy, room string) bool
	// MarkerToBackend sends m's read marker to legacy, its id mapped for room.
	MarkerToBackend(m *xmpp.Element, legacy, room string) error
	// ToClient adds to msg, the groupchat message of the backend's m in room, what it
	// shares with one-to-one chats: XHTML-IM, OOB, markers, correction and reply (a reply
	// names its message by the id the client knows, its sender through senderJID).
	ToClient(msg *xmpp.Element, m *pb.ConversationMessage, room string, senderJID func(nick string) string)
	// EventToClient adds the reactions, retraction or displayed marker of the CONV_EVENT
	// m to msg, naming the message by the id the client knows in room ("" keeps the
	// legacy id); false when m carries none of them.
	EventToClient(msg *xmpp.Element, m *pb.ConversationMessage, room string) bool

	// RoomMessage runs the features' hooks on a groupchat message of room (its bare JID)
	// before the occupants get it (router/feature.RoomMessages).
	RoomMessage(room string, msg *xmpp.Element, legacyID string)
	// RoomPrivate runs them on a private message between the user and occupant (a full
	// JID), out when the user sends it (router/feature.RoomPrivates).
	RoomPrivate(occupant string, msg *xmpp.Element, out bool, legacyID string)
}

// copyFor returns el for the first recipient and a copy for the others, so that no two
// sessions share an element (c2s may annotate what it queues).
func copyFor(i int, el *xmpp.Element) *xmpp.Element {
	if i == 0 {
		return el
	}
	return el.Clone()
}
