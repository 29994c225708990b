package xmpp

import (
	"context"
	"slices"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const (
	nsMUC     = "http://jabber.org/protocol/muc"
	nsMUCUser = "http://jabber.org/protocol/muc#user"
)

// room is a joined (or joining) MUC room. name is the legacy room name as the daemon gave
// it (the room's bare JID, spec 3.12); nick is our current nickname.
type room struct {
	name, nick string
}

// room returns the joined room jid (bare or occupant JID) belongs to, or nil.
func (s *session) room(jid string) *room {
	if jid == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rooms[key(jid)]
}

// roomOccupantJIDs returns our occupant JID in every room.
func (s *session) roomOccupantJIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.rooms {
		out = append(out, r.name+"/"+r.nick)
	}
	return out
}

// JoinRoom enters a room (XEP-0045 section 7.2); the participants and the subject are
// reported as the room sends them, our own presence last (status 110).
func (p *Plugin) JoinRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	sess, c := p.live(r.User)
	if c == nil {
		return
	}
	sess.mu.Lock()
	sess.rooms[key(r.Room)] = &room{name: bareJID(r.Room), nick: r.Nickname}
	sess.mu.Unlock()
	x := stanza.New(nsMUC, "x")
	if r.Password != "" {
		x.Append(stanza.New(nsMUC, "password").AppendText(r.Password))
	}
	join := sess.ownPresence().SetAttr("to", bareJID(r.Room)+"/"+r.Nickname)
	c.send(join.Append(x))
}

// LeaveRoom exits a room.
func (p *Plugin) LeaveRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	sess, c := p.live(r.User)
	if c == nil {
		return
	}
	sess.mu.Lock()
	rm := sess.rooms[key(r.Room)]
	delete(sess.rooms, key(r.Room))
	if rm != nil && len(sess.leaving) < maxLeaving {
		if sess.leaving == nil {
			sess.leaving = make(map[string]bool)
		}
		sess.leaving[key(r.Room)] = true
	}
	sess.mu.Unlock()
	if rm != nil {
		c.send(stanza.New(stanza.NSClient, "presence", "type", "unavailable", "to", rm.name+"/"+rm.nick))
	}
}

// SetSubject changes a room's subject.
func (p *Plugin) SetSubject(_ context.Context, _ *backend.Sink, m backend.Message) {
	sess, c := p.live(m.User)
	if c == nil || sess.room(m.Buddy) == nil {
		return
	}
	c.send(stanza.New(stanza.NSClient, "message", "type", "groupchat", "to", bareJID(m.Buddy), "id", c.nextID()).
		Append(stanza.New(stanza.NSClient, "subject").AppendText(m.Body)))
}

// roomMessage: groupchat with a subject is ROOM_SUBJECT_CHANGED, with a body CONV_MESSAGE
// from the nickname (our own nickname is the room's echo of what we sent, spec 3.12);
// anything else from an occupant is a private message.
func (s *session) roomMessage(r *room, el *stanza.Element) {
	res := resourceOf(el.From())
	if el.Type() != "groupchat" {
		s.chatMessage(s.conn(), el, false)
		return
	}
	if s.roomEvent(r, el, res) {
		return // reactions, a retraction or a marker: its fallback body is no message
	}
	body := el.ChildText(stanza.NSClient, "body")
	if subj := el.Child(stanza.NSClient, "subject"); subj != nil && body == "" {
		s.sink.RoomSubject(backend.Message{User: s.user, Buddy: r.name, Nickname: res, Body: subj.Text()})
		return
	}
	if body == "" {
		return
	}
	m := backend.Message{User: s.user, Buddy: r.name, Nickname: res, Body: body,
		XHTML: xhtmlOf(el), Timestamp: delayStamp(el), Attachments: oobOf(el), ID: roomLegacyID(el, r.name)}
	s.roomIDs.put(r.name, ownID(el), m.ID)
	s.roomExtensions(r, el, &m)
	s.sink.Message(m)
}

