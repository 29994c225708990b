package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Bounds of the group-chat state kept per user; the rooms joined through the gateway (as
// MUC) at once and the members kept per room are Config.MaxRooms and Config.MaxMembers:
// past the one a join is refused, past the other later members are not shown as
// occupants (their messages still arrive, under their user IDs).
const (
	// maxRoomList bounds the joined rooms listed to the daemon (ROOM_LIST) and so the
	// names and aliases kept for them.
	maxRoomList = 1000
)

// Power levels as XEP-0045 affiliations (issue 25): 100 and above owner/moderator, 50
// and above admin/moderator, the rest member/participant.
const (
	levelOwner     = 100
	levelModerator = 50
)

// rooms is the group-chat state of a session: the rooms the daemon joined (by room ID)
// with what their occupants and subject need, and the names of all joined rooms for the
// room list. mu guards everything; it is never held across a request to the homeserver.
type rooms struct {
	mu     sync.Mutex
	muc    map[id.RoomID]*mucRoom
	byName map[string]*mucRoom // legacy name, lower case (the room JID's node is case-folded)
	info   map[id.RoomID]*roomInfo
	listed string // the room list last sent, to send it again only when it changed
	// invited are the invitations to rooms the user was told of, so each is told once.
	invited map[id.RoomID]bool
	// leaving are the rooms the daemon left whose leave the sync has not shown yet: that
	// leave is the answer to the daemon's, and must not end a re-join made meanwhile.
	leaving map[id.RoomID]bool
}

// roomInfo is what the room list needs of a joined room.
type roomInfo struct {
	alias, name string
	encrypted   bool
}

// mucRoom is a room the daemon joined. Only its members' nicknames and power levels, the
// power levels of users who are not members yet, and the topic are kept.
type mucRoom struct {
	id        id.RoomID
	name      string // the legacy name the daemon joined it as
	nick      string // the user's nickname
	members   map[id.UserID]*member
	nicks     map[string]id.UserID // lower-cased nickname -> member
	levels    map[id.UserID]int    // m.room.power_levels users
	defLevel  int                  // users_default
	topic     string
	encrypted bool
	limit     int // the members kept at most (Config.MaxMembers)
	// delivered are the latest message events sent to the daemon, fresh says the room's
	// first sync since the join is awaited (backfill.go).
	delivered []id.EventID
	fresh     bool
}

type member struct {
	nick  string
	level int
}

func newRooms() rooms {
	return rooms{muc: map[id.RoomID]*mucRoom{}, byName: map[string]*mucRoom{}, info: map[id.RoomID]*roomInfo{}}
}

// legacyRoomName is how a joined room is named to the daemon: its canonical alias
// ("#room:server", which the daemon escapes into the room JID's node as for any room) or,
// without one, "#" and its room ID ("#!abc:server"): the daemon takes nodes starting
// with '#' as rooms (spec 3.6). Capitals are marked (foldCase: "#^my^room:server"), as
// the JID's node is case-folded and Matrix names are not.
func legacyRoomName(room id.RoomID, alias string) string {
	if alias != "" {
		return foldCase(alias)
	}
	return foldCase("#" + string(room))
}

// roomTarget is what /join takes for a legacy room name: a room ID for "#!id:server", an
// alias otherwise, with the capitals foldCase marked.
func (rs *rooms) roomTarget(name string) string {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for room, inf := range rs.info {
		if strings.EqualFold(legacyRoomName(room, inf.alias), name) || strings.EqualFold(legacyRoomName(room, ""), name) {
			return string(room)
		}
	}
	target := unfoldCase(name)
	if strings.HasPrefix(target, "#!") {
		return target[1:]
	}
	return target
}

// encrypted reports whether room has end-to-end encryption enabled, as far as the state
// seen says (a MUC room's join read it; other rooms' state comes with the sync).
func (rs *rooms) encrypted(room id.RoomID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rm := rs.muc[room]; rm != nil && rm.encrypted {
		return true
	}
	inf := rs.info[room]
	return inf != nil && inf.encrypted
}

// memberByNick is the member of the joined room (legacy name) with nickname nick.
func (rs *rooms) memberByNick(room, nick string) (id.UserID, bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rm := rs.byName[strings.ToLower(room)]
	if rm == nil {
		return "", false
	}
	u, ok := rm.nicks[strings.ToLower(nick)]
	return u, ok
}

// byLegacy is the joined MUC room the daemon calls name.
func (rs *rooms) byLegacy(name string) *mucRoom {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.byName[strings.ToLower(name)]
}

// flags maps a power level to participant flags; the moderator bit is what Spectrum 2's
// protocol carries, the affiliation goes with it (backend.Participant.Affiliation).
func flags(level int) pb.ParticipantFlag {
	if level >= levelModerator {
		return pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	return pb.ParticipantFlag_PARTICIPANT_FLAG_NONE
}

// affiliation is the XEP-0045 affiliation of a power level.
func affiliation(level int) string {
	switch {
	case level >= levelOwner:
		return "owner"
	case level >= levelModerator:
		return "admin"
	}
	return "member"
}

// JoinRoom joins a Matrix room by alias or ID (queued with the user's other requests).
func (p *Plugin) JoinRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	sess, ok := p.sessions.Load(r.User)
	if !ok {
		return
	}
	sess.do(func() { sess.joinRoom(r) }, func() {
		sess.joinFailed(r, pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND, "too many requests are waiting")
	})
}

// LeaveRoom leaves the Matrix room; nothing more is reported about it.
func (p *Plugin) LeaveRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	sess, ok := p.sessions.Load(r.User)
	if !ok {
		return
	}
	sess.rooms.mu.Lock()
	rm := sess.rooms.byName[strings.ToLower(r.Room)]
	if rm != nil {
		delete(sess.rooms.byName, strings.ToLower(r.Room))
		delete(sess.rooms.muc, rm.id)
		if sess.rooms.leaving == nil {
			sess.rooms.leaving = map[id.RoomID]bool{}
		}
		if len(sess.rooms.leaving) < sess.p.cfg.MaxRooms {
			sess.rooms.leaving[rm.id] = true
		}
	}
	sess.rooms.mu.Unlock()
	if rm == nil {
		return
	}
	sess.do(func() {
		ctx, cancel := context.WithTimeout(sess.ctx, sess.p.cfg.ConnectTimeout)
		defer cancel()
		if _, err := sess.cli.LeaveRoom(ctx, rm.id); err != nil {
			sess.log.Info().Err(err).Str("room", string(rm.id)).Msg("leave failed")
		}
	}, nil)
}

