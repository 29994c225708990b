package backend

import "context"

// Plugin is what every backend implements. Handlers must not block for long: see the
// package documentation.
type Plugin interface {
	// Features is announced once, in BACKEND_CONFIG, when the connection starts.
	Features() Features
	// Login signs a user in. Report the outcome with Sink.Connected or
	// Sink.Disconnected, possibly later from a goroutine started with Sink.Go.
	Login(ctx context.Context, s *Sink, l Login)
	// Logout signs a user out; no answer is expected.
	Logout(ctx context.Context, s *Sink, l Logout)
}

// Messenger handles CONV_MESSAGE from the user. When the message has an ID and the
// backend announced Features.Receipts, answer it with Sink.Ack once delivered.
type Messenger interface {
	Message(ctx context.Context, s *Sink, m Message)
}

// Marker handles the user's read markers (CONV_MESSAGE_ACK from the daemon, sent only
// when the backend announced Features.Markers): the user displayed (XEP-0333) or received
// (XEP-0184) the message id from buddy.
type Marker interface {
	Displayed(ctx context.Context, s *Sink, user, buddy, id string)
}

// Eventer handles the user's reactions and retractions (CONV_EVENT, ours: sent only when
// the backend announced Features.Reactions or Features.Retractions).
type Eventer interface {
	Event(ctx context.Context, s *Sink, e Event)
}

// Typer handles the user's chat states (BUDDY_TYPING, BUDDY_TYPED, BUDDY_STOPPED_TYPING).
type Typer interface {
	Typing(ctx context.Context, s *Sink, user, buddy string, state TypingState)
}

// Attender handles ATTENTION (XEP-0224 "buzz") from the user; m.Body may be empty.
type Attender interface {
	Attention(ctx context.Context, s *Sink, m Message)
}

// RoomHandler handles JOIN_ROOM and LEAVE_ROOM. A join is answered with Participant
// events (the user's own one last, with flag ME) and, if known, RoomSubject (spec 3.12).
type RoomHandler interface {
	JoinRoom(ctx context.Context, s *Sink, r Room)
	LeaveRoom(ctx context.Context, s *Sink, r Room)
}

// SubjectSetter handles ROOM_SUBJECT_CHANGED from the user: m.Buddy is the room, m.Body
// the new subject.
type SubjectSetter interface {
	SetSubject(ctx context.Context, s *Sink, m Message)
}

// StatusSetter handles STATUS_CHANGED: the user's own presence.
type StatusSetter interface {
	SetStatus(ctx context.Context, s *Sink, st Status)
}

// RosterEditor handles the user's contact-list edits: BUDDY_CHANGED (add, rename,
// regroup; b.Blocked non-nil means a block toggle) and BUDDY_REMOVED.
type RosterEditor interface {
	BuddyChanged(ctx context.Context, s *Sink, b Buddy)
	BuddyRemoved(ctx context.Context, s *Sink, b Buddy)
}

// VCardProvider answers VCARD requests. Without it the SDK answers every request with an
// empty vCard carrying the request's ID.
type VCardProvider interface {
	VCard(ctx context.Context, s *Sink, r VCardRequest)
}

// VCardUpdater handles the user's own vCard update (a VCARD with a photo).
type VCardUpdater interface {
	UpdateVCard(ctx context.Context, s *Sink, u VCardUpdate)
}

// RawXMLHandler handles RAW_XML frames (spec 3.21): data is one stanza or a piece of one.
type RawXMLHandler interface {
	RawXML(ctx context.Context, s *Sink, data []byte)
}

// BuddiesReceiver handles BUDDIES: the roster the daemon stored for a user, sent right
// after LOGIN when Features.SendBuddiesOnLogin is set.
type BuddiesReceiver interface {
	Buddies(ctx context.Context, s *Sink, user string, buddies []Buddy)
}
