package feature

import (
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Absent is offered a message that a user sends to another user of this server whom the
// router does not know (no legacy session, login or linger: the recipient is fully logged
// out). Without it such a JID looks like a legacy contact's (name%host@domain) and the
// message goes to the sender's legacy network.
//
// It runs on the sender's actor with the recipient's bare JID. handled false means to is
// no account the feature knows: the message goes on as to a legacy contact. handled with
// err nil means the feature took it (stored it, or dropped what is not kept for a
// logged-out user: chat states, errors). A non-nil err (an *Error) is bounced to the
// sender (the recipient's storage is full).
type Absent interface {
	MessageAbsent(to jid.JID, msg *xmpp.Element) (handled bool, err error)
}
