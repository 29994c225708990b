package router

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// mucRoom is one legacy room the user is in or is joining (spec 3.12). Several resources
// of the user share it: the legacy network sees one membership. Owned by the user's actor.
type mucRoom struct {
	legacy   string // legacy room name as sent in JOIN_ROOM
	escaped  bool   // MUC escaping: the client wrote '@' as \40 (spec 3.12)
	nick     string // our nickname in the room, as the network knows it
	password string
	sent     bool // JOIN_ROOM written for the current legacy session
	selfSent bool // the network confirmed our membership (self-presence sent)
	renamed  bool // the network changed our nick since the last self-presence (code 210)

	self      participant             // our own participant as last reported
	occupants map[string]*occupant    // resource full JID -> occupant
	pmTo      map[string]string       // jidmap.Key(nick) -> occupant that last wrote to nick
	parts     map[string]*participant // jidmap.Key(nick) -> other participant
	order     []string                // keys of parts in arrival order
	subject   *xmpp.Element           // last subject message, without to
	history   []*historyEntry         // last MUCHistory groupchat messages
	echoes    []pendingEcho           // our messages waiting for the network's echo
	hold      *selfHold               // self-presence held until the occupants settled (muc_join.go)
}

// occupant is one resource of the user in a room.
type occupant struct {
	rs     *resource
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

// roomNode is the room JID localpart of a legacy room (spec 3.12, outbound): the last '@'
// becomes '%' unless MUC escaping is on, then XEP-0106 escaping.
func roomNode(legacy string, escaped bool) string {
	if !escaped {
		if i := strings.LastIndexByte(legacy, '@'); i >= 0 {
			legacy = legacy[:i] + "%" + legacy[i+1:]
		}
	}
	return jidmap.EscapeNode(legacy)
}

// roomBare is the bare JID of the room.
func (u *user) roomBare(rm *mucRoom) string {
	return roomNode(rm.legacy, rm.escaped) + "@" + u.r.cfg.Domain
}

// occupantJID is room/nick; an empty nick is the room itself.
func (u *user) occupantJID(rm *mucRoom, nick string) string {
	if nick == "" {
		return u.roomBare(rm)
	}
	return u.roomBare(rm) + "/" + nick
}

// room returns the room of legacy name, or nil.
func (u *user) room(legacy string) *mucRoom { return u.rooms[jidmap.Key(legacy)] }

// roomOfNode returns the joined room a JID localpart names, or nil.
func (u *user) roomOfNode(node string) *mucRoom {
	legacy, _ := roomFromNode(node)
	return u.room(legacy)
}

// isJoinPresence: a presence to a room is a join when it carries the MUC <x/> or its
// node starts with '#' (spec 3.12).
func isJoinPresence(p *xmpp.Element, t target) bool {
	return t.kind == targetRoom || p.Child(xmpp.NSMUC, "x") != nil
}

// roomPresence handles a presence to room/nick: join, leave, or a presence update.
func (u *user) roomPresence(rs *resource, p *xmpp.Element, t target) {
	legacy, escaped := roomFromNode(t.jid.Localpart())
	rm := u.room(legacy)
	switch p.Type() {
	case "unavailable":
		if rm != nil && rm.occupants[rs.key] != nil {
			u.leaveRoom(rm, rs)
		} else {
			// XEP-0045 7.14: answer an exit even when we did not know the occupant, so
			// that clients (Pidgin) can join again (spec 6, 2.0.3).
			u.send(rs, xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
				"from", t.jid.String(), "to", rs.key).Append(mucUserX(statusSelf)))
		}
		return
	case "":
	default:
		return // probes and subscriptions mean nothing to a legacy room
	}
	nick := t.jid.Resourcepart()
	if nick == "" {
		// XEP-0045 7.2.1: a join without a nickname.
		u.send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, "a nickname is required"))
		return
	}
	if rm == nil && len(u.rooms) >= u.r.cfg.Limits.Rooms {
		u.refuse(rs, p, "rooms joined", u.r.cfg.Limits.Rooms)
		return
	}
	if rm == nil {
		u.createRoom(rs, p, legacy, escaped, nick)
		return
	}
	if occ := rm.occupants[rs.key]; occ != nil {
		u.occupantPresence(rs, p, rm, occ, nick)
		return
	}
	u.addOccupant(rm, rs, nick)
}

// createRoom remembers a new room and joins it now or, before the legacy session is up,
// on CONNECTED (spec 3.12).
func (u *user) createRoom(rs *resource, p *xmpp.Element, legacy string, escaped bool, nick string) {
	rm := &mucRoom{legacy: legacy, escaped: escaped, nick: nick,
		occupants: map[string]*occupant{}, parts: map[string]*participant{}, pmTo: map[string]string{}}
	if x := p.Child(xmpp.NSMUC, "x"); x != nil {
		rm.password = x.ChildText(xmpp.NSMUC, "password")
	}
	rm.occupants[rs.key] = &occupant{rs: rs, nick: nick}
	setLazy(&u.rooms, jidmap.Key(legacy), rm)
	u.log.Debug().Str("room", legacy).Msg("joining room")
	if u.legacyOnline() {
		u.joinRoom(rm)
	}
}

