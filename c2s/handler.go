package c2s

import (
	"context"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Authenticator decides SASL PLAIN logins. The router implements it: the decision takes as
// long as the legacy network takes, so c2s waits with a timeout (service.login_timeout).
type Authenticator interface {
	// Authenticate blocks until the login is decided or ctx ends. user is the bare JID
	// (localpart = SASL authcid, domain = our domain). On success c2s later calls exactly
	// one of Grant.Bind (a resource was bound) or Grant.Release (the stream ended first).
	// A returned *AuthError becomes the SASL failure condition and text; any other error
	// becomes temporary-auth-failure.
	Authenticate(ctx context.Context, user jid.JID, password string) (Grant, error)
}

// Grant is a successful authentication, waiting for a resource to be bound.
type Grant interface {
	// Bind attaches a bound session and returns the handler for its stanzas.
	Bind(s *Session) (SessionHandler, error)
	// Release tells the authenticator that no resource will be bound.
	Release()
}

// SessionHandler receives the stanzas of one bound session.
type SessionHandler interface {
	// HandleStanza is called on the connection's reader goroutine, in order, with from
	// already stamped with the session's full JID. It must not block.
	HandleStanza(el *xmpp.Element)
	// Closed is called once when the session is over: the stream was closed, or a
	// hibernated session (XEP-0198) timed out. undelivered holds stanzas sent to the client
	// that it never acknowledged, so the router can deliver them elsewhere.
	Closed(undelivered []*xmpp.Element)
}

// Pacer is optional for a SessionHandler: before handing on each stanza, c2s waits in
// Room, and stops reading the socket meanwhile. A handler whose queue is full thus slows
// the client through TCP instead of growing memory; nothing read is dropped.
type Pacer interface {
	// Room returns once the handler can take another stanza, or when ctx ends (the
	// connection is closing; the stanza is still handed on).
	Room(ctx context.Context)
}

// AuthError is a SASL failure with its RFC 6120 section 6.5 condition
// (not-authorized, temporary-auth-failure, ...) and a human-readable text.
type AuthError struct {
	Condition string
	Text      string
}

func (e *AuthError) Error() string {
	if e.Text == "" {
		return e.Condition
	}
	return e.Condition + ": " + e.Text
}
