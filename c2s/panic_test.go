package c2s

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// The panic triggers of these tests live in the test's own Authenticator and
// SessionHandler, which c2s calls on the connection's goroutines: nothing in c2s itself.

// panicAuth panics in Authenticate for the user "crash" (negotiation goroutine), and its
// sessions' handlers panic on a stanza with id "boom" (reader goroutine).
type panicAuth struct{ *testAuth }

func (p panicAuth) Authenticate(ctx context.Context, user jid.JID, password string) (Grant, error) {
	if user.Localpart() == "crash" {
		panic("deliberate test panic in Authenticate")
	}
	g, err := p.testAuth.Authenticate(ctx, user, password)
	if err != nil {
		return nil, err
	}
	return panicGrant{g.(*testGrant)}, nil
}

type panicGrant struct{ *testGrant }

func (g panicGrant) Bind(s *Session) (SessionHandler, error) {
	h, err := g.testGrant.Bind(s)
	if err != nil {
		return nil, err
	}
	return panicHandler{h.(*testHandler)}, nil
}

type panicHandler struct{ *testHandler }

func (h panicHandler) HandleStanza(el *xmpp.Element) {
	if el.ID() == "boom" {
		panic("deliberate test panic in HandleStanza")
	}
	h.testHandler.HandleStanza(el)
}

// panicServer is testServer with another Authenticator.
func panicServer(t *testing.T, a Authenticator, cfg Config) *Server {
	t.Helper()
	cfg.Domain, cfg.Addrs, cfg.DataDir, cfg.RequireEncryption = testDomain, []string{"127.0.0.1:0"}, t.TempDir(), true
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

type panicCount struct{ n atomic.Int32 }

func (p *panicCount) Panicked(component string) {
	if component == "c2s" {
		p.n.Add(1)
	}
}

// A panic on a connection's goroutine (negotiation or stanza reader) ends that
// connection with internal-server-error, is logged with its stack and counted; the
// server and the other sessions go on.
func TestPanicEndsOnlyItsConnection(t *testing.T) {
	a := newTestAuth()
	var logs syncBuffer
	pc := &panicCount{}
	s := panicServer(t, panicAuth{a}, Config{Log: zerolog.New(&logs), Panics: pc})

	bob := dialRaw(t, s)
	bob.login("bob", "hunter2")
	bob.bind("phone")
	recv(t, a.binds, "bob's Bind")

	alice := dialRaw(t, s)
	alice.login("alice", "secret")
	alice.bind("desk")
	recv(t, a.binds, "alice's Bind")
	alice.send(`<message id='boom' to='x@` + testDomain + `'/>`)
	got := alice.expectStreamError(xmpp.CondInternalServerError)
	if !strings.Contains(got, panicText) {
		t.Errorf("stream error without its text: %q", got)
	}
	recv(t, a.handler.closed, "alice's Closed")

	crash := dialRaw(t, s)
	crash.secure()
	crash.auth(plain("", "crash", "pw"))
	crash.expectStreamError(xmpp.CondInternalServerError)

	bob.send(`<message id='m1' to='x@` + testDomain + `'><body>still here</body></message>`)
	if el := recv(t, a.handler.stanzas, "bob's message"); el.ID() != "m1" {
		t.Errorf("bob's stanza: %s", el)
	}
	again := dialRaw(t, s)
	again.login("alice", "secret")
	again.bind("desk")
	recv(t, a.binds, "alice's Bind again")

	if n := pc.n.Load(); n != 2 {
		t.Errorf("panics counted = %d, want 2", n)
	}
	l := logs.String()
	for _, want := range []string{"deliberate test panic in HandleStanza", "deliberate test panic in Authenticate",
		"(*conn).readLoop", "(*conn).serveContained", `"level":"error"`} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q:\n%s", want, l)
		}
	}
}

// A panic while the writer serialises a stanza ends that connection with
// internal-server-error, counted; the other sessions go on.
func TestWriterPanicEndsOnlyItsConnection(t *testing.T) {
	a := newTestAuth()
	pc := &panicCount{}
	s := testServer(t, a, func(c *Config) { c.Panics = pc })
	s.appendStanza = func(buf []byte, el *xmpp.Element) []byte {
		if el.ID() == "boom-w" {
			panic("deliberate test panic in serialisation")
		}
		return appendClientStanza(buf, el)
	}
	bob := dialRaw(t, s)
	bob.login("bob", "hunter2")
	bob.bind("phone")
	bobSess := recv(t, a.binds, "bob's Bind")
	alice := dialRaw(t, s)
	alice.login("alice", "secret")
	alice.bind("desk")
	aliceSess := recv(t, a.binds, "alice's Bind")

	if err := aliceSess.Send(xmpp.New(xmpp.NSClient, "message", "id", "boom-w")); err != nil {
		t.Fatal(err)
	}
	alice.expectStreamError(xmpp.CondInternalServerError)
	recv(t, a.handler.closed, "alice's Closed")
	if err := bobSess.Send(xmpp.New(xmpp.NSClient, "message", "id", "fine")); err != nil {
		t.Fatal(err)
	}
	bob.expect(`<message id="fine"/>`)
	if n := pc.n.Load(); n != 1 {
		t.Errorf("panics counted = %d, want 1", n)
	}
}