// joinRoom sends JOIN_ROOM for rm (spec 1.3: userName, nickname, room, password). When
// the backend does not take it (gone, or its queue is full), the joining resources get
// an error presence and the room is forgotten, instead of a join that never completes.
func (u *user) joinRoom(rm *mucRoom) {
	rm.sent = true
	err := u.toBackend(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: proto.String(u.key),
		Nickname: proto.String(rm.nick), Room: proto.String(rm.legacy), Password: proto.String(rm.password)})
	if err == nil {
		return
	}
	for _, occ := range rm.occupants {
		pres := xmpp.New(xmpp.NSClient, "presence", "type", "error",
			"from", u.occupantJID(rm, occ.nick), "to", occ.rs.key)
		pres.Append(xmpp.New(xmpp.NSMUC, "x"), xmpp.StanzaError(xmpp.ErrTypeWait,
			xmpp.StanzaServiceUnavailable, "the legacy network could not be reached; try again later"))
		u.send(occ.rs, pres)
	}
	u.dropRoom(rm, false)
}

// mucConnected (re)joins every remembered room on CONNECTED: rooms joined before the
// legacy login completed, and all rooms after a re-login (spec 3.12, User.cpp:134-138).
func (u *user) mucConnected() {
	for _, rm := range u.rooms {
		u.joinRoom(rm)
	}
}

// occupantPresence is a presence from a resource already in the room. A new nickname is
// a nick change, which the backend protocol cannot carry: JOIN_ROOM would join again
// and ROOM_NICKNAME_CHANGED only goes from backends to us (spec 1.3, 3.12). So the change
// is refused with not-acceptable (XEP-0045 7.6) instead of being ignored silently as
// Spectrum 2 does. A presence with the same nick is a status update: nothing to forward.
func (u *user) occupantPresence(rs *resource, p *xmpp.Element, rm *mucRoom, occ *occupant, nick string) {
	current := occ.nick
	if occ.joined {
		current = rm.nick
	}
	if nick == current {
		return
	}
	u.send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeModify, "not-acceptable",
		"the legacy network does not support changing the nickname inside a room"))
}

// leaveRoom removes rs from the room, confirms its exit, and leaves the legacy room when
// it was the last resource in it (spec 3.12).
func (u *user) leaveRoom(rm *mucRoom, rs *resource) {
	occ := rm.occupants[rs.key]
	delete(rm.occupants, rs.key)
	nick := occ.nick
	if occ.joined {
		nick = rm.nick
	}
	pres := xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
		"from", u.occupantJID(rm, nick), "to", rs.key)
	u.send(rs, pres.Append(mucUserX(statusSelf, mucItem("none", "none"))))
	if len(rm.occupants) == 0 {
		u.dropRoom(rm, true)
	}
}

// dropRoom forgets the room, with LEAVE_ROOM when the network may still count us in.
func (u *user) dropRoom(rm *mucRoom, leave bool) {
	delete(u.rooms, jidmap.Key(rm.legacy))
	u.dropHold(rm)
	if leave && rm.sent && u.legacyOnline() {
		_ = u.toBackend(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: proto.String(u.key),
			Nickname: proto.String(""), Room: proto.String(rm.legacy), Password: proto.String("")})
		u.leaveSent(rm)
	}
	u.log.Debug().Str("room", rm.legacy).Msg("left room")
}

// mucResourceGone takes a resource that closed or went unavailable out of every room;
// rooms left without resources are left on the network (spec 3.12,
// ConversationManager.cpp:105-125).
func (u *user) mucResourceGone(rs *resource) {
	for _, rm := range u.rooms {
		if rm.occupants[rs.key] == nil {
			continue
		}
		delete(rm.occupants, rs.key)
		if len(rm.occupants) == 0 {
			u.dropRoom(rm, true)
		}
	}
}

// mucShutdown runs when the legacy session ends (logout, fatal error, shutdown): every
// occupant gets an unavailable self-presence with status 332 (spec 3.5, Conversation.cpp:
// 71-103). Spectrum 2 adds 307 (kicked), which makes clients tell the user they were
// kicked; we send 110 and 332 only.
func (u *user) mucShutdown() {
	for _, rm := range u.rooms {
		u.dropHold(rm)
		for _, occ := range rm.occupants {
			x := mucUserX(statusSelf, statusShutdown, mucItem("none", "none").Append(
				xmpp.New(xmpp.NSMUCUser, "reason").AppendText("Spectrum 2 transport is being shut down.")))
			u.send(occ.rs, xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
				"from", u.occupantJID(rm, rm.nick), "to", occ.rs.key).Append(x))
		}
	}
	clear(u.rooms)
}