// SetSubject sets the room's topic.
func (p *Plugin) SetSubject(_ context.Context, _ *backend.Sink, m backend.Message) {
	sess, ok := p.sessions.Load(m.User)
	if !ok {
		return
	}
	sess.do(func() {
		rm := sess.rooms.byLegacy(m.Buddy)
		if rm == nil {
			return
		}
		ctx, cancel := context.WithTimeout(sess.ctx, sess.p.cfg.ConnectTimeout)
		defer cancel()
		if _, err := sess.cli.SendStateEvent(ctx, rm.id, event.StateTopic, "", &event.TopicEventContent{Topic: m.Body}); err != nil {
			sess.log.Info().Err(err).Str("room", string(rm.id)).Msg("topic not set")
			sess.sink.Message(backend.Message{User: sess.user, Buddy: m.Buddy,
				Body: "The subject was not changed: " + err.Error()})
		}
	}, nil)
}

// joinFailed reports a failed join as the user's own participant with an error flag.
func (s *session) joinFailed(r backend.Room, flag pb.ParticipantFlag, text string) {
	s.sink.Participant(backend.Participant{User: s.user, Room: r.Room, Nickname: r.Nickname,
		Flags: flag | pb.ParticipantFlag_PARTICIPANT_FLAG_ME, Status: pb.StatusType_STATUS_NONE, StatusMessage: text})
}