// roomPresence turns an occupant's presence into PARTICIPANT_CHANGED (spec 3.12). An
// error for our own join is a failed join: CONFLICT, NOT_AUTHORIZED or ROOM_NOT_FOUND.
func (s *session) roomPresence(r *room, el *stanza.Element) {
	nick := resourceOf(el.From())
	if el.Type() == "error" {
		s.joinFailed(r, el)
		return
	}
	if nick == "" {
		return
	}
	x := el.Child(nsMUCUser, "x")
	codes := statusCodes(x)
	item := child(x, nsMUCUser, "item")
	p := readPresence(el)
	part := backend.Participant{User: s.user, Room: r.name, Nickname: nick, Status: p.status, StatusMessage: p.message}
	if item != nil && item.Attr("role") == "moderator" {
		part.Flags |= pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	if h := photoHash(el); h != nil {
		part.IconHash = *h
	}
	self := slices.Contains(codes, "110")
	if el.Type() == "unavailable" && slices.Contains(codes, "303") && item != nil {
		part.NewName = item.Attr("nick")
	} else if slices.Contains(codes, "307") {
		part.Flags |= pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED
	}
	if self {
		if s.staleLeave(r, &part, codes) {
			return
		}
		s.selfPresence(r, &part)
	}
	s.sink.Participant(part)
}

// leftRoom takes the room's confirmation of our leave (our own unavailable presence, 110)
// when the room is no longer joined: it is not a contact's presence.
func (s *session) leftRoom(from string, el *stanza.Element) bool {
	if el.Type() != "unavailable" || !slices.Contains(statusCodes(el.Child(nsMUCUser, "x")), "110") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(from)
	if !s.leaving[k] {
		return false
	}
	delete(s.leaving, k)
	return true
}

// maxLeaving bounds the rooms whose leave the room has not confirmed yet.
const maxLeaving = 64

// staleLeave reports whether our own presence is the room's late answer to an earlier
// leave, arriving after the daemon joined the room again: it must neither end the new
// join nor reach the daemon. Any own presence of the room ends the wait for the leave's.
func (s *session) staleLeave(r *room, part *backend.Participant, codes []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(r.name)
	if !s.leaving[k] {
		return false
	}
	delete(s.leaving, k)
	return part.Status == pb.StatusType_STATUS_NONE && part.NewName == "" &&
		!slices.Contains(codes, "307") && !slices.Contains(codes, "301")
}

// selfPresence tracks our own nickname: the room may have changed it (210) or renamed us
// (303), and our own unavailable presence means we are out of the room.
func (s *session) selfPresence(r *room, part *backend.Participant) {
	part.Flags |= pb.ParticipantFlag_PARTICIPANT_FLAG_ME
	s.mu.Lock()
	renamed := ""
	switch {
	case part.NewName != "":
		renamed = part.NewName
	case part.Status == pb.StatusType_STATUS_NONE:
		delete(s.rooms, key(r.name))
	case part.Nickname != r.nick:
		renamed = part.Nickname
	}
	changed := renamed != "" && renamed != r.nick
	if changed {
		r.nick = renamed
	}
	s.mu.Unlock()
	if changed {
		s.sink.RoomNicknameChanged(s.user, r.name, renamed)
	}
}

// joinFailed reports a refused join as our own participant with the matching flag, and
// forgets the room.
func (s *session) joinFailed(r *room, el *stanza.Element) {
	flag := pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND
	e := el.Child(stanza.NSClient, "error")
	switch {
	case child(e, stanza.NSStanzas, "conflict") != nil:
		flag = pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT
	case child(e, stanza.NSStanzas, "not-authorized") != nil, child(e, stanza.NSStanzas, "forbidden") != nil,
		child(e, stanza.NSStanzas, "registration-required") != nil:
		flag = pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED
	}
	s.mu.Lock()
	delete(s.rooms, key(r.name))
	s.mu.Unlock()
	s.sink.Participant(backend.Participant{User: s.user, Room: r.name, Nickname: r.nick, Flags: flag,
		Status: pb.StatusType_STATUS_NONE, StatusMessage: stanzaErrorText(el)})
}

func statusCodes(x *stanza.Element) []string {
	if x == nil {
		return nil
	}
	var out []string
	for _, st := range x.Children() {
		if st.Local == "status" {
			out = append(out, st.Attr("code"))
		}
	}
	return out
}
