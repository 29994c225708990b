package irc

import (
	"context"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/lrstanley/girc"
	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend/allow"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// outQueue bounds what one connection may have waiting for girc's flood protection.
const outQueue = 1024

// network is one IRC connection of a session.
type network struct {
	s      *session
	addr   serverAddr
	suffix string // "" in single-network mode, "@host" in per-room mode
	ctx    context.Context
	cancel context.CancelFunc
	client *girc.Client

	// The send queue: a slice rather than a channel of outQueue, which would cost 8 KB
	// per connection up front; its writer goroutine runs only while it has something to
	// send (issue 26: memory per IRC user).
	outMu   sync.Mutex
	out     []*girc.Event
	up      bool // the socket is up (INITIALIZED), and not yet DISCONNECTED
	writing bool // a writer goroutine is draining out

	mu       sync.Mutex
	nick     string           // our current nickname
	welcomed bool             // RPL_WELCOME seen
	rooms    map[string]*room // by legacy room name
	whois    map[string]*whoisReply
	failure  *failure // why the network refused us, if it said so
	tagState tagState // ids and reactions of the IRCv3 tags (ircv3.go)

	ungate    sync.Once   // frees the registration slot (gate.go) at RPL_WELCOME or the end
	stopClose func() bool // undoes initialized's close at the session's end; girc's goroutine only
}

// failure is a login refusal reported by the network (wrong password etc.).
type failure struct {
	code pb.ConnectionError
	text string
}

func newNetwork(s *session, addr serverAddr, suffix, nick string) *network {
	ctx, cancel := context.WithCancel(s.ctx)
	n := &network{
		s: s, addr: addr, suffix: suffix, ctx: ctx, cancel: cancel, nick: nick,
		rooms: map[string]*room{}, whois: map[string]*whoisReply{}, tagState: newTagState(),
	}
	n.client = girc.New(n.config(nick))
	// One handler for everything, INITIALIZED and DISCONNECTED too (events.go): each
	// registration costs a client some 400 bytes of maps.
	n.client.Handlers.Add(girc.ALL_EVENTS, n.handle)
	return n
}

// config is girc's configuration: TLS with verification, SASL PLAIN (offered to servers
// that announce it) or PASS as configured, flood protection on.
func (n *network) config(nick string) girc.Config {
	o := n.s.p.opts
	c := girc.Config{
		Server: n.addr.Host, Port: n.addr.Port, Nick: nick, User: ident(nick), Name: nick,
		SSL: n.addr.TLS, DisableAutoWHOOnJoin: true, DisableAutoMODEOnJoin: true,
		// Our own room state (rooms.go) is what we report; girc's copy of every member
		// would cost each connection some 1.7 KB per member (issue 26).
		TrackSelfOnly: true,
		DisableSTS:    true, Version: "Spectrum 2 IRC gateway",
		HandleNickCollide: n.nickCollide,
		// girc asks for message-tags and server-time itself; echo-message tells the msgid
		// of the user's own messages (ircv3.go).
		SupportedCaps: map[string][]string{"echo-message": nil},
	}
	if n.addr.TLS {
		tc := o.tls.Clone()
		tc.ServerName = n.addr.Host
		c.TLSConfig = tc
	}
	if pw := n.s.password; pw != "" {
		if o.sendPass {
			c.ServerPass = pw
		} else {
			c.SASL = &girc.SASLPlain{User: n.s.legacy, Pass: pw}
		}
	}
	return c
}

// ident is a valid IRC user name derived from the nickname.
func ident(nick string) string {
	var b strings.Builder
	for _, r := range nick {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "spectrum"
	}
	return b.String()
}

// nickCollide picks the alternative nick while registering (spec 4.3: nick + "_"); once
// registered, a refused /nick simply keeps the old nick.
func (n *network) nickCollide(old string) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.welcomed {
		return ""
	}
	n.nick = old + "_"
	return n.nick
}

// dialer makes girc's dial end with the session, and refuses addresses allowed_servers does
// not allow in per-room mode (irc_server is the administrator's own choice).
type dialer struct {
	ctx context.Context
	nd  *net.Dialer
}

func (d dialer) Dial(network, address string) (net.Conn, error) {
	return d.nd.DialContext(d.ctx, network, address)
}

// dialer is the dialer of this connection.
func (n *network) dialer() dialer {
	nd := net.Dialer{Timeout: 20 * time.Second}
	if n.suffix == "" {
		return dialer{n.ctx, &nd}
	}
	return dialer{n.ctx, n.s.p.opts.allowed.Dialer(nd, n.addr.Host)}
}