// joinRoom joins the room, reads its members, power levels, topic and encryption, and
// reports them: the other members, the user last (flag ME), the topic as subject, then
// the room's last messages as history (backfill.go).
func (s *session) joinRoom(r backend.Room) {
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	s.rooms.mu.Lock()
	full := len(s.rooms.muc) >= s.p.cfg.MaxRooms
	s.rooms.mu.Unlock()
	if full {
		s.joinFailed(r, pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED,
			fmt.Sprintf("too many Matrix rooms joined through the gateway (at most %d): leave one first", s.p.cfg.MaxRooms))
		return
	}
	resp, err := s.cli.JoinRoom(ctx, s.rooms.roomTarget(r.Room), nil)
	if err != nil {
		flag := pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND
		var he mautrix.HTTPError
		if errors.As(err, &he) && he.Response != nil && he.Response.StatusCode == http.StatusForbidden {
			flag = pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED
		}
		s.log.Info().Err(err).Str("room", r.Room).Msg("join failed")
		text := err.Error()
		if flag == pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND && !strings.ContainsRune(r.Room, caseMark) {
			text += " (a room whose name has capitals is joined with ^ before each: #^my^room:server for #MyRoom:server)"
		}
		s.joinFailed(r, flag, text)
		return
	}
	rm := &mucRoom{id: resp.RoomID, name: r.Room, nick: r.Nickname, members: map[id.UserID]*member{},
		nicks: map[string]id.UserID{}, levels: map[id.UserID]int{}, limit: s.p.cfg.MaxMembers, fresh: true}
	var pl event.PowerLevelsEventContent
	if err := s.cli.StateEvent(ctx, rm.id, event.StatePowerLevels, "", &pl); err == nil {
		rm.setLevels(&pl)
	}
	var topic event.TopicEventContent
	if err := s.cli.StateEvent(ctx, rm.id, event.StateTopic, "", &topic); err == nil {
		rm.topic = topic.Topic
	}
	var enc event.EncryptionEventContent
	rm.encrypted = s.cli.StateEvent(ctx, rm.id, event.StateEncryption, "", &enc) == nil && enc.Algorithm != ""
	joined, err := s.cli.JoinedMembers(ctx, rm.id)
	if err != nil {
		s.log.Info().Err(err).Str("room", string(rm.id)).Msg("members not read")
		s.joinFailed(r, pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND, err.Error())
		return
	}
	me := s.cli.UserID
	ids := make([]id.UserID, 0, len(joined.Joined))
	for u := range joined.Joined {
		ids = append(ids, u)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	rm.nicks[strings.ToLower(rm.nick)] = me
	rm.members[me] = &member{nick: rm.nick, level: rm.level(me)}
	for _, u := range ids {
		if u != me && len(rm.members) < rm.limit {
			rm.add(u, joined.Joined[u].DisplayName)
		}
	}
	s.rooms.mu.Lock()
	if old := s.rooms.muc[rm.id]; old != nil {
		delete(s.rooms.byName, strings.ToLower(old.name))
	}
	s.rooms.muc[rm.id] = rm
	s.rooms.byName[strings.ToLower(rm.name)] = rm
	var parts []backend.Participant
	for _, u := range ids {
		if m := rm.members[u]; m != nil && u != me {
			parts = append(parts, s.participant(rm, m, 0))
		}
	}
	self := s.participant(rm, rm.members[me], pb.ParticipantFlag_PARTICIPANT_FLAG_ME)
	topicText := rm.subject()
	s.rooms.mu.Unlock()
	for _, p := range parts {
		s.sink.Participant(p)
	}
	s.sink.Participant(self)
	// The subject before the history: the daemon holds the self-presence until the first
	// message and then sends it with the subject it has (router/muc/join.go).
	s.sink.RoomSubject(backend.Message{User: s.user, Buddy: rm.name, Body: topicText})
	s.deliverHistory(rm, s.fetchHistory(ctx, rm.id))
	s.log.Info().Str("room", string(rm.id)).Int("members", len(rm.members)).Msg("room joined")
}

// subject is the topic, with the plain word on end-to-end encryption for encrypted rooms.
func (rm *mucRoom) subject() string {
	if !rm.encrypted {
		return rm.topic
	}
	const note = "[This room is end-to-end encrypted: the gateway does not support encrypted Matrix rooms, so messages are not shown.]"
	if rm.topic == "" {
		return note
	}
	return rm.topic + " " + note
}

// setLevels takes a room's power levels, bounded to limit users.
func (rm *mucRoom) setLevels(pl *event.PowerLevelsEventContent) {
	rm.levels = make(map[id.UserID]int, min(len(pl.Users), rm.limit))
	for u, l := range pl.Users {
		if len(rm.levels) >= rm.limit {
			break
		}
		rm.levels[u] = l
	}
	rm.defLevel = pl.UsersDefault
}

func (rm *mucRoom) level(u id.UserID) int {
	if l, ok := rm.levels[u]; ok {
		return l
	}
	return rm.defLevel
}

// nickFor picks u's nickname: the display name, else the localpart; the user ID itself
// when another member has that nickname already (occupant nicknames are unique).
func (rm *mucRoom) nickFor(u id.UserID, display string) string {
	nick := strings.TrimSpace(display)
	if nick == "" {
		nick, _, _ = u.Parse()
	}
	if nick == "" {
		nick = string(u)
	}
	if other, taken := rm.nicks[strings.ToLower(nick)]; taken && other != u {
		nick = string(u)
	}
	return nick
}

// add makes u a member; the caller checked limit.
func (rm *mucRoom) add(u id.UserID, display string) *member {
	m := &member{nick: rm.nickFor(u, display), level: rm.level(u)}
	rm.members[u] = m
	rm.nicks[strings.ToLower(m.nick)] = u
	return m
}

func (rm *mucRoom) remove(u id.UserID) {
	if m := rm.members[u]; m != nil {
		delete(rm.nicks, strings.ToLower(m.nick))
		delete(rm.members, u)
	}
}

// participant is m as PARTICIPANT_CHANGED.
func (s *session) participant(rm *mucRoom, m *member, extra pb.ParticipantFlag) backend.Participant {
	return backend.Participant{User: s.user, Room: rm.name, Nickname: m.nick, Flags: flags(m.level) | extra,
		Status: pb.StatusType_STATUS_ONLINE, Affiliation: affiliation(m.level)}
}

// nickOf is the nickname a sender's messages carry in rm: the member's, else its user ID.
func (rm *mucRoom) nickOf(u id.UserID) string {
	if m := rm.members[u]; m != nil {
		return m.nick
	}
	return string(u)
}

// roomEvents applies a sync's events of a room the daemon joined: members, power levels,
// the topic and, unless initial, messages. left says the user is no longer in the room
// (the sync's leave section): if no event of ours said why, the user's participant goes.
func (s *session) roomEvents(room id.RoomID, events []*event.Event, initial, left bool) {
	s.rooms.mu.Lock()
	rm := s.rooms.muc[room]
	history := 0
	if rm != nil {
		history = rm.historyEnd(events, s.cli.UserID)
	}
	s.rooms.mu.Unlock()
	if rm == nil {
		if left {
			s.rooms.takeLeaving(room) // the daemon's leave, seen: nothing waits for it now
		}
		return
	}
	for i, ev := range events {
		switch ev.Type {
		case event.StateMember:
			s.roomMember(rm, ev, left)
		case event.StatePowerLevels:
			s.roomLevels(rm, ev)
		case event.StateEncryption:
			s.rooms.mu.Lock()
			rm.encrypted = true
			subj := rm.subject()
			s.rooms.mu.Unlock()
			s.sink.RoomSubject(backend.Message{User: s.user, Buddy: rm.name, Body: subj})
		case event.StateTopic:
			_ = ev.Content.ParseRaw(event.StateTopic)
			if t, ok := ev.Content.Parsed.(*event.TopicEventContent); ok {
				s.rooms.mu.Lock()
				rm.topic = t.Topic
				subj, nick := rm.subject(), rm.nickOf(ev.Sender)
				s.rooms.mu.Unlock()
				s.sink.RoomSubject(backend.Message{User: s.user, Buddy: rm.name, Nickname: nick, Body: subj})
			}
		case event.EventMessage, event.EventEncrypted:
			if initial || i < history {
				continue // history: the initial sync's, or the join's (backfill.go)
			}
			m, ok := s.convert(ev)
			if !ok {
				continue
			}
			s.rooms.mu.Lock()
			m.Nickname = rm.nickOf(ev.Sender)
			fresh := rm.deliver(ev.ID)
			s.rooms.mu.Unlock()
			if !fresh {
				continue // the backfill delivered it
			}
			m.User, m.Buddy = s.user, rm.name
			s.roomRelations(rm, ev, &m) // edits and replies (extensions.go)
			s.sink.Message(m)
		case event.EventReaction, event.EventRedaction:
			if !initial {
				s.roomReactionOrRedaction(rm, ev) // extensions.go
			}
		}
	}
	if left && !s.rooms.takeLeaving(room) {
		s.dropRoom(rm, 0, "")
	}
}

// isLeaving reports whether the daemon left room and the sync has not shown it yet.
func (rs *rooms) isLeaving(room id.RoomID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.leaving[room]
}

// takeLeaving ends the wait for room's leave: true if the daemon had left it.
func (rs *rooms) takeLeaving(room id.RoomID) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	was := rs.leaving[room]
	delete(rs.leaving, room)
	return was
}

