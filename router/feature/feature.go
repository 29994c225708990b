package feature

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Feature is one server feature. Name names it in logs. What else it does it says by
// implementing the optional interfaces below; the router finds them by type assertion
// when the feature is registered.
type Feature interface {
	Name() string
}

// Scope is the address an IQ or a disco#info feature belongs to.
type Scope int

const (
	// Server is the service domain itself.
	Server Scope = iota
	// Account is the user's own bare JID (or no to at all).
	Account
	// Room is a legacy room's bare JID, as the user sees the room through its own
	// legacy session.
	Room
)

// IQ names a request payload a feature answers: its namespace, element name and scope.
type IQ struct {
	Space, Local string
	Scope        Scope
}

// IQHandler answers IQ requests (get or set) whose one payload matches one of IQs. The
// feature must answer each request exactly once, through u.Send(from, ...); the router
// answers nothing else for it.
type IQHandler interface {
	IQs() []IQ
	HandleIQ(u User, from string, iq, payload *xmpp.Element)
}

// Source says where a message routed to the user comes from.
type Source int

const (
	// Legacy is a legacy contact or room, through the user's backend.
	Legacy Source = iota
	// Local is another user of this server, or one of the user's own resources.
	Local
)

// Verdict is a hook's answer about a message.
type Verdict int

const (
	// Continue routes the message on (the hook may have stamped it).
	Continue Verdict = iota
	// Stop ends the routing: the hook stored, answered or dropped it.
	Stop
)

// Inbound sees every message routed to the user (from the legacy network, from other
// local users, errors included) before it reaches a resource. It may add to msg (a
// stanza-id) or store it, and stop it (a blocked sender).
type Inbound interface {
	Inbound(u User, msg *xmpp.Element, src Source) Verdict
}

// Outbound sees every message the user sends to a contact (a legacy one, another user
// of this server, or through a raw-XML backend), before it leaves the user. from is the
// sending resource's full JID. Stop means the hook answered it (it must say so to the
// sender: an error reply).
type Outbound interface {
	Outbound(u User, from string, msg *xmpp.Element) Verdict
}

// RoomMessages sees every groupchat message (not a subject change) of a legacy room the
// user is in, the network's echo of the user's own included, before the occupants get it
// and before it is kept for <history/>. room is the room's bare JID and legacyID the id
// the backend gave the message. It may add to msg (a stanza-id by the room) and store it.
type RoomMessages interface {
	RoomMessage(u User, room string, msg *xmpp.Element, legacyID string)
}

// RoomPrivates sees every private message with a body (XEP-0045 7.5) between the user
// and an occupant of a legacy room the user is in, both ways: one from the occupant
// (out false) before the user's resources get it, one the user sends (out true, msg's
// from the sending resource) before it goes to the backend. occupant is the occupant's
// full JID (room@service/nick) and legacyID the id the backend knows the message by. It
// may add to msg (a stanza-id by the user) and store it.
type RoomPrivates interface {
	RoomPrivate(u User, occupant string, msg *xmpp.Element, out bool, legacyID string)
}

// Error is a stanza error a hook asks the router to return to a message's sender.
type Error struct {
	Type, Condition, Text string
}

func (e *Error) Error() string { return e.Condition + ": " + e.Text }

// NoResource is offered a message with a body (chat or normal, not groupchat, not an
// error) that no resource of the user can take: none is bound, or every one refused it.
// kept is true once the feature has taken it. A non-nil err (an *Error) means the feature
// refused it for a reason its sender should hear (the user's storage is full): the router
// bounces it to a local sender and logs and counts one from the legacy network. With
// kept false and err nil the next feature is asked; if none keeps it the router keeps it
// in memory for the linger (sm.linger) and then drops it with a trace.
type NoResource interface {
	NoResource(u User, msg *xmpp.Element, src Source) (kept bool, err error)
}

// Login runs when a resource sends its initial available presence: after it could ask
// for the roster and got the contacts' presences, before the messages that arrive from
// then on. resource is its full JID.
type Login interface {
	Login(u User, resource string)
}

// Disco adds features (var values) to the disco#info answer of the server, of the user's
// account or of a legacy room.
type Disco interface {
	DiscoFeatures(s Scope) []string
}

// StreamFeatures adds children to the <stream:features/> offered after bind-time
// negotiation, e.g. a server's <c/> (XEP-0115).
type StreamFeatures interface {
	StreamFeatures() []*xmpp.Element
}

// Resource is what a feature sees of one bound resource.
type Resource struct {
	JID       string // full JID
	Available bool   // sent an available presence
	Priority  int
}

// User is a feature's narrow handle on one user. It is valid only during the hook call
// that received it, on the user's actor: keep the user's bare JID, not the handle.
type User interface {
	// JID is the user's bare JID; Domain is the service's.
	JID() jid.JID
	Domain() string
	// Resources are the bound resources, in bind order.
	Resources() []Resource
	// Send queues el for the resource with full JID to and reports whether its session
	// took it (a closing session refuses).
	Send(to string, el *xmpp.Element) bool
	// SendAll sends el (a copy each) to every available resource, with to set to each.
	SendAll(el *xmpp.Element)
	// Value and SetValue keep per-user state of a feature for as long as the user is
	// known to the router (its legacy session); key should be a private type of the
	// feature's package, as with context values.
	Value(key any) any
	SetValue(key, v any)
	// InRoster reports whether bare JID jid is a contact on the user's roster.
	InRoster(jid string) bool
	// BlockLegacy asks the backend to block or unblock, on the legacy network, the
	// contact with bare JID jid (Spectrum 2's block toggle: a BUDDY_CHANGED with blocked
	// set). It reports false when jid is no legacy contact's JID or no backend took the
	// frame; a backend without blocking ignores the frame. On unblock an online roster
	// contact's presence is sent again, through the InboundPresence hooks.
	BlockLegacy(jid string, blocked bool) bool
}

// MessageIDs maps between the XEP-0359 stanza-ids a feature gave messages (the archive)
// and the ids the legacy network knows them by, so that a correction, reaction, reply or
// retraction names the right message on either side (issue 24). room is the room's bare
// JID, "" for the user's own conversations; ok is false when the feature does not know
// the id (the router then passes it on as it is).
type MessageIDs interface {
	LegacyID(u User, room, stanzaID string) (legacyID string, ok bool)
	StanzaID(u User, room, legacyID string) (stanzaID string, ok bool)
}
