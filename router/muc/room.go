package muc

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// room is one legacy room the user is in or is joining (spec 3.12). Several resources
// of the user share it: the legacy network sees one membership. Owned by the user's actor.
type room struct {
	legacy   string // legacy room name as sent in JOIN_ROOM
	escaped  bool   // MUC escaping: the client wrote '@' as \40 (spec 3.12)
	nick     string // our nickname in the room, as the network knows it
	password string
	sent     bool // JOIN_ROOM written for the current legacy session
	selfSent bool // the network confirmed our membership (self-presence sent)
	renamed  bool // the network changed our nick since the last self-presence (code 210)

	self      participant          // our own participant as last reported
	occupants map[string]*occupant // resource full JID -> occupant
	pmTo      map[string]string    // jidmap.Key(nick) -> occupant that last wrote to nick
	parts     members              // the other participants (members.go)
	subject   *xmpp.Element        // last subject message, without to
	history   []*historyEntry      // last MUCHistory groupchat messages
	echoes    []pendingEcho        // our messages waiting for the network's echo
	hold      *selfHold            // self-presence held until the occupants settled (join.go)
	full      bool                 // parts reached Config.MaxMembers; the occupants were told
}

// occupant is one resource of the user in a room.
type occupant struct {
	rs     Resource
	nick   string // nick the resource asked for (shown until the self-presence)
	joined bool   // got its self-presence and the room state
}

// participant is another member of a room as the network reports it.
type participant struct {
	nick, alias, message, iconHash string
	aff                            string // the backend's affiliation (our extension), "" for none
	flags                          int32
	status                         pb.StatusType
}

// display is the resource of the participant's occupant JID (spec 3.12: alias if given).
func (p *participant) display() string {
	if p.alias != "" {
		return p.alias
	}
	return p.nick
}

// roomFromNode maps a room JID localpart to its legacy name (spec 3.12, inbound): XEP-0106
// unescaped; without an escaped '@' (\40) the last '%' stands for '@'.
func roomFromNode(node string) (legacy string, escaped bool) {
	escaped = strings.Contains(node, `\40`)
	legacy = jidmap.UnescapeNode(node)
	if !escaped {
		if i := strings.LastIndexByte(legacy, '%'); i >= 0 {
			legacy = legacy[:i] + "@" + legacy[i+1:]
		}
	}
	return legacy, escaped
}

// Node is the room JID localpart of a legacy room (spec 3.12, outbound): the last '@'
// becomes '%' unless MUC escaping is on, then XEP-0106 escaping.
func Node(legacy string, escaped bool) string {
	if !escaped {
		if i := strings.LastIndexByte(legacy, '@'); i >= 0 {
			legacy = legacy[:i] + "%" + legacy[i+1:]
		}
	}
	return jidmap.EscapeNode(legacy)
}

// roomBare is the bare JID of the room.
func (u User) roomBare(rm *room) string {
	return Node(rm.legacy, rm.escaped) + "@" + u.s.cfg.Domain
}

// occupantJID is room/nick; an empty nick is the room itself.
func (u User) occupantJID(rm *room, nick string) string {
	if nick == "" {
		return u.roomBare(rm)
	}
	return u.roomBare(rm) + "/" + nick
}

// room returns the room of legacy name, or nil.
func (u User) room(legacy string) *room { return u.st.rooms[jidmap.Key(legacy)] }

// roomOfNode returns the joined room a JID localpart names, or nil.
func (u User) roomOfNode(node string) *room {
	legacy, _ := roomFromNode(node)
	return u.room(legacy)
}

// HasNode reports whether the JID localpart node names a room the user is in or joining.
func (u User) HasNode(node string) bool { return u.roomOfNode(node) != nil }

// Has reports whether the user is in or joining the room of legacy name.
func (u User) Has(legacy string) bool { return u.room(legacy) != nil }

