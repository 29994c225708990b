package c2s

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/internal/accept"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Server accepts client connections on its listeners and runs their streams.
type Server struct {
	cfg  Config
	auth Authenticator
	log  zerolog.Logger

	cert     atomic.Pointer[tls.Certificate] // swapped by ReloadCertificate
	tlsConf  *tls.Config                     // STARTTLS
	directTC *tls.Config                     // direct TLS (XEP-0368): ALPN xmpp-client

	listeners []net.Listener
	direct    []bool // direct[i]: listeners[i] speaks TLS from the first byte

	limits     *ipLimits
	guard      *loginGuard // failed logins (loginguard.go)
	recordBufs *sync.Pool  // recordConn read buffers (idle.go)
	// appendStanza serialises one outgoing stanza; only tests replace it (panic.go).
	appendStanza func(buf []byte, el *xmpp.Element) []byte

	mu       sync.Mutex
	conns    map[*conn]struct{}
	sessions map[string]*Session // full JID -> bound session
	smIDs    map[string]*Session // XEP-0198 resumption id -> resumable session
	stopping bool
	wg       sync.WaitGroup // connection goroutines
	// idle parks the readers of quiet sessions without a goroutine (idlepoll_linux.go); nil
	// before Run, or where it is not available: each keeps a waiting goroutine then.
	idle *idlePoller
}

// New loads (or generates) the certificate and opens every listener at once, so that the
// ports are known before Run; connections wait in the backlog until Run accepts them.
func New(cfg Config, auth Authenticator) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.Domain == "" {
		return nil, errors.New("c2s: no domain configured")
	}
	if len(cfg.Addrs) == 0 && len(cfg.TLSAddrs) == 0 {
		return nil, errors.New("c2s: no listen address configured")
	}
	s := &Server{
		cfg:          cfg,
		auth:         auth,
		log:          cfg.Log.With().Str("component", "c2s").Logger(),
		limits:       newIPLimits(cfg),
		guard:        newLoginGuard(cfg, guardEntries),
		recordBufs:   newRecordBufPool(),
		appendStanza: appendClientStanza,
		conns:        make(map[*conn]struct{}),
		sessions:     make(map[string]*Session),
		smIDs:        make(map[string]*Session),
	}
	cert, err := loadCertificate(cfg)
	if err != nil {
		return nil, err
	}
	s.cert.Store(cert)
	s.tlsConf = s.newTLSConfig(nil)
	s.directTC = s.newTLSConfig([]string{"xmpp-client"})
	if !cfg.RequireEncryption {
		s.log.Warn().Msg("encryption is not required: passwords may cross the network in clear text")
	}
	if err := s.listen(); err != nil {
		s.closeListeners()
		return nil, err
	}
	return s, nil
}

func (s *Server) newTLSConfig(alpn []string) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12, // RFC 7590 section 3.1
		NextProtos: alpn,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return s.cert.Load(), nil
		},
	}
}

func (s *Server) listen() error {
	add := func(addrs []string, direct bool) error {
		for _, a := range addrs {
			l, err := net.Listen(listenNetwork(a), a)
			if err != nil {
				return fmt.Errorf("c2s: listen %s: %w", a, err)
			}
			s.listeners = append(s.listeners, l)
			s.direct = append(s.direct, direct)
		}
		return nil
	}
	if err := add(s.cfg.Addrs, false); err != nil {
		return err
	}
	return add(s.cfg.TLSAddrs, true)
}

// listenNetwork picks tcp4 or tcp6 for an address literal, so that "0.0.0.0:5222" and
// "[::]:5222" can be configured side by side (a tcp6 socket is then IPv6-only rather
// than dual-stack, which would take the IPv4 port too).
func listenNetwork(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "tcp"
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return "tcp"
	case ip.To4() != nil:
		return "tcp4"
	}
	return "tcp6"
}

func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		_ = l.Close()
	}
}

// Addrs returns the actual listening addresses: STARTTLS listeners first, in the order of
// Config.Addrs, then the direct TLS ones.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// ReloadCertificate loads the certificate again (SIGHUP). New handshakes use the new one;
// established sessions stay up. On error the old certificate stays in use.
func (s *Server) ReloadCertificate() error {
	cert, err := loadCertificate(s.cfg)
	if err != nil {
		return err
	}
	s.cert.Store(cert)
	s.log.Info().Msg("certificate reloaded")
	return nil
}

// Run accepts connections until ctx ends; then it stops accepting, sends system-shutdown
// to every stream and waits for all of them to end.
func (s *Server) Run(ctx context.Context) error {
	if p, err := newIdlePoller(); err != nil {
		s.log.Warn().Err(err).Msg("quiet sessions keep a goroutine each")
	} else {
		s.idle = p
	}
	var accepts sync.WaitGroup
	for i, l := range s.listeners {
		accepts.Add(1)
		go func() {
			defer accepts.Done()
			s.acceptLoop(ctx, l, s.direct[i])
		}()
	}
	<-ctx.Done()
	s.mu.Lock()
	s.stopping = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.closeListeners()
	accepts.Wait()
	for _, c := range conns {
		c.closeStream("system-shutdown", "the server is shutting down")
	}
	s.wg.Wait()
	s.idle.stop()
	s.endHibernated()
	return nil
}

// endHibernated ends the sessions still waiting for a resumption, so that the router
// hears of them before it stops.
func (s *Server) endHibernated() {
	s.mu.Lock()
	var hib []*Session
	for _, sess := range s.smIDs {
		hib = append(hib, sess)
	}
	s.mu.Unlock()
	for _, sess := range hib {
		sess.Close(xmpp.CondSystemShutdown, "")
	}
}

// acceptLoop serves l's connections until it is closed. An accept error (EMFILE...) is
// retried with back-off and logged once per episode, not once per failed call in a spin.
func (s *Server) acceptLoop(ctx context.Context, l net.Listener, direct bool) {
	accept.Loop(ctx, l, s.log, l.Addr().String(), func(nc net.Conn) {
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		s.handle(ctx, nc, direct)
	})
}

// handle starts serving an accepted connection; nil when the server is stopping.
func (s *Server) handle(ctx context.Context, nc net.Conn, direct bool) *conn {
	c := newConn(ctx, s, nc, direct)
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		_ = nc.Close()
		return nil
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serveContained()
	return c
}

// forget removes a finished connection.
func (s *Server) forget(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// bind registers sess under its full JID and returns the session it replaces, if any.
func (s *Server) bind(sess *Session) (old *Session) {
	key := sess.jid.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	old = s.sessions[key]
	s.sessions[key] = sess
	return old
}

// unbind removes sess unless a newer session has taken its JID.
func (s *Server) unbind(sess *Session) {
	key := sess.jid.String()
	s.mu.Lock()
	if s.sessions[key] == sess {
		delete(s.sessions, key)
	}
	s.mu.Unlock()
}