// dropRoom forgets rm and, if it was still joined, reports the user's participant as gone
// with flag (KICKED, BANNED or none) and the reason.
func (s *session) dropRoom(rm *mucRoom, flag pb.ParticipantFlag, reason string) {
	s.rooms.mu.Lock()
	cur := s.rooms.muc[rm.id] == rm
	if cur {
		delete(s.rooms.muc, rm.id)
		delete(s.rooms.byName, strings.ToLower(rm.name))
	}
	s.rooms.mu.Unlock()
	if cur {
		s.sink.Participant(backend.Participant{User: s.user, Room: rm.name, Nickname: rm.nick,
			Flags: flag | pb.ParticipantFlag_PARTICIPANT_FLAG_ME, Status: pb.StatusType_STATUS_NONE, StatusMessage: reason})
	}
}

// roomMember applies a member event: a join (or a new display name, a rename), a leave,
// a kick (a leave by someone else: status 307) or a ban (301). The user's own leave counts
// only in the sync's leave section (left): in its join section the user is in the room
// again, and the leave is an earlier one (a leave and a re-join in one batch), which must
// not end the new join; nor must the leave section of a sync computed before a re-join
// the daemon made after its own leave (rooms.leaving).
func (s *session) roomMember(rm *mucRoom, ev *event.Event, left bool) {
	if ev.StateKey == nil {
		return
	}
	_ = ev.Content.ParseRaw(event.StateMember)
	mc, ok := ev.Content.Parsed.(*event.MemberEventContent)
	if !ok {
		return
	}
	u := id.UserID(*ev.StateKey)
	me := s.cli.UserID
	var flag pb.ParticipantFlag
	switch mc.Membership {
	case event.MembershipJoin:
		if u == me {
			s.rooms.takeLeaving(rm.id) // a join after the daemon's leave: that leave is past
			return                     // the user's own nickname stays the one the daemon chose
		}
		s.rooms.mu.Lock()
		m := rm.members[u]
		var p backend.Participant
		switch {
		case m == nil && len(rm.members) >= rm.limit:
			s.rooms.mu.Unlock()
			return
		case m == nil:
			p = s.participant(rm, rm.add(u, mc.Displayname), 0)
		default:
			nick := rm.nickFor(u, mc.Displayname)
			if nick == m.nick {
				s.rooms.mu.Unlock()
				return // an avatar change, or the same join again
			}
			p = s.participant(rm, m, 0)
			p.NewName = nick
			delete(rm.nicks, strings.ToLower(m.nick))
			m.nick = nick
			rm.nicks[strings.ToLower(nick)] = u
		}
		s.rooms.mu.Unlock()
		s.sink.Participant(p)
		return
	case event.MembershipBan:
		flag = pb.ParticipantFlag_PARTICIPANT_FLAG_BANNED
	case event.MembershipLeave:
		if ev.Sender != u {
			flag = pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED
		}
	default:
		return // invites and knocks are not occupants
	}
	if u == me {
		switch {
		case !left:
		case flag == 0 && s.rooms.isLeaving(rm.id):
			// The leave the daemon asked for, seen after a re-join: not the new join's end.
		default:
			s.rooms.takeLeaving(rm.id)
			s.dropRoom(rm, flag, mc.Reason)
		}
		return
	}
	s.rooms.mu.Lock()
	m := rm.members[u]
	if m == nil {
		s.rooms.mu.Unlock()
		return
	}
	p := s.participant(rm, m, flag)
	p.Status, p.StatusMessage = pb.StatusType_STATUS_NONE, mc.Reason
	rm.remove(u)
	s.rooms.mu.Unlock()
	s.sink.Participant(p)
}

