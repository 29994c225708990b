package pep

import (
	"maps"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// Other users of the server (router/feature/peer.go). The owner shares its presence with
// a user it has on its roster (the only subscription state between two users of this
// server, router/features_peer.go); the access model decides on that (XEP-0060 section
// 4.5): open lets every user of the server read, presence the owner's contacts,
// whitelist only the owner. Notifications go to contacts only, whatever the model but
// whitelist, and only to their resources whose caps ask for the node.

// bareOf is the bare JID of s ("" if it is none).
func bareOf(s string) string {
	j, err := jid.Parse(s)
	if err != nil {
		return ""
	}
	return j.Bare().String()
}

// peerIQ answers, from the owner's actor, a request u sends to another user's bare JID.
func (p *PEP) peerIQ(u feature.User, from string, iq *xmpp.Element) {
	owner, requester := bareOf(iq.To()), u.JID().String()
	el := iq.Clone()
	ps, ok := u.(feature.Peers)
	ok = ok && ps.Peer(owner, func(o feature.User) {
		r := &request{p: p, u: o, from: from, iq: el, user: owner}
		r.out = func(reply *xmpp.Element) {
			back, ok := o.(feature.Peers)
			if !ok || !back.Peer(requester, func(req feature.User) { req.Send(from, reply) }) {
				p.log.Warn().Str("jid", requester).Msg("a PEP answer could not go back to the requester")
			}
		}
		r.peer(requester, el.Children()[0])
	})
	if !ok {
		u.Send(from, xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaServiceUnavailable, "the user's service is busy"))
	}
}

// peer answers requester's request on the owner's service: retrieval only.
func (r *request) peer(requester string, ps *xmpp.Element) {
	kids := ps.Children()
	if r.iq.Type() != "get" || len(kids) == 0 || kids[0].Local != "items" {
		r.fail(xmpp.ErrTypeAuth, xmpp.StanzaForbidden, "", "only the owner changes a PEP node")
		return
	}
	name := r.nodeName(kids[0])
	if name == "" {
		return
	}
	n, ok := r.node(name)
	if !ok {
		return
	}
	if !allowed(r.u, n, requester) {
		r.denied(n)
		return
	}
	r.items(kids[0])
}

// allowed reports whether requester may read node n of owner o (on o's actor).
func allowed(o feature.User, n store.Node, requester string) bool {
	switch n.Config.AccessModel {
	case AccessOpen:
		return true
	case AccessPresence:
		return o.InRoster(requester)
	}
	return false // whitelist: the owner only
}

// denied answers an access model's refusal (XEP-0060 sections 6.5.9.2 and 6.5.9.3).
func (r *request) denied(n store.Node) {
	if n.Config.AccessModel == AccessPresence {
		r.fail(xmpp.ErrTypeAuth, xmpp.StanzaNotAuthorized, "presence-subscription-required", "")
		return
	}
	r.fail(xmpp.ErrTypeCancel, xmpp.StanzaNotAllowed, "closed-node", "")
}

// notifyPeers sends the event about n to the owner's contacts on this server (on their
// actors), to each resource that wants the node.
func (p *PEP) notifyPeers(u feature.User, n store.Node, payload *xmpp.Element) {
	ps, ok := u.(feature.Peers)
	if !ok || n.Config.AccessModel == AccessWhitelist {
		return
	}
	owner := u.JID().String()
	for _, c := range ps.LocalContacts() {
		el := payload.Clone()
		ps.Peer(c, func(cu feature.User) { p.sendWanted(cu, n.Name, eventMessage(owner, el)) })
	}
}

// sendWanted sends msg to every available resource of u whose caps ask for node.
func (p *PEP) sendWanted(u feature.User, node string, msg *xmpp.Element) {
	s := state(u)
	for _, r := range u.Resources() {
		if rs := s.res[r.JID]; r.Available && rs != nil && rs.notify[node] {
			u.Send(r.JID, msg.Clone())
		}
	}
}

// sendPeersLast sends resource of u the last item of each node it wants of every contact
// on u's roster that shares its presence with u (XEP-0163 section 4.3.4, for contacts on
// this server). Only u's roster is searched: a user who has u on its roster while u does
// not have it is found by no index, and rosters of legacy networks are mutual anyway.
func (p *PEP) sendPeersLast(u feature.User, resource string, notify map[string]bool) {
	ps, ok := u.(feature.Peers)
	if !ok {
		return
	}
	user, want := u.JID().String(), maps.Clone(notify)
	for _, c := range ps.LocalContacts() {
		ps.Peer(c, func(o feature.User) {
			if !o.InRoster(user) {
				return
			}
			msgs := p.lastItems(o.JID().String(), want, func(n store.Node) bool { return allowed(o, n, user) })
			if back, ok := o.(feature.Peers); ok && len(msgs) > 0 {
				back.Peer(user, func(req feature.User) {
					for _, m := range msgs {
						req.Send(resource, m)
					}
				})
			}
		})
	}
}

// lastItems are the event messages with the newest item of each of owner's nodes in want
// that ok allows.
func (p *PEP) lastItems(owner string, want map[string]bool, ok func(store.Node) bool) []*xmpp.Element {
	ctx, cancel := p.ctx()
	defer cancel()
	nodes, err := p.cfg.Store.PEPNodes(ctx, owner)
	if err != nil {
		p.log.Error().Err(err).Str("jid", owner).Msg("reading PEP nodes failed")
		return nil
	}
	var out []*xmpp.Element
	for _, n := range nodes {
		if !want[n.Name] || !ok(n) {
			continue
		}
		its, err := p.cfg.Store.PEPItems(ctx, owner, n.Name, nil, 1)
		if err != nil || len(its) == 0 {
			continue
		}
		items := xmpp.New(NSPubSubEvent, "items", "node", n.Name).Append(p.itemElement(NSPubSubEvent, its[0]))
		out = append(out, eventMessage(owner, items))
	}
	return out
}
