package xmpp

import (
	"context"
	"os"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Plugin is the XMPP network: one client stream per logged-in user. Create it with New or
// NewPlugin.
type Plugin struct {
	cfg    Config
	cfgErr error
	log    zerolog.Logger

	sessions *backend.Registry[*session]       // by user bare JID
	statuses *backend.Registry[backend.Status] // the last STATUS_CHANGED per user
}

// New builds the backend from the [xmpp] section of cfg, logging to stderr; it is the
// constructor of `spectrum2 backend xmpp`. A bad section (an unreadable CA file) makes
// every login fail with INVALID_SETTINGS instead of the process exiting.
func New(cfg *ini.File) backend.Plugin {
	if cfg == nil {
		cfg = &ini.File{}
	}
	log := zerolog.New(os.Stderr).With().Timestamp().Str("component", "xmpp").Logger()
	if v, ok := cfg.Get("logging", "level"); ok {
		if level, err := zerolog.ParseLevel(v); err == nil {
			log = log.Level(level)
		}
	} else {
		log = log.Level(zerolog.InfoLevel)
	}
	c, err := ParseConfig(cfg)
	c.MaxUsers = backend.MaxUsers(cfg)
	p := NewPlugin(c, log)
	p.cfgErr = err
	return p
}

// NewPlugin builds the backend from a parsed Config.
func NewPlugin(cfg Config, log zerolog.Logger) *Plugin {
	if cfg.roots == nil {
		if err := cfg.loadRoots(); err != nil {
			log.Error().Err(err).Msg("loading CA file")
		}
	}
	return &Plugin{cfg: cfg.withDefaults(), log: log,
		sessions: backend.NewRegistry[*session](cfg.MaxUsers),
		statuses: backend.NewRegistry[backend.Status](cfg.MaxUsers)}
}

// Features: a password is needed, rooms exist, receipts are answered (spec 1.7). Typed
// frames, not raw XML: see the package documentation. The extensions of issue 24 pass
// through (extensions.go), with the remote messages' own ids as legacy ids.
func (p *Plugin) Features() backend.Features {
	return backend.Features{NeedPassword: true, MUC: true, Receipts: true, Attachments: true,
		Markers: true, Corrections: true, Replies: true, Reactions: true, Retractions: true, MsgIDs: true}
}

// Login signs the user in to the XMPP server of its legacy JID; CONNECTED or
// DISCONNECTED follows from the session's goroutine.
func (p *Plugin) Login(_ context.Context, s *backend.Sink, l backend.Login) {
	if p.cfgErr != nil {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_INVALID_SETTINGS, p.cfgErr.Error())
		return
	}
	acct, err := parseAccount(l.LegacyName, l.Password, p.cfg.Resource)
	if err != nil {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME, err.Error())
		return
	}
	sess := newSession(p, s, l.User, acct)
	if st, ok := p.statuses.Load(l.User); ok {
		sess.status = st
	}
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

// Logout ends the user's stream politely; no DISCONNECTED follows.
func (p *Plugin) Logout(_ context.Context, _ *backend.Sink, l backend.Logout) {
	p.statuses.LoadAndDelete(l.User)
	if sess, ok := p.sessions.LoadAndDelete(l.User); ok {
		sess.stop()
	}
}

// lookup returns the user's session, or nil.
func (p *Plugin) lookup(user string) *session {
	sess, _ := p.sessions.Load(user)
	return sess
}

// forget drops sess when its stream is over, unless a newer login replaced it.
func (p *Plugin) forget(sess *session) {
	p.sessions.CompareAndDelete(sess.user, sess)
}

// The capabilities of the XMPP network.
var (
	_ backend.Messenger     = (*Plugin)(nil)
	_ backend.Typer         = (*Plugin)(nil)
	_ backend.Attender      = (*Plugin)(nil)
	_ backend.RoomHandler   = (*Plugin)(nil)
	_ backend.SubjectSetter = (*Plugin)(nil)
	_ backend.StatusSetter  = (*Plugin)(nil)
	_ backend.RosterEditor  = (*Plugin)(nil)
	_ backend.VCardProvider = (*Plugin)(nil)
	_ backend.VCardUpdater  = (*Plugin)(nil)
	_ backend.Eventer       = (*Plugin)(nil)
	_ backend.Marker        = (*Plugin)(nil)
)
