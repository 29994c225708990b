package c2s

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

const testDomain = "example.test"

// TestMain checks that no goroutine survives the closed sessions. go-xmpp's Close leaves
// a timer goroutine of its own behind for 10 s; it is not ours.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreTopFunction("github.com/xmppo/go-xmpp.(*Client).Close.func1"))
}

// testAuth is the Authenticator of the tests: users and passwords in a map.
type testAuth struct {
	mu       sync.Mutex
	users    map[string]string
	block    bool          // wait for ctx instead of answering
	blocked  chan struct{} // a blocking Authenticate has started waiting
	canceled chan error
	binds    chan *Session
	released chan string
	handler  *testHandler
	bindErr  error
	attempts []string // the passwords seen, to prove they are handled only here
}

func newTestAuth() *testAuth {
	return &testAuth{
		users:    map[string]string{"alice": "secret", "bob": "hunter2"},
		binds:    make(chan *Session, 16),
		released: make(chan string, 16),
		blocked:  make(chan struct{}, 16),
		canceled: make(chan error, 16),
		handler: &testHandler{stanzas: make(chan *xmpp.Element, 100), closed: make(chan struct{}, 16),
			lost: make(chan []*xmpp.Element, 16)},
	}
}

func (a *testAuth) Authenticate(ctx context.Context, user jid.JID, password string) (Grant, error) {
	a.mu.Lock()
	a.attempts = append(a.attempts, password)
	block, want, ok := a.block, "", false
	want, ok = a.users[user.Localpart()]
	a.mu.Unlock()
	if block {
		select {
		case a.blocked <- struct{}{}:
		default:
		}
		<-ctx.Done()
		a.canceled <- ctx.Err()
		return nil, ctx.Err()
	}
	if !ok || want != password {
		return nil, &AuthError{Condition: "not-authorized", Text: "wrong password"}
	}
	return &testGrant{a: a, user: user.String()}, nil
}

type testGrant struct {
	a    *testAuth
	user string
}

func (g *testGrant) Bind(s *Session) (SessionHandler, error) {
	if g.a.bindErr != nil {
		return nil, g.a.bindErr
	}
	g.a.binds <- s
	return g.a.handler, nil
}

func (g *testGrant) Release() { g.a.released <- g.user }

type testHandler struct {
	stanzas chan *xmpp.Element
	closed  chan struct{}
	lost    chan []*xmpp.Element // the undelivered stanzas of each Closed call
}

func (h *testHandler) HandleStanza(el *xmpp.Element) { h.stanzas <- el }
func (h *testHandler) Closed(undelivered []*xmpp.Element) {
	select {
	case h.lost <- undelivered:
	default: // tests that do not look at undelivered stanzas
	}
	h.closed <- struct{}{}
}

// testServer runs a Server on 127.0.0.1 port 0 until the test ends.
func testServer(t *testing.T, a *testAuth, edit func(*Config)) *Server {
	t.Helper()
	cfg := Config{
		Domain:            testDomain,
		Addrs:             []string{"127.0.0.1:0"},
		TLSAddrs:          []string{"127.0.0.1:0"},
		DataDir:           t.TempDir(),
		RequireEncryption: true,
		Log:               zerolog.New(io.Discard),
	}
	if testing.Verbose() {
		cfg.Log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.DebugLevel)
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg, a)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

func (s *Server) startTLSAddr() string { return s.Addrs()[0].String() }
func (s *Server) directTLSAddr() string {
	return s.Addrs()[len(s.cfg.Addrs)].String()
}

// certPool trusts the server's current certificate.
func (s *Server) certPool(t *testing.T) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	leaf, err := x509.ParseCertificate(s.cert.Load().Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool.AddCert(leaf)
	return pool
}

// rawClient speaks XMPP by hand, for the conformance tests.
type rawClient struct {
	t   *testing.T
	c   net.Conn
	buf []byte
	srv *Server
}

func dialRaw(t *testing.T, s *Server) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", s.startTLSAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawClient{t: t, c: c, srv: s}
}

func (r *rawClient) send(s string) {
	r.t.Helper()
	_ = r.c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(r.c, s); err != nil {
		r.t.Fatalf("send: %v", err)
	}
}

// expect reads until want has arrived and returns what was read up to it.
func (r *rawClient) expect(want string) string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	var b [4096]byte
	for {
		if i := bytes.Index(r.buf, []byte(want)); i >= 0 {
			got := string(r.buf[:i+len(want)])
			r.buf = r.buf[i+len(want):]
			return got
		}
		n, err := r.c.Read(b[:])
		r.buf = append(r.buf, b[:n]...)
		if err != nil {
			r.t.Fatalf("waiting for %q: %v; got %q", want, err, r.buf)
		}
	}
}

// readAll reads until the server closes the connection.
func (r *rawClient) readAll() string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	rest, err := io.ReadAll(r.c)
	if err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		r.t.Fatalf("read: %v (got %q)", err, rest)
	}
	out := string(r.buf) + string(rest)
	r.buf = nil
	return out
}

func isReset(err error) bool { return err != nil && strings.Contains(err.Error(), "reset") }

// expectStreamError asserts that the stream ends with the given stream error condition,
// then closes the connection as a client does after the server's </stream:stream>.
func (r *rawClient) expectStreamError(cond string) string {
	r.t.Helper()
	got := r.expect("</stream:stream>")
	want := `<stream:error><` + cond + ` xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>`
	if !strings.Contains(got, want) || !strings.HasSuffix(got, "</stream:error></stream:stream>") {
		r.t.Fatalf("want stream error %s then </stream:stream>, got %q", cond, got)
	}
	_ = r.c.Close()
	return got
}

func header(to string) string {
	return `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='` + to + `' version='1.0'>`
}

// open sends a stream header and returns the features.
func (r *rawClient) open() string {
	r.t.Helper()
	r.send(header(testDomain))
	return r.expect("</stream:features>")
}

func (r *rawClient) startTLS() {
	r.t.Helper()
	r.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`)
	r.expect(`<proceed xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>`)
	tc := tls.Client(r.c, &tls.Config{ServerName: testDomain, RootCAs: r.srv.certPool(r.t), MinVersion: tls.VersionTLS12})
	_ = tc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := tc.Handshake(); err != nil {
		r.t.Fatalf("TLS handshake: %v", err)
	}
	_ = tc.SetDeadline(time.Time{})
	r.c = tc
}

// secure opens the stream and upgrades it to TLS, returning the features after TLS.
func (r *rawClient) secure() string {
	r.t.Helper()
	r.open()
	r.startTLS()
	return r.open()
}

func plain(authzid, authcid, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(authzid + "\x00" + authcid + "\x00" + password))
}

func (r *rawClient) auth(payload string) {
	r.t.Helper()
	r.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>` + payload + `</auth>`)
}

// login runs TLS and SASL and opens the restarted stream.
func (r *rawClient) login(user, password string) string {
	r.t.Helper()
	r.secure()
	r.auth(plain("", user, password))
	r.expect(`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`)
	return r.open()
}

// bind binds resource ("" for a generated one) and returns the bound full JID.
func (r *rawClient) bind(resource string) string {
	r.t.Helper()
	res := ""
	if resource != "" {
		res = "<resource>" + resource + "</resource>"
	}
	r.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>` + res + `</bind></iq>`)
	r.expect(`<iq type="result" id="b1"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><jid>`)
	got := r.expect("</jid>")
	return strings.TrimSuffix(got, "</jid>")
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}
