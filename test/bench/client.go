package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxElement bounds one element read by the generator: a 10,000-contact roster result is
// about 1 MB.
const maxElement = 32 << 20

// Account is who logs in and where.
type Account struct {
	Addr     string // host:port of the STARTTLS listener
	Domain   string // stream 'to'
	User     string // SASL authcid (localpart of the bare JID)
	Password string
	Resource string
	// SM enables stream management with resumption (XEP-0198) right after bind.
	SM bool
}

// Phases are the durations of the steps of one login.
type Phases struct {
	Connect, StartTLS, TLS, SASL, Bind, Roster, Total time.Duration // Bind includes <enable/>
}

// Session is one logged-in client stream.
type Session struct {
	conn    net.Conn
	tcp     net.Conn // the socket under TLS, closed by Drop
	sc      *Scanner
	acct    Account // for Resume
	JID     string  // full JID bound by the server
	Roster  int     // items in the roster result and pushes counted so far
	Version uint16  // negotiated TLS version
	Curve   tls.CurveID

	wmu       sync.Mutex
	closing   atomic.Bool
	onMessage atomic.Pointer[func(s *Session, el []byte)]
	sm        smClient
}

// ErrLogin is wrapped by every error about a login the server refused or garbled.
var ErrLogin = errors.New("login failed")

const streamHeader = "<?xml version='1.0'?><stream:stream to='%s' xmlns='jabber:client' " +
	"xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"

