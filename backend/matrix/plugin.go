package matrix

import (
	"context"
	"os"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Plugin is the Matrix network: one client (and one /sync loop) per logged-in user.
type Plugin struct {
	cfg      Config
	cfgErr   error
	log      zerolog.Logger
	sessions *backend.Registry[*session] // by user bare JID
}

// New builds the backend from the [matrix] section of cfg, logging to stderr; it is the
// constructor of `spectrum2 backend matrix`. A bad section makes every login fail with
// INVALID_SETTINGS instead of the process exiting.
func New(cfg *ini.File) backend.Plugin {
	if cfg == nil {
		cfg = &ini.File{}
	}
	log := zerolog.New(os.Stderr).With().Timestamp().Str("component", "matrix").Logger().Level(zerolog.InfoLevel)
	if v, ok := cfg.Get("logging", "level"); ok {
		if level, err := zerolog.ParseLevel(v); err == nil {
			log = log.Level(level)
		}
	}
	c, err := ParseConfig(cfg)
	c.MaxUsers = backend.MaxUsers(cfg)
	p := NewPlugin(c, log)
	p.cfgErr = err
	return p
}

// NewPlugin builds the backend from a parsed Config.
func NewPlugin(cfg Config, log zerolog.Logger) *Plugin {
	return &Plugin{cfg: cfg.withDefaults(), log: log, sessions: backend.NewRegistry[*session](cfg.MaxUsers)}
}

// Features: a password is needed; rooms are group chats; a message that asks for a
// receipt is acknowledged once the contact's read receipt covers it, and the user's read
// markers become read receipts (chatstate.go) and the contact's read receipts markers;
// edits, replies, reactions and redactions map to the XEPs of issue 24 in direct chats
// (extensions.go), with event IDs as legacy ids.
func (p *Plugin) Features() backend.Features {
	return backend.Features{NeedPassword: true, MUC: true, Receipts: true, Markers: true, Attachments: true,
		Corrections: true, Replies: true, Reactions: true, Retractions: true, MsgIDs: true}
}

// Login signs the user in to its homeserver; CONNECTED or DISCONNECTED follows from the
// session's goroutine.
func (p *Plugin) Login(_ context.Context, s *backend.Sink, l backend.Login) {
	if p.cfgErr != nil {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_INVALID_SETTINGS, p.cfgErr.Error())
		return
	}
	acct, err := parseAccount(l.LegacyName)
	if err != nil {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME, err.Error())
		return
	}
	sess := newSession(p, s, l.User, acct, l.Password)
	old, _, err := p.sessions.Swap(l.User, sess)
	if err != nil {
		sess.stop()
		p.log.Warn().Err(err).Str("user", l.User).Msg("login refused")
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR, err.Error())
		return
	}
	if old != nil {
		old.stop()
	}
	s.Go(sess.run)
}

// Logout ends the user's session, which logs its access token out; no DISCONNECTED follows.
func (p *Plugin) Logout(_ context.Context, _ *backend.Sink, l backend.Logout) {
	if sess, ok := p.sessions.LoadAndDelete(l.User); ok {
		sess.stop()
	}
}

// Message queues the user's message for the contact's direct-message room.
func (p *Plugin) Message(_ context.Context, s *backend.Sink, m backend.Message) {
	sess, ok := p.sessions.Load(m.User)
	if !ok {
		return
	}
	sess.queue(m)
}

func (p *Plugin) forget(sess *session) { p.sessions.CompareAndDelete(sess.user, sess) }

var (
	_ backend.Messenger     = (*Plugin)(nil)
	_ backend.RoomHandler   = (*Plugin)(nil)
	_ backend.SubjectSetter = (*Plugin)(nil)
)
