package backend

import pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"

// Login is a LOGIN request (spec 1.3): sign User into the legacy network as LegacyName.
type Login struct {
	// User is the user's bare JID; every event about this login names it.
	User       string
	LegacyName string
	// Password is secret: never log it.
	Password string
	// Settings are the user's stored settings (Login.settings).
	Settings map[string]string
	// ExtraFields is Login.extraFields (the Python plugin's view of the settings).
	ExtraFields []string
}

// Logout is a LOGOUT request: sign User out.
type Logout struct {
	User, LegacyName string
}

// Message is a CONV_MESSAGE in either direction, and the payload of ATTENTION and
// ROOM_SUBJECT_CHANGED (spec 1.3, 3.9, 3.10).
type Message struct {
	User string
	// Buddy is the contact or room legacy name; a private message in a room is addressed
	// "<room>/<nick>" by the daemon, and answered with Buddy=room, Nickname=nick, PM=true.
	Buddy string
	Body  string
	// Nickname is the sender inside a room (B→M), empty for 1:1 messages.
	Nickname string
	// XHTML is the inner XML of the XHTML-IM body, "" for none.
	XHTML string
	// Timestamp is a delayed message's UTC time as YYYYMMDDTHHMMSS, "" for now.
	Timestamp string
	// ID is the message id; M→B it is set only when the client asked for a receipt.
	ID       string
	Headline bool
	// PM marks a private message from a room participant (Buddy=room, Nickname=sender).
	PM bool
	// Carbon marks a message the user sent from another legacy client.
	Carbon      bool
	Attachments []Attachment
	// The extensions of issue 24 (docs/protocol-extensions.md), sent and received only
	// with the matching Features key. ReplaceID (features.corrections) is the id of the
	// message this one corrects. ReplyToID (features.replies) is the id of the message
	// this one answers, ReplyToSender its sender ("" for the user), ReplyFallbackEnd the
	// length in characters of the quote the body starts with (0: none).
	ReplaceID        string
	ReplyToID        string
	ReplyToSender    string
	ReplyFallbackEnd int
}

// Event is a body-less CONV_EVENT (ours, issue 24), both ways: exactly one of ReactTo
// (features.reactions: Reactions is the sender's full set of reactions to that message,
// empty when all were removed), Retract (features.retractions: the id of the message
// withdrawn) or Displayed (features.markers, backend to daemon only: the contact read the
// user's messages up to that id) is set.
type Event struct {
	User, Buddy string
	Nickname    string // the sender inside a room, "" for 1:1
	ID          string // the event's own legacy id, if it has one
	ReactTo     string
	Reactions   []string
	Retract     string
	Displayed   string
}

// Attachment is a file shared by URL (sent on as jabber:x:oob).
type Attachment struct {
	URL, MimeType, Description string
}

// Buddy is a contact (BUDDY_CHANGED in either direction). IconHash and Blocked are
// pointers because their presence on the wire means something (spec 1.2): nil leaves the
// field out; M→B a present Blocked means "toggle block", not "update contact".
type Buddy struct {
	User          string
	Name          string
	Alias         string
	Groups        []string
	Status        pb.StatusType
	StatusMessage string
	IconHash      *string
	Blocked       *bool
}

// TypingState is a chat state carried by BUDDY_TYPING, BUDDY_TYPED and BUDDY_STOPPED_TYPING.
type TypingState int

// The chat states of spec 3.9/3.10: composing, paused, active.
const (
	Typing TypingState = iota
	Paused
	StoppedTyping
)

// frameType maps the state to its frame type.
func (t TypingState) frameType() pb.WrapperMessage_Type {
	switch t {
	case Paused:
		return pb.WrapperMessage_TYPE_BUDDY_TYPED
	case StoppedTyping:
		return pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING
	}
	return pb.WrapperMessage_TYPE_BUDDY_TYPING
}

// Room is a JOIN_ROOM or LEAVE_ROOM request, and a ROOM_NICKNAME_CHANGED event.
type Room struct {
	User     string
	Room     string
	Nickname string
	Password string
}

// Participant is a PARTICIPANT_CHANGED event: someone in Room appeared, changed, was
// renamed (NewName) or left (Status STATUS_NONE). Flags are pbnetwork.ParticipantFlag bits;
// the user's own nickname with CONFLICT, NOT_AUTHORIZED or ROOM_NOT_FOUND is a failed join.
type Participant struct {
	User          string
	Room          string
	Nickname      string
	Flags         pb.ParticipantFlag
	Status        pb.StatusType
	StatusMessage string
	NewName       string
	IconHash      string
	Alias         string
	// Affiliation is the XEP-0045 affiliation ("owner", "admin", "member", "none",
	// "outcast") when the network knows it (our extension field); "" lets the flags decide
	// (moderators are admins, spec 3.12).
	Affiliation string
}

// Invite is an invitation by Buddy to Room (a CONV_MESSAGE with our extension field
// inviteRoom): the daemon sends it to the user as a XEP-0249 invitation from the buddy,
// with Reason as its reason.
type Invite struct {
	User, Buddy, Room, Reason string
}

// Status is a STATUS_CHANGED request: the user's own presence.
type Status struct {
	User    string
	Status  pb.StatusType
	Message string
}

// VCardRequest asks for the vCard of Buddy ("" or the user's own name for the user's own
// card; "<room>/<nick>" for a room participant). Answer with Sink.VCard and the same ID.
type VCardRequest struct {
	User, Buddy string
	ID          int32
}

// VCardUpdate is the user's own new vCard (a VCARD that carries a photo, spec 1.2).
type VCardUpdate struct {
	User, Nickname string
	Photo          []byte
}

// VCard answers a VCardRequest. Photo nil leaves the field out; an empty non-nil Photo
// is sent as a present, empty field.
type VCard struct {
	User, Buddy string
	ID          int32
	FullName    string
	Nickname    string
	Photo       []byte
}

// RoomListEntry is one room of a ROOM_LIST.
type RoomListEntry struct {
	// Room is the legacy room name; Name is its human-readable title.
	Room, Name string
}