// Presence handles a presence of rs to a room or an occupant, to: join, leave, or a
// presence update. The caller decided it is about a room (a join, or to a room's JID).
func (u User) Presence(rs Resource, p *xmpp.Element, to jid.JID) {
	legacy, escaped := roomFromNode(to.Localpart())
	rm := u.room(legacy)
	switch p.Type() {
	case "unavailable":
		if rm != nil && rm.occupants[rs.JID()] != nil {
			u.leaveRoom(rm, rs)
		} else {
			// XEP-0045 7.14: answer an exit even when we did not know the occupant, so
			// that clients (Pidgin) can join again (spec 6, 2.0.3).
			u.h.Send(rs, xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
				"from", to.String(), "to", rs.JID()).Append(mucUserX(statusSelf)))
		}
		return
	case "":
	default:
		return // probes and subscriptions mean nothing to a legacy room
	}
	nick := to.Resourcepart()
	if nick == "" {
		// XEP-0045 7.2.1: a join without a nickname.
		u.h.Send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, "a nickname is required"))
		return
	}
	if rm == nil && len(u.st.rooms) >= u.s.cfg.MaxRooms {
		u.h.Refuse(rs, p, "rooms joined", u.s.cfg.MaxRooms)
		return
	}
	if rm == nil {
		u.createRoom(rs, p, legacy, escaped, nick)
		return
	}
	if occ := rm.occupants[rs.JID()]; occ != nil {
		u.occupantPresence(rs, p, rm, occ, nick)
		return
	}
	u.addOccupant(rm, rs, nick)
}

// createRoom remembers a new room and joins it now or, before the legacy session is up,
// on CONNECTED (spec 3.12).
func (u User) createRoom(rs Resource, p *xmpp.Element, legacy string, escaped bool, nick string) {
	rm := &room{legacy: legacy, escaped: escaped, nick: nick,
		occupants: map[string]*occupant{}, pmTo: map[string]string{}}
	if x := p.Child(xmpp.NSMUC, "x"); x != nil {
		rm.password = x.ChildText(xmpp.NSMUC, "password")
	}
	rm.occupants[rs.JID()] = &occupant{rs: rs, nick: nick}
	if u.st.rooms == nil {
		u.st.rooms = make(map[string]*room)
	}
	u.st.rooms[jidmap.Key(legacy)] = rm
	u.h.Debug().Str("room", legacy).Msg("joining room")
	if u.h.Online() {
		u.joinRoom(rm)
	}
}

// joinRoom sends JOIN_ROOM for rm (spec 1.3: userName, nickname, room, password). When
// the backend does not take it (gone, or its queue is full), the joining resources get
// an error presence and the room is forgotten, instead of a join that never completes.
func (u User) joinRoom(rm *room) {
	rm.sent = true
	err := u.h.ToBackend(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: proto.String(u.h.User()),
		Nickname: proto.String(rm.nick), Room: proto.String(rm.legacy), Password: proto.String(rm.password)})
	if err == nil {
		return
	}
	for _, occ := range rm.occupants {
		pres := xmpp.New(xmpp.NSClient, "presence", "type", "error",
			"from", u.occupantJID(rm, occ.nick), "to", occ.rs.JID())
		pres.Append(xmpp.New(xmpp.NSMUC, "x"), xmpp.StanzaError(xmpp.ErrTypeWait,
			xmpp.StanzaServiceUnavailable, "the legacy network could not be reached; try again later"))
		u.h.Send(occ.rs, pres)
	}
	u.dropRoom(rm, false)
}

// Connected (re)joins every remembered room on CONNECTED: rooms joined before the
// legacy login completed, and all rooms after a re-login (spec 3.12, User.cpp:134-138).
func (u User) Connected() {
	for _, rm := range u.st.rooms {
		u.joinRoom(rm)
	}
}

// occupantPresence is a presence from a resource already in the room. A new nickname is
// a nick change, which the backend protocol cannot carry: JOIN_ROOM would join again
// and ROOM_NICKNAME_CHANGED only goes from backends to us (spec 1.3, 3.12). So the change
// is refused with not-acceptable (XEP-0045 7.6) instead of being ignored silently as
// Spectrum 2 does. A presence with the same nick is a status update: nothing to forward.
func (u User) occupantPresence(rs Resource, p *xmpp.Element, rm *room, occ *occupant, nick string) {
	current := occ.nick
	if occ.joined {
		current = rm.nick
	}
	if nick == current {
		return
	}
	u.h.Send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeModify, "not-acceptable",
		"the legacy network does not support changing the nickname inside a room"))
}

