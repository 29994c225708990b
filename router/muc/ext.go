package muc

import (
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// The XEPs of issue 24 in rooms (docs/protocol-extensions.md). In a groupchat a client
// names a message it reacts to, replies to, retracts or marks displayed by the stanza-id
// the room gave it (XEP-0444, XEP-0461, XEP-0424, XEP-0333 in groupchat), a correction by
// the message's id (XEP-0308). The room's stanza-ids are the archive's: what a client
// names goes to the backend as the legacy id kept with that entry, and what the backend
// names reaches the client as the stanza-id of the entry kept with that legacy id: the
// Host maps them, given the room's bare JID, as the router does for one-to-one chats.
// Without an archive messages carry no stanza-id and the legacy id is their id, so both
// are the legacy ids.

// roomReferences sets the correction and reply of a client's groupchat message m on conv.
func (u User) roomReferences(m *xmpp.Element, conv *pb.ConversationMessage, rm *room) {
	u.h.References(m, conv, u.roomBare(rm), func(to string) string {
		_, display, _ := strings.Cut(to, "/")
		if display == "" || strings.EqualFold(display, rm.nick) {
			return "" // the user's own message (or the room's)
		}
		return rm.nickOf(display)
	})
}

// roomExtensionsToClient adds XHTML-IM, OOB, the correction and reply of the backend's
// groupchat message m to msg, and <markable/> for a backend that reads markers: the reply
// names its message by the room's stanza-id and its sender by occupant JID (the user's
// own occupant for an empty sender), a marker the room's stanza-id (or the legacy id).
func (u User) roomExtensionsToClient(rm *room, msg *xmpp.Element, m *pb.ConversationMessage) {
	u.h.ToClient(msg, m, u.roomBare(rm), func(nick string) string {
		if nick == "" {
			nick = rm.nick
		}
		return u.occupantJID(rm, rm.displayOf(nick))
	})
}

// roomEvent delivers a backend's CONV_EVENT in a room: a member's reactions, retraction
// or displayed marker, from its occupant JID (the user's own occupant for the network's
// echo of the user's own), to every occupant; a private one (pm, or "room/nick") as
// roomPrivate delivers messages.
func (u User) roomEvent(rm *room, pmNick string, m *pb.ConversationMessage) {
	if pmNick == "" && m.GetPm() {
		pmNick = m.GetNickname()
	}
	if pmNick != "" {
		msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "from", u.occupantJID(rm, rm.displayOf(pmNick)))
		msg.SetAttr("id", m.GetId())
		if !u.h.EventToClient(msg, m, "") {
			return
		}
		msg.Append(xmpp.New(xmpp.NSMUCUser, "x"))
		if occ := rm.occupants[rm.pmTo[jidmap.Key(pmNick)]]; occ != nil {
			msg.SetAttr("to", occ.rs.JID())
			u.h.Send(occ.rs, msg)
			return
		}
		u.broadcast(rm, msg, false)
		return
	}
	msg := xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", u.occupantJID(rm, rm.displayOf(m.GetNickname())))
	msg.SetAttr("id", m.GetId())
	if !u.h.EventToClient(msg, m, u.roomBare(rm)) {
		u.h.Debug().Str("room", rm.legacy).Msg("CONV_EVENT without a reaction, retraction or marker dropped")
		return
	}
	if m.GetDisplayedId() == "" {
		u.h.RoomMessage(u.roomBare(rm), msg, m.GetId()) // a retraction's fallback body is archived
	}
	u.broadcast(rm, msg, false) // not kept for <history/>: it names a message there may not be
}
