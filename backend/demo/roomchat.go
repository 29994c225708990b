package demo

import (
	"strings"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// roomMessage handles a message to a room: a command, or a line that the room echoes from
// the user's own nickname (as IRC backends do, spec 3.12) and a bot answers.
func (p *Plugin) roomMessage(s *backend.Sink, m backend.Message) {
	p.withRoom(m.User, m.Buddy, func(rm *room) []func() {
		cmd, arg, _ := strings.Cut(m.Body, " ")
		arg = strings.TrimSpace(arg)
		switch {
		case cmd == "/topic" && arg != "":
			rm.subject = arg
			return []func(){p.subjectSend(s, m.User, rm, rm.nick)}
		case cmd == "/rename" && arg != "":
			return p.renameBot(s, m.User, rm, arg)
		case cmd == "/leave":
			return p.botLeaves(s, m.User, rm)
		case cmd == "/kick":
			return p.kick(s, m.User, rm)
		}
		return p.chat(s, m, rm)
	})
}

func (p *Plugin) subjectSend(s *backend.Sink, user string, rm *room, by string) func() {
	msg := backend.Message{User: user, Buddy: rm.name, Nickname: by, Body: rm.subject}
	return func() { s.RoomSubject(msg) }
}

// chat: the network echoes the user's line from the user's own nickname with the id the
// daemon gave it (a new one without), with its correction and reply; the answering bot
// acts on a command of the extensions (roomext.go), else says what it heard as its copy
// echo-<id>, which corrects and replies as the user's line does.
func (p *Plugin) chat(s *backend.Sink, m backend.Message, rm *room) []func() {
	id := m.ID
	if id == "" {
		id = p.newID()
	}
	echo := backend.Message{User: m.User, Buddy: rm.name, Nickname: rm.nick, Body: m.Body, XHTML: m.XHTML, ID: id,
		ReplaceID: m.ReplaceID, ReplyToID: m.ReplyToID, ReplyToSender: m.ReplyToSender, ReplyFallbackEnd: m.ReplyFallbackEnd}
	sends := []func(){func() { s.Message(echo) }}
	b, ok := rm.answerer()
	if !ok {
		return sends
	}
	if cmd := p.command(s, m, sender{buddy: rm.name, nick: b.nick}, id); cmd != nil {
		return append(sends, cmd...)
	}
	reply := backend.Message{User: m.User, Buddy: rm.name, Nickname: b.nick,
		Body: rm.nick + ": you said " + m.Body, ID: echoPrefix + id}
	if m.ReplaceID != "" {
		reply.ReplaceID = echoPrefix + m.ReplaceID
	}
	if m.ReplyToID != "" {
		reply.ReplyToID, reply.ReplyToSender = m.ReplyToID, m.ReplyToSender // its body quotes nothing
	}
	return append(sends, func() { s.Message(reply) })
}

// renameBot renames the answering bot (PARTICIPANT_CHANGED with newname).
func (p *Plugin) renameBot(s *backend.Sink, user string, rm *room, newNick string) []func() {
	b, ok := rm.answerer()
	_, taken := rm.bot(newNick)
	if !ok || taken || strings.EqualFold(newNick, rm.nick) {
		return nil
	}
	i, _ := rm.bot(b.nick)
	rm.bots[i].nick = newNick
	ev := backend.Participant{User: user, Room: rm.name, Nickname: b.nick, NewName: newNick,
		Flags: b.flags(), Status: pb.StatusType_STATUS_ONLINE}
	return []func(){func() { s.Participant(ev) }}
}

// botLeaves makes the answering bot leave the room.
func (p *Plugin) botLeaves(s *backend.Sink, user string, rm *room) []func() {
	b, ok := rm.answerer()
	if !ok {
		return nil
	}
	i, _ := rm.bot(b.nick)
	rm.bots = append(rm.bots[:i], rm.bots[i+1:]...)
	ev := backend.Participant{User: user, Room: rm.name, Nickname: b.nick, Flags: b.flags(),
		Status: pb.StatusType_STATUS_NONE, StatusMessage: "Bye"}
	return []func(){func() { s.Participant(ev) }}
}

// kick removes the user from the room: its own participant with KICKED and status NONE.
func (p *Plugin) kick(s *backend.Sink, user string, rm *room) []func() {
	if u := p.users[user]; u != nil {
		delete(u.rooms, strings.ToLower(rm.name))
	}
	ev := backend.Participant{User: user, Room: rm.name, Nickname: rm.nick,
		Flags:  pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED,
		Status: pb.StatusType_STATUS_NONE, StatusMessage: "You asked for it"}
	return []func(){func() { s.Participant(ev) }}
}

// privateMessage: a bot answers a private message in private (CONV_MESSAGE with the room
// as buddy, the bot as nickname and pm set, spec 3.10).
func (p *Plugin) privateMessage(s *backend.Sink, m backend.Message, roomName, nick string) {
	p.withRoom(m.User, roomName, func(rm *room) []func() {
		i, ok := rm.bot(nick)
		if !ok {
			return nil
		}
		reply := backend.Message{User: m.User, Buddy: rm.name, Nickname: rm.bots[i].nick, PM: true,
			Body: "you said privately: " + m.Body}
		return []func(){func() { s.Message(reply) }}
	})
}
