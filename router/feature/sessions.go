package feature

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Sessions is a feature that serves some logins itself, without a legacy session: the
// administrators of service.admin_jid (package admin, spec 3.3). The router asks each
// Sessions feature, in registration order, before it starts a legacy login.
type Sessions interface {
	// Authenticate decides the SASL login of bare (a bare JID) with password. handled
	// false leaves the login to the next feature and then to the legacy network; handled
	// with ok false refuses it (not-authorized). It must not block.
	Authenticate(bare jid.JID, password string) (handled, ok bool)
	// Open serves a resource bound after a login that Authenticate accepted.
	Open(c Conn) Session
}

// Conn is a Sessions feature's handle on one bound resource. It is safe for concurrent
// use and stays valid after Closed (sends are then dropped).
type Conn interface {
	// JID is the resource's full JID.
	JID() jid.JID
	// Send queues el to the client; the router counts it (router.Ops). A full queue
	// closes the stream with policy-violation.
	Send(el *xmpp.Element)
	// Close ends the stream with a stream error (condition, text).
	Close(condition, text string)
}

// Session handles the stanzas of one Conn. The router calls it on the session's own
// actor: in order, never concurrently, off the connection's reader goroutine.
type Session interface {
	// HandleStanza gets every stanza the client sends, with from stamped.
	HandleStanza(el *xmpp.Element)
	// Closed says the stream is over.
	Closed()
}

// DiscoItem is one item of a disco#items answer (XEP-0030).
type DiscoItem struct {
	JID, Node, Name string
}

// DiscoItems adds items to the server's disco#items answer for a node other than the
// root (whose items are the legacy rooms): the ad-hoc commands of users (XEP-0050) are
// the items of node http://jabber.org/protocol/commands.
type DiscoItems interface {
	DiscoItems(node string) []DiscoItem
}
