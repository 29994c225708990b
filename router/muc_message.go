package router

import (
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// maxPendingEchoes bounds the messages remembered per room while waiting for the
// network's echo; networks that never echo must not make the list grow.
const maxPendingEchoes = 32

// historyEntry is one remembered groupchat message.
type historyEntry struct {
	msg   *xmpp.Element // without to
	stamp time.Time
}

// pendingEcho is a message the user sent to a room, waiting for the network's echo so
// that the reflection carries the client's ids (XEP-0045 7.4, XEP-0359).
type pendingEcho struct {
	body, id, origin string
}

// addOccupant adds another resource of the user to a room it is already in: the legacy
// membership is shared, so nothing goes to the backend and the resource gets the room's
// state (spec 3.12, Conversation.cpp:334-390).
func (u *user) addOccupant(rm *mucRoom, rs *resource, nick string) {
	occ := &occupant{rs: rs, nick: nick}
	rm.occupants[rs.key] = occ
	if !rm.selfSent {
		// The join is still in progress: what arrived so far, the rest comes to everyone.
		u.sendParticipants(rm, occ)
		return
	}
	codes := []any{statusSelf}
	if nick != rm.nick {
		// spec 3.12: self-presence under the requested nick, then the rename to the
		// room's nick (303), then the occupants.
		pres := xmpp.New(xmpp.NSClient, "presence", "from", u.occupantJID(rm, nick), "to", rs.key)
		u.send(rs, pres.Append(mucUserX(itemFor(rm.self.flags, true), statusSelf)))
		item := itemFor(rm.self.flags, true).SetAttr("nick", rm.nick)
		pres = xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
			"from", u.occupantJID(rm, nick), "to", rs.key)
		u.send(rs, pres.Append(mucUserX(item, statusSelf, statusRenamed)))
		codes = append(codes, statusNickForced)
	}
	u.sendParticipants(rm, occ)
	self := rm.self
	self.nick = rm.nick
	pres := u.participantPresence(rm, &self, codes...)
	pres.SetAttr("to", rs.key)
	u.send(rs, pres)
	occ.joined = true
	u.sendRoomBacklog(rm, occ)
}

// sendParticipants sends the presence of every other member to one occupant.
func (u *user) sendParticipants(rm *mucRoom, occ *occupant) {
	for _, key := range rm.order {
		pres := u.participantPresence(rm, rm.parts[key])
		pres.SetAttr("to", occ.rs.key)
		u.send(occ.rs, pres)
	}
}

// sendRoomBacklog sends the remembered messages, each with <delay/> (XEP-0203), then the
// subject, to an occupant that just joined (spec 3.12: subject replayed to late joiners).
func (u *user) sendRoomBacklog(rm *mucRoom, occ *occupant) {
	for _, h := range rm.history {
		msg := h.msg.Clone()
		msg.SetAttr("to", occ.rs.key)
		if msg.Child(xmpp.NSDelay, "delay") == nil {
			msg.Append(xmpp.New(xmpp.NSDelay, "delay", "from", u.roomBare(rm),
				"stamp", h.stamp.UTC().Format("2006-01-02T15:04:05Z")))
		}
		u.send(occ.rs, msg)
	}
	// XEP-0045 7.2.15: the subject ends every join, empty when the room has none (a
	// channel without topic); clients take it as "the join is complete". Spectrum 2
	// sends it only when the backend reported one.
	var msg *xmpp.Element
	if rm.subject != nil {
		msg = rm.subject.Clone()
	} else {
		msg = xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", u.roomBare(rm)).
			Append(xmpp.New(xmpp.NSClient, "subject"))
	}
	msg.SetAttr("to", occ.rs.key)
	u.send(occ.rs, msg)
}

// mucConversation handles a conversation frame about a room the user is in; false when
// the frame is not about one (spec 3.10: room messages for unknown rooms are dropped by
// the caller).
func (u *user) mucConversation(t pb.WrapperMessage_Type, m *pb.ConversationMessage) bool {
	rm, pmNick := u.room(m.GetBuddyName()), ""
	if rm == nil {
		// Some backends name a private conversation "room/nick" (spec 3.9).
		room, nick, ok := strings.Cut(m.GetBuddyName(), "/")
		if rm = u.room(room); !ok || rm == nil {
			return false
		}
		pmNick = nick
	}
	if t != pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED {
		u.releaseSelf(rm) // the occupant list has settled (muc_join.go)
	}
	switch {
	case t == pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED:
		u.roomSubject(rm, m)
	case t == pb.WrapperMessage_TYPE_CONV_EVENT:
		u.roomEvent(rm, pmNick, m) // muc_ext.go
	case t != pb.WrapperMessage_TYPE_CONV_MESSAGE:
		// Acks, attention and typing have no meaning in a room.
	case pmNick != "":
		u.roomPrivate(rm, pmNick, m)
	case m.GetPm():
		u.roomPrivate(rm, m.GetNickname(), m)
	default:
		u.roomMessage(rm, m)
	}
	return true
}

