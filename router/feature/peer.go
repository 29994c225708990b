package feature

import "github.com/gospectrum/spectrum2/internal/xmpp"

// The hooks below let a feature reach another user of this server: a user's JID looks
// like a legacy contact's (name%host@domain), and the router, which knows its users,
// tells the two apart. PEP (XEP-0163) needs both directions: an IQ one user sends to
// another's bare JID must reach the owner's service, and the owner's notifications must
// reach its contacts on this server.

// Peer is the Scope of an IQ a user sends to the bare JID of another user of this server
// whom the router knows (a legacy session, a login or a linger). Such an IQ is offered to
// the feature registered for its payload at Peer before it could go to the legacy network
// (as to a contact, or as raw XML); HandleIQ runs on the sender's actor with the sender's
// handle, and the feature reaches the owner through Peers.Peer. A logged-out user is not
// known: its JID stays a legacy contact's.
const Peer Scope = Room + 1

// Peers is implemented by the User handle.
type Peers interface {
	// Peer runs fn on the actor of the user of this server with bare JID jid, with that
	// user's handle, later and in order with that user's other work. It reports false when
	// the router knows no such user (or jid is the user itself), or when that user's
	// mailbox is full (router.Limits.Mailbox): then fn never runs. fn must not use the
	// caller's handle; to answer, it calls Peer back.
	Peer(jid string, fn func(User)) bool
	// LocalContacts are the bare JIDs of the contacts on the user's roster that are users
	// of this server the router knows. This is the only subscription state between two
	// users of this server: the roster comes from the legacy network, which has the last
	// word on who may see whom (router/features_peer.go).
	LocalContacts() []string
}

// OwnVCard sees the vCard (XEP-0054) a resource of the user sets for itself, after the
// router passed it to the legacy network: PEP publishes its PHOTO as the avatar
// (XEP-0398).
type OwnVCard interface {
	OwnVCard(u User, card *xmpp.Element)
}
