package router

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
// names goes to the backend as the legacy id kept with that entry (legacyRef), and what
// the backend names reaches the client as the stanza-id of the entry kept with that
// legacy id (clientRef). Without an archive messages carry no stanza-id and the legacy id
// is their id, so both are the legacy ids.

// roomReferences sets the correction and reply of a client's groupchat message m on conv.
func (u *user) roomReferences(m *xmpp.Element, conv *pb.ConversationMessage, rm *mucRoom) {
	u.referenceFields(m, conv, u.roomBare(rm), func(to string) string {
		_, display, _ := strings.Cut(to, "/")
		if display == "" || strings.EqualFold(display, rm.nick) {
			return "" // the user's own message (or the room's)
		}
		return rm.nickOf(display)
	})
}

// roomExtensionsToClient adds the correction and reply of the backend's groupchat message
// m to msg, and <markable/> for a backend that reads markers: the reply names its message by the room's stanza-id and its sender by occupant
// JID (the user's own occupant for an empty sender).
func (u *user) roomExtensionsToClient(rm *mucRoom, msg *xmpp.Element, m *pb.ConversationMessage) {
	u.markable(msg) // a marker names the room's stanza-id (or the legacy id)
	reply := ""
	if id := m.GetReplyToId(); id != "" {
		reply = u.clientRef(u.roomBare(rm), id)
	}
	appendExtensions(msg, m, reply, func(nick string) string {
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
func (u *user) roomEvent(rm *mucRoom, pmNick string, m *pb.ConversationMessage) {
	if pmNick == "" && m.GetPm() {
		pmNick = m.GetNickname()
	}
	if pmNick != "" {
		msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "from", u.occupantJID(rm, rm.displayOf(pmNick)))
		msg.SetAttr("id", m.GetId())
		if !appendEvent(msg, m, func(id string) string { return id }) {
			return
		}
		msg.Append(xmpp.New(xmpp.NSMUCUser, "x"))
		if occ := rm.occupants[rm.pmTo[jidmap.Key(pmNick)]]; occ != nil {
			msg.SetAttr("to", occ.rs.key)
			u.send(occ.rs, msg)
			return
		}
		u.broadcast(rm, msg, false)
		return
	}
	msg := xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", u.occupantJID(rm, rm.displayOf(m.GetNickname())))
	msg.SetAttr("id", m.GetId())
	room := u.roomBare(rm)
	if !appendEvent(msg, m, func(id string) string { return u.clientRef(room, id) }) {
		u.log.Debug().Str("room", rm.legacy).Msg("CONV_EVENT without a reaction, retraction or marker dropped")
		return
	}
	if m.GetDisplayedId() == "" {
		u.roomMessageHooks(rm, msg, m.GetId()) // a retraction's fallback body is archived
	}
	u.broadcast(rm, msg, false) // not kept for <history/>: it names a message there may not be
}

// roomFeatures are the disco#info features of issue 24 that a room has: those of the
// keys the backends announced.
func (u *user) roomFeatures() []string {
	f := u.r.backends.Features()
	var out []string
	if f.Corrections {
		out = append(out, nsCorrect)
	}
	if f.Replies {
		out = append(out, nsReply)
	}
	if f.Reactions {
		out = append(out, nsReactions)
	}
	if f.Retractions {
		out = append(out, nsRetract, nsRetract0)
	}
	if f.Markers {
		out = append(out, xmpp.NSMarkers)
	}
	return out
}