// displayOf is the occupant resource of a legacy nick: the participant's alias if known.
func (rm *mucRoom) displayOf(nick string) string {
	if p := rm.parts[jidmap.Key(nick)]; p != nil {
		return p.display()
	}
	return nick
}

// nickOf maps an occupant resource back to the legacy nick (aliases, spec 3.12).
func (rm *mucRoom) nickOf(display string) string {
	for _, p := range rm.parts {
		if strings.EqualFold(p.display(), display) {
			return p.nick
		}
	}
	return display
}

// roomMessage delivers a groupchat message to every occupant (spec 3.10). The network's
// echo of our own message becomes the XEP-0045 reflection with the client's ids.
func (u *user) roomMessage(rm *mucRoom, m *pb.ConversationMessage) {
	nick := m.GetNickname()
	msg := xmpp.New(xmpp.NSClient, "message", "type", "groupchat")
	if nick == "" {
		// Spectrum 2 uses a single space as resource, which is no valid resourcepart;
		// a message without nick is from the room itself (XEP-0045 7.2.1).
		msg.SetAttr("from", u.roomBare(rm))
	} else {
		msg.SetAttr("from", u.occupantJID(rm, rm.displayOf(nick)))
	}
	msg.SetAttr("id", m.GetId())
	var origin string
	if strings.EqualFold(nick, rm.nick) {
		if e, ok := rm.takeEcho(m.GetId(), m.GetMessage()); ok {
			msg.SetAttr("id", e.id)
			origin = e.origin
		}
	}
	if m.GetMessage() != "" {
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetMessage()))
	}
	if u.r.cfg.EnableXHTML && m.GetXhtml() != "" {
		if html := parseXHTML(m.GetXhtml()); html != nil {
			msg.Append(xmpp.New(xmpp.NSXHTMLIM, "html").Append(html))
		}
	}
	for _, a := range m.GetAttachment() {
		msg.Append(oobX(a.GetUrl(), a.GetDescription()))
	}
	u.roomExtensionsToClient(rm, msg, m) // muc_ext.go
	if d := delay(m.GetTimestamp()); d != nil {
		msg.Append(d)
	}
	if origin != "" {
		msg.Append(xmpp.New(xmpp.NSSID, "origin-id", "id", origin))
	}
	u.roomMessageHooks(rm, msg, m.GetId()) // the archive's stanza-id (features_room.go)
	u.remember(rm, msg)
	u.broadcast(rm, msg, false)
}

// remember keeps the last MUCHistory groupchat messages with a body for late joiners.
func (u *user) remember(rm *mucRoom, msg *xmpp.Element) {
	n := u.r.cfg.MUCHistory
	if n <= 0 || msg.Child(xmpp.NSClient, "body") == nil {
		return
	}
	rm.history = append(rm.history, &historyEntry{msg: msg.Clone(), stamp: time.Now()})
	if len(rm.history) > n {
		rm.history = append(rm.history[:0], rm.history[len(rm.history)-n:]...)
	}
}

// takeEcho finds (and forgets) the pending message the network echoed: by id when the
// backend kept it, else the oldest with the same body.
func (rm *mucRoom) takeEcho(id, body string) (pendingEcho, bool) {
	match := -1
	for i, e := range rm.echoes {
		if id != "" && (e.id == id || e.origin == id) {
			match = i
			break
		}
		if match < 0 && e.body == body {
			match = i
		}
	}
	if match < 0 {
		return pendingEcho{}, false
	}
	e := rm.echoes[match]
	rm.echoes = append(rm.echoes[:match], rm.echoes[match+1:]...)
	return e, true
}

// roomSubject handles ROOM_SUBJECT_CHANGED: kept for late joiners and held back until the
// self-presence (spec 3.12).
func (u *user) roomSubject(rm *mucRoom, m *pb.ConversationMessage) {
	msg := xmpp.New(xmpp.NSClient, "message", "type", "groupchat")
	if nick := m.GetNickname(); nick != "" {
		msg.SetAttr("from", u.occupantJID(rm, rm.displayOf(nick)))
	} else {
		msg.SetAttr("from", u.roomBare(rm))
	}
	msg.Append(xmpp.New(xmpp.NSClient, "subject").AppendText(m.GetMessage()))
	rm.subject = msg
	u.broadcast(rm, msg, true)
}

// broadcast sends msg (from set) to every occupant, or only to those that have joined.
func (u *user) broadcast(rm *mucRoom, msg *xmpp.Element, joinedOnly bool) {
	for _, occ := range sortedOccupants(rm) {
		if joinedOnly && !occ.joined {
			continue
		}
		out := msg.Clone()
		out.SetAttr("to", occ.rs.key)
		u.send(occ.rs, out)
	}
}

