package xmpp

import (
	"context"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// user is the gateway user in every test; alice is its account on the remote server.
const (
	user  = "alice%example.test@gateway.test"
	alice = "alice@" + domain
	bob   = "bob@" + domain
	pass  = "alice-secret"
)

func ptr[T any](v T) *T { return &v }

// startBackend runs the plugin against p behind a backendtest daemon.
func startBackend(t *testing.T, p *prosody) *backendtest.Daemon {
	t.Helper()
	d := backendtest.Start(t, NewPlugin(p.config(t), backendtest.Logger(t)))
	d.Handshake()
	return d
}

// waitFor reads frames until one of type typ satisfies ok (nil: any), skipping others.
func waitFor[M proto.Message](t *testing.T, d *backendtest.Daemon, typ pb.WrapperMessage_Type, ok func(M) bool) M {
	t.Helper()
	for range 500 {
		f, m := d.Next()
		if f.Type == typ {
			if v, is := m.(M); is && (ok == nil || ok(v)) {
				return v
			}
		}
		t.Logf("skipping %v %v", f.Type, m)
	}
	t.Fatalf("no %v came", typ)
	var zero M
	return zero
}

// login logs the user in as alice and waits for CONNECTED.
func login(t *testing.T, d *backendtest.Daemon) {
	t.Helper()
	d.Login(user, alice, pass)
	waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
}

// peer is an XMPP account driven directly by the test: the remote contact.
type peer struct {
	t   *testing.T
	c   *conn
	jid string
	in  chan *stanza.Element
}

// connectPeer logs in name@domain/resource with our own client code and reads its
// stanzas into a channel; IQ requests are answered with an empty result.
func connectPeer(t *testing.T, p *prosody, name, password, resource string) *peer {
	t.Helper()
	c, err := connect(context.Background(), p.config(t), account{local: name, domain: domain, resource: resource, password: password})
	if err != nil {
		t.Fatalf("peer %s: %v", name, err)
	}
	pr := &peer{t: t, c: c, jid: c.jid, in: make(chan *stanza.Element, 1000)}
	done := make(chan struct{})
	go c.run()
	go func() {
		defer close(done)
		defer close(pr.in)
		for {
			el, err := c.next()
			if err != nil {
				return
			}
			if el.Is(stanza.NSClient, "iq") && (el.Type() == "get" || el.Type() == "set") {
				c.send(stanza.New(stanza.NSClient, "iq", "type", "result", "id", el.ID(), "to", el.From()))
				continue
			}
			if el.Is(stanza.NSClient, "iq") && c.answer(el) {
				continue
			}
			pr.in <- el
		}
	}()
	t.Cleanup(func() {
		c.shutdown()
		<-done
	})
	return pr
}

// send writes a stanza given as XML text in jabber:client.
func (pr *peer) send(el *stanza.Element) {
	pr.t.Helper()
	if err := pr.c.send(el); err != nil {
		pr.t.Fatal(err)
	}
}

// iq sends an IQ and waits for its answer.
func (pr *peer) iq(el *stanza.Element) *stanza.Element {
	pr.t.Helper()
	ch := make(chan *stanza.Element, 1)
	pr.c.request(el, backendtest.Timeout, func(r *stanza.Element) { ch <- r })
	r := <-ch
	if r == nil {
		pr.t.Fatal("IQ unanswered")
	}
	return r
}

// expect waits for a stanza satisfying ok, skipping others.
func (pr *peer) expect(what string, ok func(*stanza.Element) bool) *stanza.Element {
	pr.t.Helper()
	deadline := time.After(backendtest.Timeout)
	for {
		select {
		case el, open := <-pr.in:
			if !open {
				pr.t.Fatalf("%s: stream ended", what)
			}
			if ok(el) {
				return el
			}
		case <-deadline:
			pr.t.Fatalf("%s: nothing came", what)
		}
	}
}

// el builds an element with attributes (name, value pairs) in jabber:client.
func el(local string, attrs ...string) *stanza.Element {
	return stanza.New(stanza.NSClient, local, attrs...)
}

func text(space, local, s string) *stanza.Element {
	return stanza.New(space, local).AppendText(s)
}

// startBackendWith runs the plugin with cfg.
func startBackendWith(t *testing.T, cfg Config) *backendtest.Daemon {
	t.Helper()
	d := backendtest.Start(t, NewPlugin(cfg, backendtest.Logger(t)))
	d.Handshake()
	return d
}
