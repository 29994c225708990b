package xmpp

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// session is one user's stream to the remote server. The stream's reader goroutine (run)
// handles what the server sends; the daemon's handlers send through the conn's queue.
// mu guards the fields below it.
type session struct {
	p      *Plugin
	sink   *backend.Sink
	user   string // the daemon's name for the user (bare JID on the gateway)
	acct   account
	log    zerolog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	c         *conn
	own       string              // our bare JID as the server bound it
	roster    map[string]*contact // by key()
	rooms     map[string]*room    // by key() of the room JID
	leaving   map[string]bool     // rooms left whose own unavailable presence has not come back (muc.go)
	asked     map[string]bool     // contacts whose subscription request waits for the user
	status    backend.Status      // the user's own presence
	photoHash *string             // SHA-1 of the user's avatar; nil: unknown

	roomIDs *roomIDs // room messages' own ids beside the room's stanza-ids (muc_extensions.go)
}

func newSession(p *Plugin, s *backend.Sink, user string, acct account) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{
		p: p, sink: s, user: user, acct: acct, ctx: ctx, cancel: cancel,
		log:    p.log.With().Str("user", user).Str("account", acct.local+"@"+acct.domain).Logger(),
		roster: map[string]*contact{}, rooms: map[string]*room{}, asked: map[string]bool{},
		roomIDs: newRoomIDs(maxRoomIDs),
	}
}

// stop ends the session without a DISCONNECTED (a LOGOUT, or a newer LOGIN).
func (s *session) stop() { s.cancel() }

// run logs in and then reads the stream until it ends. A failed login is DISCONNECTED
// with the failure's code; a stream lost later is DISCONNECTED 0, so that the daemon logs
// the user in again (spec 3.4).
func (s *session) run(sinkCtx context.Context) {
	defer s.p.forget(s)
	defer s.cancel()
	stopOnSink := context.AfterFunc(sinkCtx, s.cancel) // the daemon connection is over
	defer stopOnSink()
	c, err := connect(s.ctx, s.p.cfg, s.acct)
	if err != nil {
		if s.ctx.Err() == nil {
			code, text := failure(err)
			s.log.Info().Err(err).Stringer("code", code).Msg("login failed")
			s.sink.Disconnected(s.user, code, text)
		}
		return
	}
	s.log.Info().Str("jid", c.jid).Str("sasl", c.mech).Msg("logged in")
	s.mu.Lock()
	s.c, s.own = c, bareJID(c.jid)
	s.mu.Unlock()
	defer context.AfterFunc(s.ctx, c.shutdown)()
	s.sink.Go(func(context.Context) { c.run() })
	s.sink.Go(func(context.Context) { s.keepalive(c) })
	if s.sink.Connected(s.user) != nil {
		c.close()
		return
	}
	s.start(c)
	err = s.read(c)
	c.close()
	if s.ctx.Err() == nil {
		s.log.Info().Err(err).Msg("stream lost")
		s.sink.Disconnected(s.user, lostCode(err), lostText(err))
	}
}

// lostCode is the DISCONNECTED code for a stream that ended: a network error (the daemon
// logs the user in again), except when the server ended the stream because another
// client took the resource or the account is no longer authorized: retrying would only
// fight that client or fail again.
func lostCode(err error) pb.ConnectionError {
	var se *stanza.StreamError
	if errors.As(err, &se) {
		switch se.Condition {
		case stanza.CondConflict:
			return pb.ConnectionError_CONNECTION_ERROR_NAME_IN_USE
		case stanza.CondNotAuthorized:
			return pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED
		}
	}
	return pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR
}

// lostText is the DISCONNECTED text for a stream that ended.
func lostText(err error) string {
	var se *stanza.StreamError
	switch {
	case errors.As(err, &se):
		return "Server closed the stream: " + se.Error()
	case errors.Is(err, stanza.ErrStreamClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Server closed the connection"
	}
	return "Connection lost: " + err.Error()
}

// start asks for the roster (the initial presence follows its result, so that contacts
// arrive before their presences) and enables carbons.
func (s *session) start(c *conn) {
	s.requestRoster(c)
	carbons := stanza.New(stanza.NSClient, "iq", "type", "set").Append(stanza.New(stanza.NSCarbons, "enable"))
	c.request(carbons, s.p.cfg.ConnectTimeout, func(*stanza.Element) {})
}

// read handles the server's stanzas until the stream ends.
func (s *session) read(c *conn) error {
	for {
		el, err := c.next()
		if err != nil {
			return err
		}
		if el.Space != stanza.NSClient {
			continue // stream management and other extensions we did not enable
		}
		switch el.Local {
		case "iq":
			s.handleIQ(c, el)
		case "message":
			s.handleMessage(c, el)
		case "presence":
			s.handlePresence(el)
		}
	}
}

// keepalive pings the server (XEP-0199) when it has been quiet; an unanswered ping
// closes the stream, which read reports as a network loss.
func (s *session) keepalive(c *conn) {
	t := time.NewTicker(s.p.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-t.C:
			ping := stanza.New(stanza.NSClient, "iq", "type", "get", "to", s.acct.domain).
				Append(stanza.New(stanza.NSPing, "ping"))
			c.request(ping, s.p.cfg.PingInterval, func(reply *stanza.Element) {
				if reply == nil {
					s.log.Info().Msg("ping unanswered")
					c.close()
				}
			})
		}
	}
}

// handleIQ answers the server's requests: roster pushes, pings; others get
// service-unavailable (RFC 6120 section 8.4).
func (s *session) handleIQ(c *conn, iq *stanza.Element) {
	switch iq.Type() {
	case "result", "error":
		c.answer(iq)
		return
	case "get", "set":
	default:
		return
	}
	switch {
	case iq.Type() == "set" && iq.Child(stanza.NSRoster, "query") != nil:
		s.rosterPush(c, iq)
	case iq.Type() == "get" && iq.Child(stanza.NSPing, "ping") != nil:
		c.send(stanza.New(stanza.NSClient, "iq", "type", "result", "id", iq.ID(), "to", iq.From()))
	default:
		c.send(stanza.ErrorReply(iq, stanza.ErrTypeCancel, stanza.StanzaServiceUnavailable, ""))
	}
}

// conn returns the live stream, or nil before login and after loss.
func (s *session) conn() *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// ownJID is our bare JID as the server bound it, "" before login.
func (s *session) ownJID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.own
}

// self reports whether jid is the user's own account.
func (s *session) self(jid string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jid == "" || key(jid) == key(s.own)
}