// roomPrivate delivers a private message from a room member (spec 3.10) to the occupant
// that last wrote to that member, else to every occupant of the room.
func (u *user) roomPrivate(rm *mucRoom, nick string, m *pb.ConversationMessage) {
	msg := xmpp.New(xmpp.NSClient, "message", "type", "chat",
		"from", u.occupantJID(rm, rm.displayOf(nick)))
	msg.SetAttr("id", m.GetId())
	if m.GetMessage() != "" {
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetMessage()))
	}
	if d := delay(m.GetTimestamp()); d != nil {
		msg.Append(d)
	}
	msg.Append(xmpp.New(xmpp.NSMUCUser, "x")) // XEP-0045 7.5: marks a private message
	// The archive's stanza-id (features_room.go).
	u.roomPrivateHooks(msg.From(), msg, false, m.GetId())
	if occ := rm.occupants[rm.pmTo[jidmap.Key(nick)]]; occ != nil {
		msg.SetAttr("to", occ.rs.key)
		u.send(occ.rs, msg)
		return
	}
	u.broadcast(rm, msg, false)
}

// mucMessage handles a client message to a room or to an occupant (spec 3.9).
func (u *user) mucMessage(rs *resource, m *xmpp.Element, t target) {
	legacy, _ := roomFromNode(t.jid.Localpart())
	rm := u.room(legacy)
	if rm == nil || rm.occupants[rs.key] == nil {
		// XEP-0045 7.4: only occupants may write to a room.
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, "not-acceptable", "you are not in this room"))
		return
	}
	nick := t.jid.Resourcepart()
	switch {
	case nick == "" && (m.Type() == "chat" || m.Type() == "headline"),
		nick != "" && m.Type() == "groupchat":
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
	case !u.legacyOnline():
		u.bounceOffline(rs, m)
	case nick == "":
		u.groupchatToBackend(rs, m, rm)
	default:
		u.privateToBackend(rs, m, rm, rm.nickOf(nick))
	}
}

// groupchatToBackend sends a subject change or a message to the room (spec 3.9 steps 4-5).
func (u *user) groupchatToBackend(rs *resource, m *xmpp.Element, rm *mucRoom) {
	if subject := m.ChildText(xmpp.NSClient, "subject"); subject != "" {
		u.sendOrBounce(rs, m, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{
			UserName: proto.String(u.key), BuddyName: proto.String(rm.legacy), Message: proto.String(subject)})
		return
	}
	if u.eventToBackend(rs, m, rm.legacy, u.roomBare(rm)) {
		return // a reaction or retraction (msgext.go), its fallback body not sent
	}
	conv := u.roomConv(m, rm.legacy)
	if conv == nil {
		// A read marker goes on to a backend that reads them (the room's stanza-id
		// mapped to the legacy id).
		if err := u.markerToBackend(m, rm.legacy, u.roomBare(rm)); err != nil {
			u.bounceNotSent(rs, m, err)
		}
		return
	}
	u.roomReferences(m, conv, rm) // muc_ext.go
	origin := ""
	if o := m.Child(xmpp.NSSID, "origin-id"); o != nil {
		origin = o.Attr("id")
	}
	rm.echoes = append(rm.echoes, pendingEcho{body: conv.GetMessage(), id: m.ID(), origin: origin})
	if len(rm.echoes) > maxPendingEchoes {
		rm.echoes = rm.echoes[1:]
	}
	u.sendOrBounce(rs, m, pb.WrapperMessage_TYPE_CONV_MESSAGE, conv)
}

// privateToBackend sends a private message to a room member: buddyName "room/nick"
// (spec 3.9).
func (u *user) privateToBackend(rs *resource, m *xmpp.Element, rm *mucRoom, nick string) {
	if u.eventToBackend(rs, m, rm.legacy+"/"+nick, "") {
		return // ids as in one-to-one chats
	}
	conv := u.roomConv(m, rm.legacy+"/"+nick)
	if conv == nil {
		return
	}
	rm.pmTo[jidmap.Key(nick)] = rs.key
	u.roomPrivateHooks(u.occupantJID(rm, rm.displayOf(nick)), m, true, conv.GetId()) // archived as sent (features_room.go)
	u.sendOrBounce(rs, m, pb.WrapperMessage_TYPE_CONV_MESSAGE, conv)
}

// roomConv is the CONV_MESSAGE for m, or nil when m has neither body, XHTML nor OOB
// URL. The OOB URLs are attachments as in one-to-one chats (attachmentsFor).
func (u *user) roomConv(m *xmpp.Element, buddy string) *pb.ConversationMessage {
	conv := &pb.ConversationMessage{UserName: proto.String(u.key), BuddyName: proto.String(buddy),
		Message: proto.String(m.ChildText(xmpp.NSClient, "body")), Xhtml: proto.String(xhtmlOf(m))}
	conv.Attachment = u.attachmentsFor(m, conv)
	if conv.GetMessage() == "" && conv.GetXhtml() == "" && len(conv.Attachment) == 0 {
		return nil
	}
	if id := messageID(m); id != "" {
		conv.Id = proto.String(id)
	}
	return conv
}

// sendOrBounce sends a frame for m, bouncing m when the backend does not take it.
func (u *user) sendOrBounce(rs *resource, m *xmpp.Element, t pb.WrapperMessage_Type, msg proto.Message) {
	if err := u.toBackend(t, msg); err != nil {
		u.bounceNotSent(rs, m, err)
	}
}
