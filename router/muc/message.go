package muc

import (
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// maxPendingEchoes bounds the messages remembered per room while waiting for the
// network's echo; networks that never echo must not make the list grow.
const maxPendingEchoes = 32

// maxPMTargets bounds a room's pmTo: a client may write privately to any nick, member
// or not. Past it one remembered target is forgotten; a reply from that nick then goes to
// every occupant of the user, as from a nick no resource wrote to.
const maxPMTargets = 256

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
func (u User) addOccupant(rm *room, rs Resource, nick string) {
	occ := &occupant{rs: rs, nick: nick}
	rm.occupants[rs.JID()] = occ
	if !rm.selfSent {
		// The join is still in progress: what arrived so far, the rest comes to everyone.
		u.sendParticipants(rm, occ)
		return
	}
	codes := []any{statusSelf}
	if nick != rm.nick {
		// spec 3.12: self-presence under the requested nick, then the rename to the
		// room's nick (303), then the occupants.
		pres := xmpp.New(xmpp.NSClient, "presence", "from", u.occupantJID(rm, nick), "to", rs.JID())
		u.h.Send(rs, pres.Append(mucUserX(itemFor(rm.self.flags, true), statusSelf)))
		item := itemFor(rm.self.flags, true).SetAttr("nick", rm.nick)
		pres = xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
			"from", u.occupantJID(rm, nick), "to", rs.JID())
		u.h.Send(rs, pres.Append(mucUserX(item, statusSelf, statusRenamed)))
		codes = append(codes, statusNickForced)
	}
	u.sendParticipants(rm, occ)
	self := rm.self
	self.nick = rm.nick
	pres := u.participantPresence(rm, &self, codes...)
	pres.SetAttr("to", rs.JID())
	u.h.Send(rs, pres)
	occ.joined = true
	u.sendRoomBacklog(rm, occ)
}

// sendParticipants sends the presence of every other member to one occupant.
func (u User) sendParticipants(rm *room, occ *occupant) {
	rm.parts.all(func(p participant) bool {
		pres := u.participantPresence(rm, &p)
		pres.SetAttr("to", occ.rs.JID())
		u.h.Send(occ.rs, pres)
		return true
	})
}