// Login performs a complete login: TCP, STARTTLS, a full TLS handshake with cfg, SASL PLAIN,
// bind, roster get and initial presence. wantRoster > 0 keeps reading roster pushes until
// that many distinct items arrived (for rosters a server sends in pieces).
func Login(ctx context.Context, a Account, cfg *tls.Config, wantRoster int) (*Session, Phases, error) {
	var ph Phases
	start := time.Now()
	mark := func(d *time.Duration) {
		now := time.Now()
		*d = now.Sub(start) - ph.sum()
	}
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return nil, ph, fmt.Errorf("dialing %s: %w", a.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	mark(&ph.Connect)
	s := &Session{conn: conn, tcp: conn, sc: NewScanner(conn, maxElement), acct: a}
	if err := s.login(ctx, a, cfg, wantRoster, mark, &ph); err != nil {
		conn.Close()
		return nil, ph, err
	}
	_ = s.conn.SetDeadline(time.Time{})
	ph.Total = time.Since(start)
	return s, ph, nil
}

func (p *Phases) sum() time.Duration {
	return p.Connect + p.StartTLS + p.TLS + p.SASL + p.Bind + p.Roster
}

func (s *Session) login(ctx context.Context, a Account, cfg *tls.Config, wantRoster int,
	mark func(*time.Duration), ph *Phases) error {
	if err := s.startTLS(ctx, a, cfg); err != nil {
		return err
	}
	mark(&ph.StartTLS)
	if err := s.handshake(ctx, cfg); err != nil {
		return err
	}
	mark(&ph.TLS)
	if err := s.auth(a); err != nil {
		return err
	}
	mark(&ph.SASL)
	if err := s.bind(a); err != nil {
		return err
	}
	if a.SM {
		if err := s.enableSM(); err != nil {
			return err
		}
	}
	mark(&ph.Bind)
	if err := s.roster(wantRoster); err != nil {
		return err
	}
	mark(&ph.Roster)
	return nil
}

// open sends a stream header and reads the server's header and features.
func (s *Session) open(domain string) ([]byte, error) {
	s.sc.Reset()
	if err := s.Send(fmt.Appendf(nil, streamHeader, domain)); err != nil {
		return nil, err
	}
	k, _, err := s.sc.Next()
	if err != nil {
		return nil, err
	}
	if k != StreamStart {
		return nil, fmt.Errorf("%w: no stream header", ErrLogin)
	}
	return s.expect("stream:features")
}

// expect reads the next top-level element and fails unless it is called name.
func (s *Session) expect(name string) ([]byte, error) {
	k, el, err := s.sc.Next()
	if err != nil {
		return nil, err
	}
	if k != Element || string(Name(el)) != name {
		return nil, fmt.Errorf("%w: want <%s>, got %.200q", ErrLogin, name, el)
	}
	return el, nil
}

func (s *Session) startTLS(ctx context.Context, a Account, cfg *tls.Config) error {
	f, err := s.open(a.Domain)
	if err != nil {
		return err
	}
	if !bytes.Contains(f, []byte("<starttls")) {
		return fmt.Errorf("%w: no STARTTLS offered", ErrLogin)
	}
	if err := s.Send([]byte("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")); err != nil {
		return err
	}
	_, err = s.expect("proceed")
	return err
}

func (s *Session) handshake(ctx context.Context, cfg *tls.Config) error {
	tc := tls.Client(s.conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	st := tc.ConnectionState()
	s.Version, s.Curve = st.Version, st.CurveID
	s.conn = tc
	s.sc = NewScanner(tc, maxElement)
	return nil
}

func (s *Session) auth(a Account) error {
	f, err := s.open(a.Domain)
	if err != nil {
		return err
	}
	if !bytes.Contains(f, []byte(">PLAIN<")) {
		return fmt.Errorf("%w: PLAIN not offered", ErrLogin)
	}
	cred := base64.StdEncoding.EncodeToString([]byte("\x00" + a.User + "\x00" + a.Password))
	if err := s.Send([]byte("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + cred + "</auth>")); err != nil {
		return err
	}
	_, err = s.expect("success")
	return err
}

func (s *Session) bind(a Account) error {
	if _, err := s.open(a.Domain); err != nil {
		return err
	}
	req := "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
		a.Resource + "</resource></bind></iq>"
	if err := s.Send([]byte(req)); err != nil {
		return err
	}
	el, err := s.await("bind")
	if err != nil {
		return err
	}
	if s.JID = string(Text(el, "jid")); s.JID == "" {
		return fmt.Errorf("%w: bind result without a JID", ErrLogin)
	}
	return nil
}

// await reads until the iq result with id arrives, answering server iqs on the way.
func (s *Session) await(id string) ([]byte, error) {
	for {
		el, err := s.expectStanza()
		if err != nil {
			return nil, err
		}
		if string(Name(el)) == "iq" && string(Attr(el, "id")) == id {
			if string(Attr(el, "type")) != "result" {
				return nil, fmt.Errorf("%w: iq %s: %.200q", ErrLogin, id, el)
			}
			return el, nil
		}
		s.handle(el)
	}
}

func (s *Session) expectStanza() ([]byte, error) {
	k, el, err := s.sc.Next()
	if err != nil {
		return nil, err
	}
	if k != Element {
		return nil, fmt.Errorf("%w: stream closed: %.200q", ErrLogin, el)
	}
	if string(Name(el)) == "stream:error" {
		return nil, fmt.Errorf("%w: stream error: %.300q", ErrLogin, el)
	}
	s.sm.count(el)
	return el, nil
}

// roster fetches the roster, sends the initial presence and, when want > 0, waits for pushes until want items arrived.
func (s *Session) roster(want int) error {
	// The initial presence goes with the roster get in one write: a client may pipeline
	// stanzas, and it spares the generator a syscall per login.
	if err := s.SendStanzas([]byte("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq><presence/>"), 2); err != nil {
		return err
	}
	seen := map[string]struct{}{}
	el, err := s.await("roster")
	if err != nil {
		return err
	}
	countItems(el, seen)
	for len(seen) < want {
		el, err := s.expectStanza()
		if err != nil {
			return err
		}
		if string(Name(el)) == "iq" && bytes.Contains(el, []byte("jabber:iq:roster")) {
			countItems(el, seen)
		}
		s.handle(el)
	}
	s.Roster = len(seen)
	return nil
}

// countItems adds the JIDs of the roster items in el to seen.
func countItems(el []byte, seen map[string]struct{}) {
	for {
		i := bytes.Index(el, []byte("<item "))
		if i < 0 {
			return
		}
		el = el[i:]
		if j := Attr(el, "jid"); j != nil {
			seen[string(j)] = struct{}{}
		}
		el = el[6:]
	}
}

// Send writes raw XML; it is safe from any goroutine.
func (s *Session) Send(b []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if _, err := s.conn.Write(b); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// OnMessage sets the function the reader loop calls for every <message/>.
func (s *Session) OnMessage(f func(s *Session, el []byte)) { s.onMessage.Store(&f) }

// Serve reads until the stream ends: it answers server iqs (XEP-0199 pings) and stream
// management ack requests, and hands messages to the OnMessage function. It returns nil
// when Close or Drop ended the stream.
func (s *Session) Serve() error {
	for {
		k, el, err := s.sc.Next()
		if s.closing.Load() {
			return nil
		}
		if err != nil {
			if s.sm.dropped.Load() {
				return nil
			}
			return err
		}
		if k != Element || string(Name(el)) == "stream:error" {
			if s.sm.dropped.Load() {
				return nil
			}
			return fmt.Errorf("stream closed by the server: %.300q", el)
		}
		// Counted right before it is handled: h covers exactly what the client saw,
		// also for elements still buffered when the socket was dropped.
		s.sm.count(el)
		s.handle(el)
	}
}

// handle reacts to a stanza outside the login sequence.
func (s *Session) handle(el []byte) {
	switch string(Name(el)) {
	case "iq":
		t := string(Attr(el, "type"))
		if t == "get" || t == "set" {
			reply := fmt.Sprintf("<iq type='result' id='%s'", Attr(el, "id"))
			if from := Attr(el, "from"); from != nil {
				reply += fmt.Sprintf(" to='%s'", from)
			}
			_ = s.SendStanzas([]byte(reply+"/>"), 1)
		}
	case "message":
		if f := s.onMessage.Load(); f != nil {
			(*f)(s, el)
		}
	case "r":
		s.answerAckRequest()
	}
}

// Close ends the stream politely and closes the connection.
func (s *Session) Close() {
	s.closing.Store(true)
	_ = s.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = s.Send([]byte("</stream:stream>"))
	_ = s.conn.Close()
}

// Bare is the session's bare JID.
func (s *Session) Bare() string {
	b, _, _ := strings.Cut(s.JID, "/")
	return b
}
