package c2s

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Session is one bound resource. The router holds it through an interface of its own
// (JID, Send, Close). With stream management (XEP-0198) a Session outlives its TCP
// connection while it is hibernated: Send keeps queueing.
//
// CONTRACT SKELETON: the c2s implementation fills in the fields and bodies; the method set
// below is what the router relies on and must not change.
type Session struct {
	jid jid.JID
}

// JID is the session's full JID.
func (s *Session) JID() jid.JID { return s.jid }

// Send queues el for the client. It never blocks: the per-connection queue is bounded and
// an overflow closes the connection with policy-violation. The error is non-nil when the
// session is already closed.
func (s *Session) Send(el *xmpp.Element) error { panic("c2s: Session.Send not implemented") }

// Close ends the session with a stream error (condition such as "conflict",
// "system-shutdown"; text may be empty), then </stream:stream> and close.
func (s *Session) Close(condition, text string) { panic("c2s: Session.Close not implemented") }
