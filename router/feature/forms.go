package feature

import "github.com/gospectrum/spectrum2/internal/xmpp"

// DiscoForms adds XEP-0128 extended information to the disco#info answer of the server
// or of the user's account: <x xmlns='jabber:x:data' type='result'/> forms, each with a
// hidden FORM_TYPE field (the server's contact addresses, XEP-0157). They are part of
// the server's XEP-0115 hash, so they must be the same on every call.
type DiscoForms interface {
	DiscoForms(s Scope) []*xmpp.Element
}
