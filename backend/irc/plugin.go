package irc

import (
	"context"
	"os"
	"strings"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Plugin is the IRC network. Create it with New or NewPlugin.
type Plugin struct {
	opts   options
	optErr error
	log    zerolog.Logger

	users *backend.Registry[*session] // by user bare JID
	next  atomic.Uint64               // round-robin index into opts.servers
	gates gates                       // connections registering, per server (gate.go)
}

// New builds the IRC backend from the service.irc_* keys of cfg, logging to stderr; it is
// the constructor registered as `builtin:irc`. A bad option is reported to every LOGIN
// as DISCONNECTED INVALID_SETTINGS. It holds at most backend.MaxUsers(cfg) users.
func New(cfg *ini.File) backend.Plugin {
	log := zerolog.New(os.Stderr).Level(zerolog.InfoLevel).With().Timestamp().Str("component", "irc").Logger()
	return NewPlugin(cfg, log)
}

// NewPlugin is New with an explicit logger.
func NewPlugin(cfg *ini.File, log zerolog.Logger) *Plugin {
	if cfg == nil {
		cfg = &ini.File{}
	}
	opts, err := readOptions(cfg)
	if err != nil {
		log.Error().Err(err).Msg("bad IRC options")
	}
	return &Plugin{opts: opts, optErr: err, log: log, users: backend.NewRegistry[*session](backend.MaxUsers(cfg))}
}

// Features announces what libcommuni announces (spec 4.3): a password may be given, rooms
// exist, and JIDs are not escaped; and the IRCv3 tags of issue 24 (ircv3.go): replies,
// reactions and msgids, with this backend's own fallback on a server without tags.
func (p *Plugin) Features() backend.Features {
	return backend.Features{NeedPassword: true, MUC: true, DisableJIDEscaping: true,
		Replies: true, Reactions: true, MsgIDs: true}
}

// singleNetwork tells the mode: irc_server configured (spec 4.3).
func (p *Plugin) singleNetwork() bool { return len(p.opts.servers) > 0 }

// Login starts a session. In single-network mode it connects now and CONNECTED follows
// RPL_WELCOME; in per-room mode it answers CONNECTED at once (ircnetworkplugin.cpp:129-146).
func (p *Plugin) Login(ctx context.Context, s *backend.Sink, l backend.Login) {
	if p.optErr != nil {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_INVALID_SETTINGS, p.optErr.Error())
		return
	}
	ses := newSession(ctx, p, s, l)
	old, _, err := p.users.Swap(l.User, ses)
	if err != nil {
		ses.close()
		p.log.Warn().Err(err).Str("user", l.User).Msg("login refused")
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR, err.Error())
		return
	}
	if old != nil {
		old.close()
	}
	if !p.singleNetwork() {
		s.Connected(l.User)
		return
	}
	addr := p.opts.servers[p.next.Load()%uint64(len(p.opts.servers))]
	ses.network(addr, "", l.LegacyName)
}

// Logout ends the user's IRC connections. Spectrum 2's libcommuni backend answered with
// DISCONNECTED code 0 in single-network mode (golden libcommuni.jsonl); no answer is
// expected for LOGOUT, and a code 0 could make the daemon log the user in again, so this
// backend sends none.
func (p *Plugin) Logout(_ context.Context, _ *backend.Sink, l backend.Logout) {
	if ses, ok := p.users.LoadAndDelete(l.User); ok {
		ses.close()
	}
}

// session returns the user's session, nil when the user is not logged in.
func (p *Plugin) session(user string) *session {
	ses, _ := p.users.Load(user)
	return ses
}

// lost forgets ses after its single-network connection ended and moves on to the next
// configured server, so that the daemon's re-login tries it (spec 4.3: round-robin).
func (p *Plugin) lost(ses *session) {
	p.users.CompareAndDelete(ses.user, ses)
	p.next.Add(1)
}

// JoinRoom joins an IRC channel, connecting to its network first in per-room mode.
func (p *Plugin) JoinRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	if ses := p.session(r.User); ses != nil {
		ses.joinRoom(r)
	}
}

// LeaveRoom parts an IRC channel.
func (p *Plugin) LeaveRoom(_ context.Context, _ *backend.Sink, r backend.Room) {
	if ses := p.session(r.User); ses != nil {
		ses.leaveRoom(r)
	}
}

// Message sends the user's message to a channel or a nick, or runs a command.
func (p *Plugin) Message(_ context.Context, _ *backend.Sink, m backend.Message) {
	if ses := p.session(m.User); ses != nil {
		ses.message(m)
	}
}

// Event sends the user's reactions to a contact or in a channel (ircv3.go).
func (p *Plugin) Event(_ context.Context, _ *backend.Sink, e backend.Event) {
	ses := p.session(e.User)
	if ses == nil {
		return
	}
	if strings.Contains(e.Buddy, "/") {
		ses.logger().Debug().Msg("reaction in a private room chat dropped: not carried")
		return
	}
	if isRoom(e.Buddy) {
		name := strings.ToLower(e.Buddy)
		if n := ses.find(name); n != nil {
			n.mu.Lock()
			r := n.rooms[name]
			n.mu.Unlock()
			if r != nil {
				n.roomEvent(r, e)
				return
			}
		}
		ses.logger().Debug().Msg("reaction for a room we are not in")
		return
	}
	n := ses.find(strings.ToLower(e.Buddy))
	if n == nil {
		ses.logger().Debug().Msg("reaction for a network we are not connected to")
		return
	}
	nick, _ := ses.splitName(e.Buddy)
	n.event(nick, e)
}

// isRoom reports whether a legacy name is a channel (spec 3.6: '#').
func isRoom(name string) bool { return strings.HasPrefix(name, "#") }

// SetSubject sets a channel's topic.
func (p *Plugin) SetSubject(_ context.Context, _ *backend.Sink, m backend.Message) {
	if ses := p.session(m.User); ses != nil {
		ses.setTopic(strings.ToLower(m.Buddy), m.Body)
	}
}

// SetStatus maps the user's presence to IRC AWAY.
func (p *Plugin) SetStatus(_ context.Context, _ *backend.Sink, st backend.Status) {
	if ses := p.session(st.User); ses != nil {
		ses.setStatus(st)
	}
}