// logger is the connection's logger, made when something is logged: one kept for the
// connection's life would cost it a KB (issue 26: memory per IRC user).
func (n *network) logger() *zerolog.Logger {
	l := n.s.logger().With().Str("irc", n.addr.String()).Logger()
	return &l
}

// run connects and serves the connection until it ends, then reports the end.
func (n *network) run(context.Context) {
	if !n.s.p.gates.acquire(n.ctx, n.addr.String()) {
		n.cancel()
		n.s.dropNetwork(n)
		n.logger().Info().Msg("logged out")
		return
	}
	n.logger().Info().Msg("connecting")
	err := n.client.DialerConnect(n.dialer())
	n.registered()
	n.cancel()
	n.s.dropNetwork(n)
	if n.s.ctx.Err() != nil {
		n.logger().Info().Msg("logged out")
		return
	}
	reason := "Connection closed"
	switch {
	case allow.IsRefused(err):
		n.logger().Warn().Err(err).Msg("IRC server refused by allowed_servers")
		reason = "IRC server not allowed"
	case err != nil:
		reason = err.Error()
	}
	n.logger().Info().Str("reason", reason).Msg("IRC connection lost")
	// Reported at once, as libcommuni does: the router spaces out its re-logins (2, 5 and
	// 10 s) so that an IRC server restarting has time to come back.
	n.reportLost(reason)
}

// registered frees the connection's registration slot, once: at RPL_WELCOME or when the
// connection ends before it.
func (n *network) registered() {
	n.ungate.Do(func() { n.s.p.gates.release(n.addr.String()) })
}

// initialized runs once the socket is up: from now on Close works, and the writer may
// feed girc. Both end with the connection; the session's end closes it without a
// goroutine waiting for it.
func (n *network) initialized(c *girc.Client) {
	n.stopClose = context.AfterFunc(n.ctx, c.Close)
	n.outMu.Lock()
	n.up = true
	n.startWriter()
	n.outMu.Unlock()
}

// disconnected runs when the socket is gone (after initialized, on Connect's goroutine):
// the queue is dropped and the writer stops.
func (n *network) disconnected() {
	if n.stopClose != nil {
		n.stopClose()
	}
	n.outMu.Lock()
	n.up, n.out = false, nil
	n.outMu.Unlock()
}

// startWriter starts the writer if there is something to send and none runs; under outMu.
// The connection's run goroutine is still counted by the sink while up is true.
func (n *network) startWriter() {
	if n.up && !n.writing && len(n.out) > 0 {
		n.writing = true
		n.s.sink.Go(func(context.Context) { n.writer(n.client) })
	}
}

// writer sends queued events through girc, whose flood protection may sleep; so it runs
// here rather than on the daemon's reader goroutine. It ends when the queue is empty.
func (n *network) writer(c *girc.Client) {
	for {
		n.outMu.Lock()
		if !n.up || len(n.out) == 0 || n.ctx.Err() != nil {
			n.writing = false
			n.outMu.Unlock()
			return
		}
		ev := n.out[0]
		n.out[0] = nil
		n.out = n.out[1:]
		if len(n.out) == 0 {
			n.out = nil // let the backing array go
		}
		n.outMu.Unlock()
		c.Send(ev)
	}
}

// send queues an IRC command; a full queue drops it (the network is not keeping up).
func (n *network) send(cmd string, params ...string) {
	n.queue(&girc.Event{Command: cmd, Params: params})
}

// reportLost tells the daemon the connection is gone (spec 4.3): DISCONNECTED in single-
// network mode (code 0 so that the daemon logs the user in again, unless the network
// refused the login), ROOM_NOT_FOUND for each channel in per-room mode.
func (n *network) reportLost(reason string) {
	n.mu.Lock()
	f := n.failure
	rooms := make([]*room, 0, len(n.rooms))
	for _, r := range n.rooms {
		rooms = append(rooms, r)
	}
	n.mu.Unlock()
	if n.s.p.singleNetwork() {
		n.s.p.lost(n.s)
		n.s.cancel()
		if f != nil {
			n.s.sink.Disconnected(n.s.user, f.code, f.text)
			return
		}
		n.s.sink.Disconnected(n.s.user, pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR, reason)
		return
	}
	flag, text := pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND, reason
	if f != nil {
		flag, text = pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED, f.text
	}
	for _, r := range rooms {
		n.selfError(r, flag, text)
	}
}

// refuse records why the network refused the login and closes the connection.
func (n *network) refuse(code pb.ConnectionError, text string) {
	n.mu.Lock()
	if n.failure == nil {
		n.failure = &failure{code: code, text: text}
	}
	n.mu.Unlock()
	n.s.logger().Info().Str("reason", text).Msg("IRC network refused login")
	n.cancel()
}
