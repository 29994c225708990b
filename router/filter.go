package router

import (
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
)

// The features' hooks on what contacts send the user (feature.InboundPresence,
// feature.InboundIQ) and on the backend's block flag (feature.LegacyBlocks).

// presenceHooks runs the features' InboundPresence hooks on a contact's presence to the
// user; false means one stopped it.
func (u *user) presenceHooks(p *xmpp.Element, src feature.Source) bool {
	for _, h := range u.r.feats.presence {
		if h.InboundPresence(u.handle(), p, src) == feature.Stop {
			return false
		}
	}
	return true
}

// contactPresence sends a legacy contact's presence to the user's available resources,
// unless a feature stops it.
func (u *user) contactPresence(p *xmpp.Element) {
	if u.presenceHooks(p, feature.Legacy) {
		u.sendAvailable(p)
	}
}

// sendContactPresence is contactPresence for one resource.
func (u *user) sendContactPresence(rs *resource, p *xmpp.Element) {
	if u.presenceHooks(p, feature.Legacy) {
		u.send(rs, p)
	}
}

// iqHooks runs the features' InboundIQ hooks on a contact's IQ to the user; a non-nil
// error is what its sender is answered. Results and errors pass.
func (u *user) iqHooks(iq *xmpp.Element, src feature.Source) *feature.Error {
	if t := iq.Type(); t != "get" && t != "set" {
		return nil
	}
	for _, h := range u.r.feats.iq {
		if e := h.InboundIQ(u.handle(), iq, src); e != nil {
			return e
		}
	}
	return nil
}

// setBlocked records the backend's block flag of b and tells the features when it is
// news: a new buddy that arrives blocked, or a change.
func (u *user) setBlocked(b *buddy, blocked, isNew bool) {
	if b.blocked == blocked && !(isNew && blocked) {
		return
	}
	b.blocked = blocked
	for _, h := range u.r.feats.blocks {
		h.LegacyBlocked(u.handle(), u.buddyBare(b), blocked)
	}
}

// BlockLegacy implements feature.User: a BUDDY_CHANGED with blocked set, which Spectrum
// 2's backends read as a block toggle (spec 1.2), for the legacy name of bare. An
// unblocked roster contact that is online shows its presence again (the hooks decide).
func (h userHandle) BlockLegacy(bare string, blocked bool) bool {
	name, ok := h.u.legacyOf(bare)
	if !ok || isRoomName(name) || !h.u.legacyOnline() {
		return false
	}
	b := h.u.roster.get(name)
	if b != nil {
		name = b.name
	}
	m := &pb.Buddy{UserName: proto.String(h.u.key), BuddyName: proto.String(name), Blocked: proto.Bool(blocked)}
	if h.u.toBackend(pb.WrapperMessage_TYPE_BUDDY_CHANGED, m) != nil {
		return false
	}
	if !blocked && b != nil && online(b.status) {
		h.u.contactPresence(h.u.buddyPresence(b, ""))
	}
	return true
}

// rawHooks runs the hooks on a presence or IQ request a raw-XML backend sends the user
// (el's from already rewritten; orig is the backend's); false means a hook stopped it.
// A refused IQ is answered to the backend, from the user.
func (u *user) rawHooks(el *xmpp.Element, orig string) bool {
	switch el.Local {
	case "presence":
		return u.presenceHooks(el, feature.Legacy)
	case "iq":
		e := u.iqHooks(el, feature.Legacy)
		if e == nil {
			return true
		}
		if reply := xmpp.ErrorReply(el, e.Type, e.Condition, e.Text); reply != nil {
			reply.SetAttr("from", u.key)
			reply.SetAttr("to", orig)
			u.sendRaw(nil, nil, reply)
		}
		return false
	}
	return true
}
