package router

import (
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// The router's side of router/feature/peer.go: IQs to another user's bare JID, a
// feature's work on another user's actor, and the own vCard.
//
// Subscriptions between two users of this server: there is no roster of our own. A
// presence subscription from alice to bob's JID goes to alice's legacy network like any
// other (presence.go presenceToBuddy), and what the network accepts lands on alice's
// roster; bob never hears of it here. So "bob shares his presence with alice" means
// bob's roster, as his network gave it, lists alice: feature.User.InRoster on bob's
// handle, and LocalContacts for the other direction.

// peerIQ offers a get or set to another known user's bare JID to the feature registered
// for its payload at feature.Peer; false if t is no such user or no feature takes it.
func (u *user) peerIQ(rs *resource, iq, p *xmpp.Element, t target) bool {
	if t.kind != targetBuddy || t.jid.Resourcepart() != "" {
		return false
	}
	h := u.r.feats.iqs[feature.IQ{Space: p.Space, Local: p.Local, Scope: feature.Peer}]
	if h == nil || u.r.lookup(t.jid.Bare().String()) == nil {
		return false
	}
	h.HandleIQ(u.handle(), rs.key, iq, p)
	return true
}

var _ feature.Peers = userHandle{}

// Peer implements feature.Peers.
func (h userHandle) Peer(bare string, fn func(feature.User)) bool {
	v := h.u.r.lookup(bare)
	if v == nil || v == h.u || v.mb.full() {
		return false
	}
	v.post(func() {
		if !v.removed() {
			fn(v.handle())
		}
	})
	return true
}

// LocalContacts implements feature.Peers.
func (h userHandle) LocalContacts() []string {
	var out []string
	for _, b := range h.u.roster.buddies {
		// A user's JID is its legacy name with the last '@' as '%' (name%host), which
		// is the contact's own JID unless XEP-0106 escaping gave it name\40host.
		for _, j := range []string{h.u.buddyBare(b), jidmap.LegacyNode(b.name, false) + "@" + h.u.r.cfg.Domain} {
			if j != h.u.key && h.u.r.lookup(j) != nil {
				out = append(out, j)
				break
			}
		}
	}
	return out
}

// ownVCardHooks offers the vCard a resource set for the user to the features. A vCard
// set is rare, so the hooks are found here rather than sorted at wiring.
func (u *user) ownVCardHooks(card *xmpp.Element) {
	if card == nil {
		return
	}
	for _, f := range u.r.cfg.Features {
		if h, ok := f.(feature.OwnVCard); ok {
			h.OwnVCard(u.handle(), card)
		}
	}
}