// roomLevels applies new power levels: members whose affiliation changed are reported.
func (s *session) roomLevels(rm *mucRoom, ev *event.Event) {
	_ = ev.Content.ParseRaw(event.StatePowerLevels)
	pl, ok := ev.Content.Parsed.(*event.PowerLevelsEventContent)
	if !ok {
		return
	}
	s.rooms.mu.Lock()
	rm.setLevels(pl)
	var changed []backend.Participant
	for u, m := range rm.members {
		l := rm.level(u)
		if affiliation(l) != affiliation(m.level) {
			var extra pb.ParticipantFlag
			if u == s.cli.UserID {
				extra = pb.ParticipantFlag_PARTICIPANT_FLAG_ME
			}
			m.level = l
			changed = append(changed, s.participant(rm, m, extra))
		}
		m.level = l
	}
	s.rooms.mu.Unlock()
	for _, p := range changed {
		s.sink.Participant(p)
	}
}

// roomInfoEvents keeps the alias, name and encryption of a joined room from its state
// events, for the room list.
func (s *session) roomInfoEvents(room id.RoomID, events []*event.Event) {
	s.rooms.mu.Lock()
	defer s.rooms.mu.Unlock()
	delete(s.rooms.invited, room) // joined: the invitation is over
	inf := s.rooms.info[room]
	if inf == nil {
		if len(s.rooms.info) >= maxRoomList {
			return
		}
		inf = &roomInfo{}
		s.rooms.info[room] = inf
	}
	for _, ev := range events {
		switch ev.Type {
		case event.StateCanonicalAlias:
			_ = ev.Content.ParseRaw(event.StateCanonicalAlias)
			if a, ok := ev.Content.Parsed.(*event.CanonicalAliasEventContent); ok {
				inf.alias = string(a.Alias)
			}
		case event.StateRoomName:
			_ = ev.Content.ParseRaw(event.StateRoomName)
			if n, ok := ev.Content.Parsed.(*event.RoomNameEventContent); ok {
				inf.name = n.Name
			}
		case event.StateEncryption:
			inf.encrypted = true
		}
	}
}

