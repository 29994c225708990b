package c2s

import (
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// parkedNoGoroutine reports whether s has exactly n parked readers and no reader goroutine.
func parkedNoGoroutine(s *Server, n int) func() bool {
	return func() bool {
		st := allStacks()
		return s.idle.parkedCount() == n && !strings.Contains(st, "c2s.(*conn).readLoop") &&
			!strings.Contains(st, "c2s.(*conn).idleWait")
	}
}

// TestIdlePollerParks: a quiet session's reader is parked with no goroutine; input wakes it
// and it parks again; its ping deadline wakes it (the ping comes); a server-side close while
// parked ends the stream at once, and so does the client's disappearance.
func TestIdlePollerParks(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.idleHandoff = 50 * time.Millisecond
		c.PingInterval = 2 * time.Second
	})
	r := dialRaw(t, s)
	r.login("alice", "secret")
	full := r.bind("idle")
	sess := recv(t, a.binds, "Bind")
	waitFor(t, "the reader parked", parkedNoGoroutine(s, 1))

	r.send(`<message to='bob@example.org' id='m1'><body>hi</body></message>`)
	if el := recv(t, a.handler.stanzas, "m1"); el.Attr("id") != "m1" {
		t.Fatalf("got %s", el)
	}
	waitFor(t, "the reader parked again", parkedNoGoroutine(s, 1))
	if got := r.expect(`<ping xmlns="urn:xmpp:ping"/></iq>`); !strings.Contains(got, `to="`+full+`"`) {
		t.Fatalf("ping: %q", got)
	}

	r.send(`<iq type='result' id='c2s-ping-1'/>`)
	waitFor(t, "the reader parked after the ping", parkedNoGoroutine(s, 1))

	// A close from the server side reaches the parked reader: the stream ends well before
	// the next ping deadline would have woken it.
	start := time.Now()
	sess.Close(xmpp.CondSystemShutdown, "")
	r.expectStreamError(xmpp.CondSystemShutdown)
	recv(t, a.handler.closed, "Closed")
	if d := time.Since(start); d > closeGrace+time.Second {
		t.Fatalf("the parked session took %v to end", d)
	}
	waitFor(t, "no parked reader", parkedNoGoroutine(s, 0))

	// A client that goes away while parked: its end of the socket wakes the reader.
	r2 := dialRaw(t, s)
	r2.login("bob", "hunter2")
	r2.bind("gone")
	recv(t, a.binds, "Bind")
	waitFor(t, "the second reader parked", parkedNoGoroutine(s, 1))
	_ = r2.c.Close()
	recv(t, a.handler.closed, "Closed")
	waitFor(t, "no parked reader", parkedNoGoroutine(s, 0))
}

// TestIdlePollerAtMaxConnections: the poller parks one entry per bound session, so its
// map is bounded by limits.max_connections. At the limit the next connection is refused
// with resource-constraint before it could bind, and nothing more is parked; once a
// session ends, a new one takes its place and parks.
func TestIdlePollerAtMaxConnections(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.MaxConnections = 2
		c.idleHandoff = 50 * time.Millisecond
	})
	first, second := dialRaw(t, s), dialRaw(t, s)
	first.login("alice", "secret")
	first.bind("one")
	recv(t, a.binds, "Bind")
	second.login("bob", "hunter2")
	second.bind("two")
	recv(t, a.binds, "Bind")
	waitFor(t, "both readers parked", parkedNoGoroutine(s, 2))

	third := dialRaw(t, s)
	third.send(header(testDomain))
	third.expectStreamError(xmpp.CondResourceConstraint)
	if n := s.idle.parkedCount(); n != 2 {
		t.Fatalf("%d parked at max_connections 2, want 2", n)
	}

	first.send(`</stream:stream>`)
	first.readAll()
	recv(t, a.handler.closed, "Closed")
	waitFor(t, "one reader parked", parkedNoGoroutine(s, 1))
	// The freed slot is taken once the closed connection's goroutines are done.
	var again *rawClient
	waitFor(t, "a connection served again", func() bool {
		again = dialRaw(t, s)
		again.send(header(testDomain))
		if strings.Contains(again.expect(">")+again.expect(">")+again.expect(">"), "features") {
			return true
		}
		_ = again.c.Close()
		return false
	})
	again.startTLS()
	again.open()
	again.auth(plain("", "alice", "secret"))
	again.expect(`<success xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>`)
	again.open()
	again.bind("three")
	recv(t, a.binds, "Bind")
	waitFor(t, "two readers parked again", parkedNoGoroutine(s, 2))
}
