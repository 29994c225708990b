package router

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const waitFor = 30 * time.Second

// frame is one frame the fake backends received.
type frame struct {
	t pb.WrapperMessage_Type
	m proto.Message
}

// fakeBackends answers like a simple legacy network: CONNECTED on Login unless told
// otherwise, and records every frame.
type fakeBackends struct {
	r        *Router
	mu       sync.Mutex
	frames   []frame
	logins   []*pb.Login
	logouts  []string
	raw      [][]byte
	onLogin  func(l *pb.Login) // nil: CONNECTED
	loginErr error
	sendErr  error
	features pluginserver.Features
}

func (f *fakeBackends) Login(ctx context.Context, l *pb.Login) error {
	f.mu.Lock()
	f.logins = append(f.logins, proto.Clone(l).(*pb.Login))
	err, on := f.loginErr, f.onLogin
	f.mu.Unlock()
	if err != nil {
		return err
	}
	if on != nil {
		on(l)
		return nil
	}
	f.r.HandleBackendMessage(l.GetUser(), pb.WrapperMessage_TYPE_CONNECTED, &pb.Connected{User: l.User})
	return nil
}

func (f *fakeBackends) Send(user string, t pb.WrapperMessage_Type, m proto.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return f.sendErr
	}
	f.frames = append(f.frames, frame{t, proto.Clone(m)})
	return nil
}

func (f *fakeBackends) SendRawXML(user string, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.raw = append(f.raw, bytes.Clone(b))
	return f.sendErr
}

func (f *fakeBackends) Logout(user, legacy string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logouts = append(f.logouts, user+"|"+legacy)
}

func (f *fakeBackends) Features() pluginserver.Features {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.features
}

func (f *fakeBackends) set(fn func(f *fakeBackends)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// waitFrame waits for a frame of type t matching ok and returns it.
func (f *fakeBackends) waitFrame(t *testing.T, ft pb.WrapperMessage_Type, ok func(proto.Message) bool) proto.Message {
	t.Helper()
	var got proto.Message
	eventually(t, "frame "+ft.String(), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, fr := range f.frames {
			if fr.t == ft && (ok == nil || ok(fr.m)) {
				got = fr.m
				return true
			}
		}
		return false
	})
	return got
}

func (f *fakeBackends) count(ft pb.WrapperMessage_Type) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, fr := range f.frames {
		if fr.t == ft {
			n++
		}
	}
	return n
}

func (f *fakeBackends) nLogouts() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.logouts)
}

func (f *fakeBackends) nLogins() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.logins)
}

// testResource records what the router sends to a bound resource.
type testResource struct {
	full    jid.JID
	mu      sync.Mutex
	got     []*xmpp.Element
	closed  bool
	cond    string
	text    string
	sendErr error
}

func (tr *testResource) JID() jid.JID { return tr.full }

func (tr *testResource) Send(el *xmpp.Element) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.closed {
		return errors.New("closed")
	}
	tr.got = append(tr.got, el)
	return nil
}

func (tr *testResource) Close(cond, text string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.closed, tr.cond, tr.text = true, cond, text
}

// wait returns the first received stanza matching ok (searching from the start).
func (tr *testResource) wait(t *testing.T, what string, ok func(*xmpp.Element) bool) *xmpp.Element {
	t.Helper()
	var got *xmpp.Element
	eventually(t, what, func() bool {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		for _, el := range tr.got {
			if ok(el) {
				got = el
				return true
			}
		}
		return false
	})
	return got
}

func (tr *testResource) all() []*xmpp.Element {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]*xmpp.Element(nil), tr.got...)
}

func (tr *testResource) has(ok func(*xmpp.Element) bool) bool {
	for _, el := range tr.all() {
		if ok(el) {
			return true
		}
	}
	return false
}

func (tr *testResource) isClosed() (bool, string, string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return tr.closed, tr.cond, tr.text
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settle lets the user's queue drain (a post that runs after everything before it).
func settle(t *testing.T, r *Router, bare string) {
	t.Helper()
	u := r.lookup(bare)
	if u == nil {
		return
	}
	done := make(chan struct{})
	u.post(func() { close(done) })
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("user queue stuck")
	}
}

type env struct {
	t    *testing.T
	r    *Router
	be   *fakeBackends
	log  *syncWriter
	stop func()
}

// newEnv starts a Router with fake backends; cleanup stops Run and waits for it.
func newEnv(t *testing.T, mod func(*Config)) *env {
	t.Helper()
	logs := &syncWriter{w: &bytes.Buffer{}}
	cfg := Config{Domain: "localhost", JIDEscaping: true, EnableXHTML: true, Version: "test",
		Log: zerolog.New(logs).Level(zerolog.DebugLevel)}
	if mod != nil {
		mod(&cfg)
	}
	r := New(cfg)
	be := &fakeBackends{r: r, features: pluginserver.Features{Receipts: true}}
	r.SetBackends(be)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(func() { // after stop: shutdown's transitions count too
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "impossible legacy session transition") {
				t.Errorf("the legacy session state machine met an impossible transition: %s", line)
			}
		}
	})
	t.Cleanup(stop)
	return &env{t: t, r: r, be: be, log: logs, stop: stop}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// auth runs Authenticate for bare JID s.
func (e *env) auth(s, pw string) (*grant, error) {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	g, err := e.r.Authenticate(ctx, jid.MustParse(s), pw)
	if err != nil {
		return nil, err
	}
	return g.(*grant), nil
}

// connect logs s in and binds resource res.
func (e *env) connect(s, pw, res string) (*testResource, *handler) {
	e.t.Helper()
	g, err := e.auth(s, pw)
	if err != nil {
		e.t.Fatalf("login %s: %v", s, err)
	}
	return e.bind(g, s+"/"+res)
}

func (e *env) bind(g *grant, full string) (*testResource, *handler) {
	e.t.Helper()
	tr := &testResource{full: jid.MustParse(full)}
	h, err := g.bind(tr)
	if err != nil {
		e.t.Fatalf("bind %s: %v", full, err)
	}
	return tr, h
}

// stanza parses XML in jabber:client.
func stanza(t *testing.T, s string) *xmpp.Element {
	t.Helper()
	el, err := parseElement(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return el
}

// send hands a client stanza to the handler, stamping from as c2s does.
func send(t *testing.T, h *handler, s string) {
	t.Helper()
	el := stanza(t, s)
	el.SetAttr("from", h.rs.key)
	h.HandleStanza(el)
}

// backend delivers a frame from the backend for user.
func (e *env) backend(user string, ft pb.WrapperMessage_Type, m proto.Message) {
	e.r.HandleBackendMessage(user, ft, m)
}

func xmlOf(el *xmpp.Element) string { return el.String() }

func contains(sub string) func(*xmpp.Element) bool {
	return func(el *xmpp.Element) bool { return strings.Contains(el.String(), sub) }
}

func s(v string) *string { return proto.String(v) }