// publishRoomList sends the joined rooms that are not direct chats as ROOM_LIST, when the
// list changed.
func (s *session) publishRoomList() {
	s.rooms.mu.Lock()
	var entries []backend.RoomListEntry
	for room, inf := range s.rooms.info {
		if s.r.isDirect(room) {
			continue
		}
		name := legacyRoomName(room, inf.alias)
		title := inf.name
		if title == "" {
			title = name
		}
		entries = append(entries, backend.RoomListEntry{Room: name, Name: title})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Room < entries[j].Room })
	var key strings.Builder
	for _, e := range entries {
		key.WriteString(e.Room + "\x00" + e.Name + "\x00")
	}
	same := key.String() == s.rooms.listed
	s.rooms.listed = key.String()
	s.rooms.mu.Unlock()
	if !same {
		s.sink.RoomList(s.user, entries)
	}
}

// forgetRoom drops a room the user left from the room list, and its invitation.
func (s *session) forgetRoom(room id.RoomID) {
	s.rooms.mu.Lock()
	delete(s.rooms.info, room)
	delete(s.rooms.invited, room)
	s.rooms.mu.Unlock()
}

// roomInvites tells the user of invitations to rooms that are not direct chats, as a
// message from the inviter naming the room (the protocol has no invitation frame; the
// room is joined as any other, under the name given).
func (s *session) roomInvites(resp *mautrix.RespSync) {
	n := 0
	for room, inv := range resp.Rooms.Invite {
		inviter, direct := s.inviteOf(inv)
		if direct || inviter == "" {
			s.log.Debug().Str("room", string(room)).Bool("direct", direct).Msg("invitation without an inviter")
			continue
		}
		if n++; n > maxInvites {
			return
		}
		told, full := s.rooms.noteInvite(room)
		if full {
			s.log.Warn().Str("room", string(room)).Int("limit", maxRoomList).Msg("invitation not shown: too many rooms remembered")
			continue
		}
		if told {
			continue
		}
		var alias, title string
		for _, ev := range inv.State.Events {
			switch ev.Type {
			case event.StateCanonicalAlias:
				_ = ev.Content.ParseRaw(event.StateCanonicalAlias)
				if a, ok := ev.Content.Parsed.(*event.CanonicalAliasEventContent); ok {
					alias = string(a.Alias)
				}
			case event.StateRoomName:
				_ = ev.Content.ParseRaw(event.StateRoomName)
				if nm, ok := ev.Content.Parsed.(*event.RoomNameEventContent); ok {
					title = nm.Name
				}
			}
		}
		name := legacyRoomName(room, alias)
		s.rooms.mu.Lock()
		if _, ok := s.rooms.info[room]; !ok && len(s.rooms.info) < maxRoomList {
			s.rooms.info[room] = &roomInfo{alias: alias, name: title}
		}
		s.rooms.mu.Unlock()
		shown := alias // the text shows the name as Matrix has it, the invitation the JID's
		if shown == "" {
			shown = string(room)
		}
		reason := "You are invited to the Matrix room " + shown
		if title != "" {
			reason = "You are invited to the Matrix room " + title + " (" + shown + ")"
		}
		s.sink.Invite(backend.Invite{User: s.user, Buddy: buddyName(inviter), Room: name, Reason: reason})
	}
}

// noteInvite records that the user is told of the invitation to room: told if they were
// already, full if maxRoomList invitations are remembered (it is not recorded).
func (rs *rooms) noteInvite(room id.RoomID) (told, full bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.invited == nil {
		rs.invited = map[id.RoomID]bool{}
	}
	switch {
	case rs.invited[room]:
		return true, false
	case len(rs.invited) >= maxRoomList:
		return false, true
	}
	rs.invited[room] = true
	return false, false
}
