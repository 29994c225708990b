package router

import (
	"encoding/base64"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// The router's side of router/feature/account.go: the account's identities, the
// resources' presences and the answers to what features asked them.

// discoIdentities are the features' disco#info identities for scope s.
func (f *features) discoIdentities(s feature.Scope) []feature.Identity {
	var out []feature.Identity
	for _, d := range f.identities {
		out = append(out, d.DiscoIdentities(s)...)
	}
	return out
}

// resourcePresenceHooks runs the features' Presence hooks on a broadcast presence of rs.
func (u *user) resourcePresenceHooks(rs *resource, p *xmpp.Element) {
	for _, h := range u.r.feats.resPresence {
		h.Presence(u.handle(), rs.key, p)
	}
}

// iqResponseHooks offers a resource's IQ result or error to the features; true if one
// was waiting for it.
func (u *user) iqResponseHooks(rs *resource, iq *xmpp.Element) bool {
	for _, h := range u.r.feats.iqResponse {
		if h.IQResponse(u.handle(), rs.key, iq) {
			return true
		}
	}
	return false
}

var _ feature.LegacyProfile = userHandle{}

// SetLegacyProfile implements feature.LegacyProfile through the own-vCard update frame
// (spec 3.11).
func (h userHandle) SetLegacyProfile(nick string, photo []byte) bool {
	card := xmpp.New(xmpp.NSVCard, "vCard")
	if nick != "" {
		card.Append(xmpp.New(xmpp.NSVCard, "NICKNAME").AppendText(nick))
	}
	if len(photo) > 0 {
		bin := xmpp.New(xmpp.NSVCard, "BINVAL").AppendText(base64.StdEncoding.EncodeToString(photo))
		card.Append(xmpp.New(xmpp.NSVCard, "PHOTO").Append(bin))
	}
	return h.u.sendVCardUpdate(card) == nil
}
