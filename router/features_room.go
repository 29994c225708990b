package router

import (
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// roomMessageHooks runs the features' RoomMessages hooks on a groupchat message of rm
// before its occupants get it. The features are few: a type assertion each is cheaper
// than the message's serialisation.
func (u *user) roomMessageHooks(rm *mucRoom, msg *xmpp.Element, legacyID string) {
	var room string
	for _, f := range u.r.cfg.Features {
		if h, ok := f.(feature.RoomMessages); ok {
			if room == "" {
				room = u.roomBare(rm)
			}
			h.RoomMessage(u.handle(), room, msg, legacyID)
		}
	}
}

// roomPrivateHooks runs the features' RoomPrivates hooks on a private message between
// the user and the occupant with full JID occupant (out: the user sends it).
func (u *user) roomPrivateHooks(occupant string, msg *xmpp.Element, out bool, legacyID string) {
	if msg.Child(xmpp.NSClient, "body") == nil {
		return
	}
	for _, f := range u.r.cfg.Features {
		if h, ok := f.(feature.RoomPrivates); ok {
			h.RoomPrivate(u.handle(), occupant, msg, out, legacyID)
		}
	}
}

// InRoster implements feature.User.
func (h userHandle) InRoster(bare string) bool {
	t := h.u.target(bare)
	return t.kind == targetBuddy && t.jid.Resourcepart() == "" && h.u.roster.get(t.legacy) != nil
}
