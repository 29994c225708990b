package irc

import (
	"fmt"
	"strings"
	"unique"

	"github.com/lrstanley/girc"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// room is one channel the user joined (or is joining) on a network.
type room struct {
	name    string // legacy name, lowercased: "#chan" or "#chan@host"
	channel string // IRC channel name
	key     string
	nick    string // the user's nickname as the daemon knows it
	joined  bool   // RPL_ENDOFNAMES seen: participants were reported
	members memberSet
	names   memberSet // RPL_NAMREPLY being collected
	topic   string
	setter  string
	capped  bool // a member was refused at the member limit; the user was told (or will be)
}

// admit reports whether s, a member set of r, may take the member under key: one it holds
// already, the user's own (ownKey: its renames and kicks need it), or any while s has
// fewer than limit others (options.roomMembers). first reports the refusal that reached
// the bound in r first; the caller holds n.mu.
func (r *room) admit(s *memberSet, key, ownKey string, limit int) (ok, first bool) {
	others := s.len()
	if s.has(ownKey) {
		others--
	}
	if key == ownKey || others < limit || s.has(key) {
		return true, false
	}
	first, r.capped = !r.capped, true
	return false, first
}

// cappedText tells the user that r shows only limit of its members.
func cappedText(r *room, limit int) string {
	return fmt.Sprintf("%s has more members than the gateway shows (%d): later ones are not listed, but their messages arrive.",
		r.channel, limit)
}

// reportCapped logs that r reached the member limit and tells the user, in a message from
// the room itself.
func (n *network) reportCapped(r *room) {
	limit := n.s.p.opts.roomMembers()
	n.logger().Warn().Str("channel", r.channel).Int("limit", limit).
		Msg("channel has more members than the gateway keeps; later ones are not shown")
	n.s.sink.Message(backend.Message{User: n.s.user, Buddy: r.name, Body: cappedText(r, limit)})
}

// member is a participant of a channel.
type member struct {
	nick  string
	flags pb.ParticipantFlag
	away  bool
}

// memberSet is a channel's participants by lowercased nick. Every connection of the
// gateway in a channel holds one, so it is kept small (issue 26: memory per IRC user): a
// byte of state per member, and the names interned (unique.Make), so that the
// connections of one backend in a channel share one copy of each name instead of one
// each, and a map slot holds a pointer rather than a string: the nick apart only where
// its case differs from its key. The runtime drops an interned name once no set holds
// it, and unique.Make copies the name, so it never keeps the server's line alive.
// It holds at most irc_max_room_members (options.roomMembers) besides the user: NAMES and
// JOIN ask room.admit first.
// The zero value is empty; put makes the maps.
type memberSet struct {
	bits  map[unique.Handle[string]]memberBits            // by lowercased nick
	cased map[unique.Handle[string]]unique.Handle[string] // the nick, where it is not its lowercased key
}

// memberBits is what a memberSet keeps of a member besides its name.
type memberBits uint8

const (
	bitModerator memberBits = 1 << iota
	bitAway
)

// has reports whether s holds a member under key (a lowercased nick).
func (s *memberSet) has(key string) bool {
	if len(s.bits) == 0 {
		return false
	}
	_, ok := s.bits[unique.Make(key)]
	return ok
}

// get returns the member under key (a lowercased nick).
func (s *memberSet) get(key string) (member, bool) {
	if len(s.bits) == 0 {
		return member{}, false
	}
	return s.getHandle(unique.Make(key))
}

func (s *memberSet) getHandle(h unique.Handle[string]) (member, bool) {
	b, ok := s.bits[h]
	if !ok {
		return member{}, false
	}
	m := member{nick: h.Value(), away: b&bitAway != 0}
	if nick, ok := s.cased[h]; ok {
		m.nick = nick.Value()
	}
	if b&bitModerator != 0 {
		m.flags = pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	return m, true
}

// put stores m under its lowercased nick.
func (s *memberSet) put(m member) {
	if s.bits == nil {
		s.bits = map[unique.Handle[string]]memberBits{}
	}
	var b memberBits
	if m.flags&pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR != 0 {
		b |= bitModerator
	}
	if m.away {
		b |= bitAway
	}
	lower := strings.ToLower(m.nick)
	key := unique.Make(lower)
	if lower == m.nick {
		delete(s.cased, key)
	} else {
		if s.cased == nil {
			s.cased = map[unique.Handle[string]]unique.Handle[string]{}
		}
		s.cased[key] = unique.Make(m.nick)
	}
	s.bits[key] = b
}

// del forgets the member under key.
func (s *memberSet) del(key string) {
	if len(s.bits) == 0 {
		return
	}
	h := unique.Make(key)
	delete(s.bits, h)
	delete(s.cased, h)
}

// all calls f with every member but the one under skip (a lowercased nick).
func (s *memberSet) all(skip string, f func(member)) {
	for h := range s.bits {
		if h.Value() != skip {
			m, _ := s.getHandle(h)
			f(m)
		}
	}
}

// len is the number of members.
func (s *memberSet) len() int { return len(s.bits) }

func (m *member) status() pb.StatusType {
	if m.away {
		return pb.StatusType_STATUS_AWAY
	}
	return pb.StatusType_STATUS_ONLINE
}

// join registers r and sends JOIN once the connection is registered.
func (n *network) join(r *room) {
	n.mu.Lock()
	if old := n.rooms[r.name]; old != nil && old.joined {
		n.mu.Unlock()
		return
	}
	n.rooms[r.name] = r
	welcomed := n.welcomed
	n.mu.Unlock()
	if welcomed {
		n.sendJoin(r)
	}
}

func (n *network) sendJoin(r *room) {
	if r.key != "" {
		n.send(girc.JOIN, r.channel, r.key)
		return
	}
	n.send(girc.JOIN, r.channel)
}

// part leaves a channel; in per-room mode the connection ends with its last channel.
func (n *network) part(name string) {
	n.mu.Lock()
	r := n.rooms[name]
	delete(n.rooms, name)
	empty := len(n.rooms) == 0
	n.mu.Unlock()
	if r == nil {
		return
	}
	n.send(girc.PART, r.channel)
	if empty && !n.s.p.singleNetwork() {
		// A later JOIN_ROOM for this network starts a new connection instead of
		// landing on this closing one.
		n.s.dropNetwork(n)
		n.send(girc.QUIT, "Leaving")
	}
}

// roomOf returns the room of an IRC channel; the caller holds n.mu.
func (n *network) roomOf(channel string) *room {
	return n.rooms[strings.ToLower(channel)+n.suffix]
}

// participant reports m in r.
func (n *network) participant(r *room, m *member, st pb.StatusType, text, newName string, extra pb.ParticipantFlag) {
	n.s.sink.Participant(backend.Participant{
		User: n.s.user, Room: r.name, Nickname: m.nick, Flags: m.flags | extra,
		Status: st, StatusMessage: text, NewName: newName,
	})
}

// selfError reports a failed or ended join of the user's own nickname.
func (n *network) selfError(r *room, flag pb.ParticipantFlag, text string) {
	n.s.sink.Participant(backend.Participant{
		User: n.s.user, Room: r.name, Nickname: r.nick, Flags: flag,
		Status: pb.StatusType_STATUS_NONE, StatusMessage: text,
	})
}

// prefixFlags maps the NAMES/WHO prefix characters to participant flags: op and above
// make a moderator (spec 3.12); voice has no flag of its own.
func prefixFlags(prefix string) pb.ParticipantFlag {
	if strings.ContainsAny(prefix, "~&@%") {
		return pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	return pb.ParticipantFlag_PARTICIPANT_FLAG_NONE
}

// splitPrefix cuts NAMES prefixes ("@+nick") off a nickname.
func splitPrefix(s string) (prefix, nick string) {
	i := strings.IndexFunc(s, func(r rune) bool { return !strings.ContainsRune("~&@%+", r) })
	if i < 0 {
		return s, ""
	}
	nick = s[i:]
	if j := strings.IndexByte(nick, '!'); j >= 0 { // userhost-in-names
		nick = nick[:j]
	}
	return s[:i], nick
}

// onNames collects RPL_NAMREPLY: "<me> <type> <channel> :<names>".
func (n *network) onNames(e girc.Event) {
	if len(e.Params) < 3 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.roomOf(e.Params[2])
	if r == nil || r.joined {
		// After the join, a NAMES reply answers nobody here and would collect into names
		// for good: the members are known already.
		return
	}
	ownKey, limit := strings.ToLower(n.nick), n.s.p.opts.roomMembers()
	for _, word := range strings.Fields(e.Last()) {
		prefix, nick := splitPrefix(word)
		if nick == "" {
			continue
		}
		if ok, _ := r.admit(&r.names, strings.ToLower(nick), ownKey, limit); ok {
			r.names.put(member{nick: nick, flags: prefixFlags(prefix)})
		}
	}
}

// onEndOfNames completes a join: the participants, the user's own one last with ME
// (spec 3.12), after ROOM_NICKNAME_CHANGED if the network gave us another nick
// (spec 4.3, muc_join_nickname_used); then the topic, and a WHO for away flags.
func (n *network) onEndOfNames(e girc.Event) {
	if len(e.Params) < 2 {
		return
	}
	n.mu.Lock()
	r := n.roomOf(e.Params[1])
	if r == nil || r.joined {
		n.mu.Unlock()
		return
	}
	r.joined, r.members, r.names = true, r.names, memberSet{}
	own := n.nick
	renamed := !strings.EqualFold(r.nick, own)
	r.nick = own
	ownKey := strings.ToLower(own)
	others := make([]member, 0, r.members.len())
	self, ok := r.members.get(ownKey)
	if !ok {
		self = member{nick: own}
	}
	r.members.all(ownKey, func(m member) { others = append(others, m) })
	topic, setter, capped := r.topic, r.setter, r.capped
	poll := r.members.len() <= awayCheckMaxMembers
	n.mu.Unlock()
	if renamed {
		n.s.sink.RoomNicknameChanged(n.s.user, r.name, own)
	}
	for i := range others {
		n.participant(r, &others[i], others[i].status(), "", "", 0)
	}
	n.participant(r, &self, pb.StatusType_STATUS_ONLINE, "", "", pb.ParticipantFlag_PARTICIPANT_FLAG_ME)
	if capped {
		n.reportCapped(r) // once the user is in the room, to read it
	}
	if topic != "" {
		n.s.sink.RoomSubject(backend.Message{User: n.s.user, Buddy: r.name, Nickname: setter, Body: topic})
	}
	if poll {
		n.send(girc.WHO, r.channel) // away flags, as the poll (people.go) has them
	}
}
