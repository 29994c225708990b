package feature

import "github.com/gospectrum/spectrum2/internal/xmpp"

// The hooks below let a feature serve the user's own account as a PEP service (XEP-0163):
// it adds identities to the account's disco#info, follows what each resource says in its
// presence (XEP-0115 caps) and asks the resource itself (disco#info), and passes the
// user's own profile (nickname, avatar) on to the legacy network.

// Identity is one disco#info identity (XEP-0030).
type Identity struct {
	Category, Type, Name string
}

// DiscoIdentities adds identities to the disco#info answer of the server or of the
// user's account (which always has account/registered).
type DiscoIdentities interface {
	DiscoIdentities(s Scope) []Identity
}

// Presence sees every broadcast presence (available or unavailable) a resource of the
// user sends, once the router recorded it (Resource.Available) and before the Login hooks
// of an initial one. resource is its full JID. A resource whose stream ends without an
// unavailable presence is simply no longer among User.Resources.
type Presence interface {
	Presence(u User, resource string, p *xmpp.Element)
}

// IQResponse is offered every IQ result or error a resource sends to the user's bare JID
// or to the server, before the router's own handling. A feature that sent the request
// (through User.Send, from the user's bare JID) recognises it by its id and returns true;
// the router then does nothing else with it.
type IQResponse interface {
	IQResponse(u User, from string, iq *xmpp.Element) bool
}

// LegacyProfile is implemented by the User handle: SetLegacyProfile sends the user's own
// nickname and avatar (image bytes, empty for none) to the legacy network, as Spectrum 2's
// own-vCard update frame (a VCARD with id 0) does. It reports false when no backend took
// the frame; a backend that cannot set them ignores it.
type LegacyProfile interface {
	SetLegacyProfile(nick string, photo []byte) bool
}
