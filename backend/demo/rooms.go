package demo

import (
	"context"
	"strings"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Lobby is the demo's populated room.
const Lobby = "#lobby"

// LobbySubject is #lobby's subject until someone changes it.
const LobbySubject = "Welcome to the Spectrum 2 demo lobby"

// room is one room the user is in. Guarded by Plugin.mu.
type room struct {
	name    string // as the daemon spelled it
	nick    string // the user's own nickname
	subject string
	bots    []bot
}

type bot struct {
	nick      string
	moderator bool
}

func lobbyBots() []bot {
	return []bot{{"Ada", true}, {"Babbage", false}, {"Turing", false}}
}

func (b bot) flags() pb.ParticipantFlag {
	if b.moderator {
		return pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR
	}
	return pb.ParticipantFlag_PARTICIPANT_FLAG_NONE
}

// answerer is the bot that talks back: the first one that is not a moderator.
func (r *room) answerer() (bot, bool) {
	for _, b := range r.bots {
		if !b.moderator {
			return b, true
		}
	}
	if len(r.bots) > 0 {
		return r.bots[0], true
	}
	return bot{}, false
}

func (r *room) bot(nick string) (int, bool) {
	for i, b := range r.bots {
		if strings.EqualFold(b.nick, nick) {
			return i, true
		}
	}
	return -1, false
}

// JoinRoom answers like a network does (spec 3.12): the participants, the user's own
// participant (flag ME) last, then the subject. A nickname a bot has is a conflict.
func (p *Plugin) JoinRoom(_ context.Context, s *backend.Sink, r backend.Room) {
	rm := &room{name: r.Room, nick: r.Nickname}
	if strings.EqualFold(r.Room, Lobby) {
		rm.bots, rm.subject = lobbyBots(), LobbySubject
	}
	if _, taken := rm.bot(r.Nickname); taken {
		s.Participant(backend.Participant{User: r.User, Room: r.Room, Nickname: r.Nickname,
			Flags: pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT, Status: pb.StatusType_STATUS_ONLINE,
			StatusMessage: "Nickname is already in use"})
		return
	}
	p.mu.Lock()
	u := p.users[r.User]
	if u != nil {
		if u.rooms == nil {
			u.rooms = map[string]*room{} // most users join no room: allocated on first join
		}
		u.rooms[strings.ToLower(r.Room)] = rm
	}
	bots := append([]bot(nil), rm.bots...)
	p.mu.Unlock()
	if u == nil {
		return // not logged in: nothing to join with
	}
	for _, b := range bots {
		s.Participant(backend.Participant{User: r.User, Room: r.Room, Nickname: b.nick,
			Flags: b.flags(), Status: pb.StatusType_STATUS_ONLINE})
	}
	s.Participant(backend.Participant{User: r.User, Room: r.Room, Nickname: r.Nickname,
		Flags: pb.ParticipantFlag_PARTICIPANT_FLAG_ME, Status: pb.StatusType_STATUS_ONLINE})
	if rm.subject != "" {
		s.RoomSubject(backend.Message{User: r.User, Buddy: r.Room, Nickname: "Ada", Body: rm.subject})
	}
}

// LeaveRoom forgets the room.
func (p *Plugin) LeaveRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := p.users[r.User]; u != nil {
		delete(u.rooms, strings.ToLower(r.Room))
	}
}

// SetSubject changes the subject; the network tells everyone, the user included.
func (p *Plugin) SetSubject(_ context.Context, s *backend.Sink, m backend.Message) {
	p.withRoom(m.User, m.Buddy, func(rm *room) []func() {
		rm.subject = m.Body
		nick := rm.nick
		return []func(){func() {
			s.RoomSubject(backend.Message{User: m.User, Buddy: rm.name, Nickname: nick, Body: m.Body})
		}}
	})
}

// withRoom runs change on the user's room under the lock, then the sends it returns
// outside the lock (a send may wait for the socket).
func (p *Plugin) withRoom(user, name string, change func(*room) []func()) {
	p.mu.Lock()
	var sends []func()
	if u := p.users[user]; u != nil {
		if rm := u.rooms[strings.ToLower(name)]; rm != nil {
			sends = change(rm)
		}
	}
	p.mu.Unlock()
	for _, f := range sends {
		f()
	}
}
