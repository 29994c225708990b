package irc

import (
	"context"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// session is one logged-in user: one IRC connection in single-network mode, one per
// network in per-room mode.
type session struct {
	p        *Plugin
	sink     *backend.Sink
	user     string
	legacy   string
	password string
	ctx      context.Context
	cancel   context.CancelFunc

	mu      sync.Mutex
	nets    map[string]*network // by suffix: "" or "@host"
	pmRooms map[string]string   // lowercased nick+suffix -> room the user last PMed it from
	away    string              // AWAY text, "" when available
}

func newSession(ctx context.Context, p *Plugin, s *backend.Sink, l backend.Login) *session {
	ctx, cancel := context.WithCancel(ctx)
	return &session{
		p: p, sink: s, user: l.User, legacy: l.LegacyName, password: l.Password,
		ctx: ctx, cancel: cancel,
		nets: map[string]*network{}, pmRooms: map[string]string{},
	}
}

// logger is the session's logger, made when something is logged: one kept per session
// costs each a KB (issue 26: memory per IRC user), and the backend logs little.
func (s *session) logger() *zerolog.Logger {
	l := s.p.log.With().Str("user", s.user).Logger()
	return &l
}

// close ends every connection of the session.
func (s *session) close() { s.cancel() }

// network returns the connection for suffix, starting one to addr as nick if needed.
func (s *session) network(addr serverAddr, suffix, nick string) *network {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nets[suffix]; n != nil {
		return n
	}
	n := newNetwork(s, addr, suffix, nick)
	s.nets[suffix] = n
	s.sink.Go(n.run)
	return n
}

// dropNetwork forgets n once its connection is over.
func (s *session) dropNetwork(n *network) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nets[n.suffix] == n {
		delete(s.nets, n.suffix)
	}
}

// find returns the connection that serves a legacy name (room or contact), nil if none.
func (s *session) find(name string) *network {
	suffix := ""
	if !s.p.singleNetwork() {
		i := strings.LastIndex(name, "@")
		if i < 0 {
			return nil
		}
		suffix = strings.ToLower(name[i:])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nets[suffix]
}

// splitName splits a legacy name into its IRC part and its suffix ("" in single-network
// mode, "@host" otherwise).
func (s *session) splitName(name string) (ircName, suffix string) {
	if s.p.singleNetwork() {
		return name, ""
	}
	if i := strings.LastIndex(name, "@"); i >= 0 {
		return name[:i], strings.ToLower(name[i:])
	}
	return name, ""
}

// joinRoom joins r, connecting to the room's network first in per-room mode
// (ircnetworkplugin.cpp:239-276).
func (s *session) joinRoom(r backend.Room) {
	name := strings.ToLower(r.Room)
	channel, suffix := s.splitName(name)
	n := s.find(name)
	if n == nil && !s.p.singleNetwork() {
		addr, err := parseServer(strings.TrimPrefix(suffix, "@"))
		if err != nil || suffix == "" {
			s.refuseRoom(r, pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND, "no IRC server in room name")
			return
		}
		if !s.p.opts.allowed.Names(addr.Host) {
			// Not Spectrum 2's behaviour (it connects anywhere): without this, anyone who
			// can reach the gateway makes it connect to any host and port.
			s.logger().Warn().Str("irc", addr.String()).Msg("IRC server not in allowed_servers")
			s.refuseRoom(r, pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED, "IRC server not allowed")
			return
		}
		n = s.network(addr, suffix, r.Nickname)
	}
	if n == nil {
		return
	}
	n.join(&room{name: name, channel: channel, key: r.Password, nick: r.Nickname})
}

// refuseRoom answers a join that makes no connection.
func (s *session) refuseRoom(r backend.Room, flag pb.ParticipantFlag, text string) {
	s.sink.Participant(backend.Participant{User: s.user, Room: r.Room, Nickname: r.Nickname,
		Flags: flag, Status: pb.StatusType_STATUS_NONE, StatusMessage: text})
}

// leaveRoom parts the channel of r.
func (s *session) leaveRoom(r backend.Room) {
	name := strings.ToLower(r.Room)
	if n := s.find(name); n != nil {
		n.part(name)
	}
}

// setTopic sets the topic of the room named name.
func (s *session) setTopic(name, topic string) {
	if n := s.find(name); n != nil {
		n.setTopic(name, topic)
	}
}

// setStatus sends AWAY (or back) on every connection and remembers it for new ones.
func (s *session) setStatus(st backend.Status) {
	away := awayText(st)
	s.mu.Lock()
	s.away = away
	nets := make([]*network, 0, len(s.nets))
	for _, n := range s.nets {
		nets = append(nets, n)
	}
	s.mu.Unlock()
	for _, n := range nets {
		n.setAway(away)
	}
}

// awayText is the AWAY message for a status, "" for available.
func awayText(st backend.Status) string {
	switch st.Status {
	case pb.StatusType_STATUS_AWAY, pb.StatusType_STATUS_XA, pb.StatusType_STATUS_DND:
		if st.Message != "" {
			return st.Message
		}
		return "Away"
	}
	return ""
}

// currentAway is the AWAY text to set on a new connection.
func (s *session) currentAway() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.away
}

// rememberPM notes that the user wrote to nick from room, so that nick's answers come
// back as private messages in that room (spec 4.3: PMs arrive with pm=true and the room).
func (s *session) rememberPM(nickKey, room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pmRooms[nickKey] = room
}

// pmRoom is the room nick was last written to from, "" if none.
func (s *session) pmRoom(nickKey string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pmRooms[nickKey]
}