// sendRoomBacklog sends the remembered messages, each with <delay/> (XEP-0203), then the
// subject, to an occupant that just joined (spec 3.12: subject replayed to late joiners).
func (u User) sendRoomBacklog(rm *room, occ *occupant) {
	for _, h := range rm.history {
		msg := h.msg.Clone()
		msg.SetAttr("to", occ.rs.JID())
		if msg.Child(xmpp.NSDelay, "delay") == nil {
			msg.Append(xmpp.New(xmpp.NSDelay, "delay", "from", u.roomBare(rm),
				"stamp", h.stamp.UTC().Format("2006-01-02T15:04:05Z")))
		}
		u.h.Send(occ.rs, msg)
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
	msg.SetAttr("to", occ.rs.JID())
	u.h.Send(occ.rs, msg)
}

// Conversation handles a conversation frame about a room the user is in; false when
// the frame is not about one (spec 3.10: room messages for unknown rooms are dropped by
// the caller).
func (u User) Conversation(t pb.WrapperMessage_Type, m *pb.ConversationMessage) bool {
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
		u.releaseSelf(rm) // the occupant list has settled (join.go)
	}
	switch {
	case t == pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED:
		u.roomSubject(rm, m)
	case t == pb.WrapperMessage_TYPE_CONV_EVENT:
		u.roomEvent(rm, pmNick, m) // ext.go
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
func (rm *room) displayOf(nick string) string {
	if p, ok := rm.parts.get(jidmap.Key(nick)); ok {
		return p.display()
	}
	return nick
}

// nickOf maps an occupant resource back to the legacy nick (aliases, spec 3.12).
func (rm *room) nickOf(display string) string {
	nick := display
	rm.parts.all(func(p participant) bool {
		if strings.EqualFold(p.display(), display) {
			nick = p.nick
			return false
		}
		return true
	})
	return nick
}

// roomMessage delivers a groupchat message to every occupant (spec 3.10). The network's
// echo of our own message becomes the XEP-0045 reflection with the client's ids.
func (u User) roomMessage(rm *room, m *pb.ConversationMessage) {
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
	u.roomExtensionsToClient(rm, msg, m) // ext.go
	if d := u.h.Delay(m.GetTimestamp()); d != nil {
		msg.Append(d)
	}
	if origin != "" {
		msg.Append(xmpp.New(xmpp.NSSID, "origin-id", "id", origin))
	}
	u.h.RoomMessage(u.roomBare(rm), msg, m.GetId()) // the archive's stanza-id
	u.remember(rm, msg)
	u.broadcast(rm, msg, false)
}

// remember keeps the last Config.History groupchat messages with a body for late joiners.
func (u User) remember(rm *room, msg *xmpp.Element) {
	n := u.s.cfg.History
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
func (rm *room) takeEcho(id, body string) (pendingEcho, bool) {
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
func (u User) roomSubject(rm *room, m *pb.ConversationMessage) {
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
func (u User) broadcast(rm *room, msg *xmpp.Element, joinedOnly bool) {
	for _, occ := range sortedOccupants(rm) {
		if joinedOnly && !occ.joined {
			continue
		}
		out := msg.Clone()
		out.SetAttr("to", occ.rs.JID())
		u.h.Send(occ.rs, out)
	}
}

// roomPrivate delivers a private message from a room member (spec 3.10) to the occupant
// that last wrote to that member, else to every occupant of the room.
func (u User) roomPrivate(rm *room, nick string, m *pb.ConversationMessage) {
	msg := xmpp.New(xmpp.NSClient, "message", "type", "chat",
		"from", u.occupantJID(rm, rm.displayOf(nick)))
	msg.SetAttr("id", m.GetId())
	if m.GetMessage() != "" {
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetMessage()))
	}
	if d := u.h.Delay(m.GetTimestamp()); d != nil {
		msg.Append(d)
	}
	msg.Append(xmpp.New(xmpp.NSMUCUser, "x"))          // XEP-0045 7.5: marks a private message
	u.h.RoomPrivate(msg.From(), msg, false, m.GetId()) // the archive's stanza-id
	if occ := rm.occupants[rm.pmTo[jidmap.Key(nick)]]; occ != nil {
		msg.SetAttr("to", occ.rs.JID())
		u.h.Send(occ.rs, msg)
		return
	}
	u.broadcast(rm, msg, false)
}

// Message handles a client message of rs to a room or to an occupant, to (spec 3.9).
func (u User) Message(rs Resource, m *xmpp.Element, to jid.JID) {
	legacy, _ := roomFromNode(to.Localpart())
	rm := u.room(legacy)
	if rm == nil || rm.occupants[rs.JID()] == nil {
		// XEP-0045 7.4: only occupants may write to a room.
		u.h.Send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, "not-acceptable", "you are not in this room"))
		return
	}
	nick := to.Resourcepart()
	switch {
	case nick == "" && (m.Type() == "chat" || m.Type() == "headline"),
		nick != "" && m.Type() == "groupchat":
		u.h.Send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
	case !u.h.Online():
		u.h.BounceOffline(rs, m)
	case nick == "":
		u.groupchatToBackend(rs, m, rm)
	default:
		u.privateToBackend(rs, m, rm, rm.nickOf(nick))
	}
}

// groupchatToBackend sends a subject change or a message to the room (spec 3.9 steps 4-5).
func (u User) groupchatToBackend(rs Resource, m *xmpp.Element, rm *room) {
	if subject := m.ChildText(xmpp.NSClient, "subject"); subject != "" {
		u.sendOrBounce(rs, m, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{
			UserName: proto.String(u.h.User()), BuddyName: proto.String(rm.legacy), Message: proto.String(subject)})
		return
	}
	if u.h.EventToBackend(rs, m, rm.legacy, u.roomBare(rm)) {
		return // a reaction or retraction, its fallback body not sent
	}
	conv := u.h.Conversation(m, rm.legacy)
	if conv == nil {
		// A read marker goes on to a backend that reads them (the room's stanza-id
		// mapped to the legacy id).
		if err := u.h.MarkerToBackend(m, rm.legacy, u.roomBare(rm)); err != nil {
			u.h.BounceNotSent(rs, m, err)
		}
		return
	}
	u.roomReferences(m, conv, rm) // ext.go
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
func (u User) privateToBackend(rs Resource, m *xmpp.Element, rm *room, nick string) {
	if u.h.EventToBackend(rs, m, rm.legacy+"/"+nick, "") {
		return // ids as in one-to-one chats
	}
	conv := u.h.Conversation(m, rm.legacy+"/"+nick)
	if conv == nil {
		return
	}
	key := jidmap.Key(nick)
	if _, ok := rm.pmTo[key]; !ok && len(rm.pmTo) >= maxPMTargets {
		for k := range rm.pmTo {
			delete(rm.pmTo, k)
			break
		}
	}
	rm.pmTo[key] = rs.JID()
	u.h.RoomPrivate(u.occupantJID(rm, rm.displayOf(nick)), m, true, conv.GetId()) // archived as sent
	u.sendOrBounce(rs, m, pb.WrapperMessage_TYPE_CONV_MESSAGE, conv)
}

// sendOrBounce sends a frame for m, bouncing m when the backend does not take it.
func (u User) sendOrBounce(rs Resource, m *xmpp.Element, t pb.WrapperMessage_Type, msg proto.Message) {
	if err := u.h.ToBackend(t, msg); err != nil {
		u.h.BounceNotSent(rs, m, err)
	}
}