// leaveRoom removes rs from the room, confirms its exit, and leaves the legacy room when
// it was the last resource in it (spec 3.12).
func (u User) leaveRoom(rm *room, rs Resource) {
	occ := rm.occupants[rs.JID()]
	delete(rm.occupants, rs.JID())
	nick := occ.nick
	if occ.joined {
		nick = rm.nick
	}
	pres := xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
		"from", u.occupantJID(rm, nick), "to", rs.JID())
	u.h.Send(rs, pres.Append(mucUserX(statusSelf, mucItem("none", "none"))))
	if len(rm.occupants) == 0 {
		u.dropRoom(rm, true)
	}
}

// dropRoom forgets the room, with LEAVE_ROOM when the network may still count us in.
func (u User) dropRoom(rm *room, leave bool) {
	delete(u.st.rooms, jidmap.Key(rm.legacy))
	u.dropHold(rm)
	if leave && rm.sent && u.h.Online() {
		_ = u.h.ToBackend(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: proto.String(u.h.User()),
			Nickname: proto.String(""), Room: proto.String(rm.legacy), Password: proto.String("")})
		u.leaveSent(rm)
	}
	u.h.Debug().Str("room", rm.legacy).Msg("left room")
}

// ResourceGone takes a resource that closed or went unavailable out of every room;
// rooms left without resources are left on the network (spec 3.12,
// ConversationManager.cpp:105-125).
func (u User) ResourceGone(rs Resource) {
	for _, rm := range u.st.rooms {
		if rm.occupants[rs.JID()] == nil {
			continue
		}
		delete(rm.occupants, rs.JID())
		if len(rm.occupants) == 0 {
			u.dropRoom(rm, true)
		}
	}
}

// Shutdown runs when the legacy session ends (logout, fatal error, shutdown): every
// occupant gets an unavailable self-presence with status 332 (spec 3.5, Conversation.cpp:
// 71-103). Spectrum 2 adds 307 (kicked), which makes clients tell the user they were
// kicked; we send 110 and 332 only.
func (u User) Shutdown() {
	for _, rm := range u.st.rooms {
		u.dropHold(rm)
		for _, occ := range rm.occupants {
			x := mucUserX(statusSelf, statusShutdown, mucItem("none", "none").Append(
				xmpp.New(xmpp.NSMUCUser, "reason").AppendText("Spectrum 2 transport is being shut down.")))
			u.h.Send(occ.rs, xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
				"from", u.occupantJID(rm, rm.nick), "to", occ.rs.JID()).Append(x))
		}
	}
	clear(u.st.rooms)
}

// LostTarget is the JID and type of the user's message to the legacy name buddy that its
// backend never read: to a room the user is in ("#room") or private to one of its
// members ("#room/nick"). ok is false when buddy is in no room of the user.
func (u User) LostTarget(buddy string) (to, typ string, ok bool) {
	room, _, _ := strings.Cut(buddy, "/")
	rm := u.room(room)
	if rm == nil {
		return "", "", false
	}
	if _, nick, ok := strings.Cut(buddy, "/"); ok && !strings.EqualFold(rm.legacy, buddy) {
		return u.occupantJID(rm, nick), "chat", true
	}
	return u.roomBare(rm), "groupchat", true
}

// LostSenders are the resources that may have sent that lost message, as full JIDs: for a
// private message pm, the one that last wrote to the nick ("" when none did), and the
// room's occupants. ok is false when buddy is in no room of the user.
func (u User) LostSenders(buddy string) (pm string, occupants []string, ok bool) {
	room, nick, isPM := strings.Cut(buddy, "/")
	rm := u.room(room)
	if rm == nil {
		return "", nil, false
	}
	if isPM {
		pm = rm.pmTo[jidmap.Key(nick)]
	}
	for key := range rm.occupants {
		occupants = append(occupants, key)
	}
	return pm, occupants, true
}
