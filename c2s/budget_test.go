package c2s

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// fill sends messages with a body to sess until Send refuses one; it returns how many
// were accepted.
func fill(t *testing.T, sess *Session) int {
	t.Helper()
	body := strings.Repeat("b", 1000)
	for i := range 200000 {
		m := xmpp.New(xmpp.NSClient, "message", "id", "m"+strconv.Itoa(i), "type", "chat").
			Append(xmpp.New(xmpp.NSClient, "body").AppendText(body))
		if err := sess.Send(m); err != nil {
			return i
		}
	}
	t.Fatal("the send budget never ran out")
	return 0
}

var messageID = regexp.MustCompile(`<message id="(m\d+)"[^>]*>.*?</message>`)

// ids are the ids of the complete messages in s.
func ids(s string) map[string]bool {
	out := map[string]bool{}
	for _, m := range messageID.FindAllStringSubmatch(s, -1) {
		out[m[1]] = true
	}
	return out
}

// drain reads what the server sent until it closes the connection (or breaks it).
func (r *rawClient) drain() string {
	_ = r.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	rest, _ := io.ReadAll(r.c)
	return string(r.buf) + string(rest)
}

// TestSendBudgetNonReader: a client that never reads while messages arrive for it gets
// its stream closed at the byte budget, and every message reached it or is handed back
// as undelivered (the router then delivers it elsewhere or keeps it).
func TestSendBudgetNonReader(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.SessionSendBytes = 64 << 10 })
	r := dialRaw(t, s)
	r.login("alice", "secret")
	r.bind("deaf")
	sess := recv(t, a.binds, "Bind")
	n := fill(t, sess) // the client reads nothing meanwhile
	lost := recv(t, a.handler.lost, "Closed")
	got := ids(r.drain())
	for _, el := range lost {
		got[el.ID()] = true
	}
	for i := range n {
		if !got["m"+strconv.Itoa(i)] {
			t.Fatalf("message m%d of %d neither reached the client nor came back undelivered", i, n)
		}
	}
}

// TestSendBudgetUnacked: stanzas the client does not acknowledge (XEP-0198) count against
// the same budget; at it the stream ends with policy-violation and the unacknowledged
// messages come back as undelivered, in order.
func TestSendBudgetUnacked(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.SessionSendBytes = 64 << 10
		c.SM = SMConfig{Enabled: true, AckEvery: 1 << 20}
	})
	r := dialRaw(t, s)
	r.login("alice", "secret")
	r.bind("lazy")
	sess := recv(t, a.binds, "Bind")
	r.send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<enabled xmlns="urn:xmpp:sm:3"/>`)
	n := fill(t, sess)
	if n > 64 {
		t.Fatalf("%d messages of 1 KB accepted within a budget of 64 KB", n)
	}
	r.expectStreamError(xmpp.CondPolicyViolation)
	lost := recv(t, a.handler.lost, "Closed")
	if len(lost) != n {
		t.Fatalf("%d undelivered, want the %d messages never acknowledged", len(lost), n)
	}
	for i, el := range lost {
		if el.ID() != "m"+strconv.Itoa(i) || el.ChildText(xmpp.NSClient, "body") == "" {
			t.Fatalf("undelivered %d: %s", i, el)
		}
	}
}

// TestSendBudgetAcks: the acks of a client that floods <r/> without reading count too.
func TestSendBudgetAcks(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.SessionSendBytes = 64 << 10
		c.SM = SMConfig{Enabled: true}
		c.StanzasPerSecond, c.StanzaBurst = 1e6, 1e6
		c.BytesPerSecond, c.ByteBurst = 1e9, 1e9
	})
	r := dialRaw(t, s)
	r.login("alice", "secret")
	r.bind("asker")
	recv(t, a.binds, "Bind")
	r.send(`<enable xmlns='urn:xmpp:sm:3'/>`)
	r.expect(`<enabled xmlns="urn:xmpp:sm:3"/>`)
	// Far more acks than the socket buffers and the budget hold, written while nobody reads:
	// 10,000,000 requests, whose answers (about 300 MB) no loopback buffer absorbs, however
	// large the kernel lets it grow on a loaded machine.
	reqs := strings.Repeat(`<r xmlns='urn:xmpp:sm:3'/>`, 10000)
	done := make(chan error, 1)
	go func() {
		_ = r.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		var err error
		for i := 0; i < 1000 && err == nil; i++ {
			_, err = io.WriteString(r.c, reqs)
		}
		done <- err
	}()
	recv(t, a.handler.closed, "Closed")
	if err := recv(t, done, "writer"); err == nil {
		t.Fatal("the server read 10,000,000 ack requests without ending the stream")
	}
}

// TestStanzaRateLimit: a client that sends far more than 10,000 stanzas per second is
// slowed to the configured rate, and every stanza is handled, in order.
func TestStanzaRateLimit(t *testing.T) {
	const rate, burst, total = 200, 50, 450
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.StanzasPerSecond, c.StanzaBurst = rate, burst })
	r := dialRaw(t, s)
	r.login("alice", "secret")
	r.bind("flood")
	sess := recv(t, a.binds, "Bind")
	go func() { // the echo the router would be
		for el := range a.handler.stanzas {
			_ = sess.Send(xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", el.ID()))
		}
	}()
	var b strings.Builder
	for i := range total {
		fmt.Fprintf(&b, `<iq type='get' id='q%d' to='%s'><ping xmlns='urn:xmpp:ping'/></iq>`, i, testDomain)
	}
	start := time.Now()
	go r.send(b.String()) // in one write: some 30 MB/s worth of stanzas
	for i := range total {
		r.expect(fmt.Sprintf(`<iq type="result" id="q%d"/>`, i))
	}
	// The bucket allows burst at once, then rate per second: at least (total-burst)/rate.
	if min := time.Duration(total-burst) * time.Second / rate; time.Since(start) < min*9/10 {
		t.Fatalf("%d stanzas answered in %v: not slowed to %d/s (at least %v)", total, time.Since(start), rate, min)
	}
	r.send(`</stream:stream>`)
	r.readAll()
	recv(t, a.handler.closed, "Closed")
	close(a.handler.stanzas)
}

// TestPreauthStanzaLimit: before SASL succeeds an element larger than
// PreauthStanzaBytes ends the stream with policy-violation; after it the full limit holds.
func TestPreauthStanzaLimit(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.PreauthStanzaBytes = 2 << 10 })
	big := strings.Repeat("A", 4<<10)
	r := dialRaw(t, s)
	r.open()
	r.send(`<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>` + big + `</starttls>`)
	r.expectStreamError(xmpp.CondPolicyViolation)

	r = dialRaw(t, s)
	r.secure()
	r.auth(plain("", "alice", big))
	r.expectStreamError(xmpp.CondPolicyViolation)

	r = dialRaw(t, s)
	r.login("alice", "secret")
	r.bind("big")
	recv(t, a.binds, "Bind")
	r.send(`<message to='bob@` + testDomain + `' id='big'><body>` + big + big + `</body></message>`)
	if el := recv(t, a.handler.stanzas, "the large message"); el.ID() != "big" {
		t.Fatalf("got %s", el)
	}
	r.send(`</stream:stream>`)
	r.readAll()
	recv(t, a.handler.closed, "Closed")
}

// TestMaxConnections: past MaxConnections a connection gets resource-constraint after
// its stream header; once one closes, the next is served.
func TestMaxConnections(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.MaxConnections = 2 })
	first, second := dialRaw(t, s), dialRaw(t, s)
	first.open()
	second.open()
	third := dialRaw(t, s)
	third.send(header(testDomain))
	third.expectStreamError(xmpp.CondResourceConstraint)
	first.send(`</stream:stream>`)
	first.readAll()
	waitServed(t, s, "")
}

// waitServed dials from local (nil: any address) until a connection gets stream
// features: the slot of a closed connection is freed once its goroutines are done.
func waitServed(t *testing.T, s *Server, local string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := dialFrom(t, s, local)
		r.send(header(testDomain))
		got := r.expect(">")
		got += r.expect(">")
		if strings.Contains(got+r.expect(">"), "features") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never served again: %q", got)
		}
		r.readAll()
		_ = r.c.Close() // so that the server lets go of it at once
	}
}

// TestMaxNegotiating: connections that have not bound yet are capped; a bound one frees
// its place.
func TestMaxNegotiating(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.MaxNegotiating = 1 })
	first := dialRaw(t, s)
	first.open()
	second := dialRaw(t, s)
	second.send(header(testDomain))
	second.expectStreamError(xmpp.CondResourceConstraint)
	first.startTLS()
	first.open()
	first.auth(plain("", "alice", "secret"))
	first.expect("<success")
	first.open()
	first.bind("")
	recv(t, a.binds, "Bind")
	waitServed(t, s, "") // the bound connection no longer counts
}

// dialFrom connects from the local address local ("" for any).
func dialFrom(t *testing.T, s *Server, local string) *rawClient {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", s.startTLSAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &rawClient{t: t, c: c, srv: s}
}

// TestConnectionsPerPrefix: with ipv4_prefix 24, addresses of one /24 share the
// per-source limit (all of 127.0.0.0/8 is loopback on Linux), another /24 has its own.
func TestConnectionsPerPrefix(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.MaxConnsPerIP, c.IPv4Prefix = 3, 24 })
	for i := 2; i <= 4; i++ {
		dialFrom(t, s, fmt.Sprintf("127.0.0.%d", i)).open()
	}
	over := dialFrom(t, s, "127.0.0.5")
	over.send(header(testDomain))
	over.expectStreamError(xmpp.CondPolicyViolation)
	dialFrom(t, s, "127.0.1.2").open() // another /24
}

func TestSourceOf(t *testing.T) {
	for _, c := range []struct{ ip, want string }{
		{"192.0.2.77", "192.0.2.0/24"},
		{"::ffff:192.0.2.77", "192.0.2.0/24"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not-an-ip", "not-an-ip"},
	} {
		if got := sourceOf(c.ip, 24, 64); got != c.want {
			t.Errorf("sourceOf(%s) = %s, want %s", c.ip, got, c.want)
		}
	}
	if got := sourceOf("192.0.2.77", 32, 64); got != "192.0.2.77/32" {
		t.Errorf("with /32: %s", got)
	}
}

func TestTokenBucket(t *testing.T) {
	now := time.Now()
	b := newTokenBucket(10, 3, now)
	for i := range 3 {
		if d := b.take(now, 1); d != 0 {
			t.Fatalf("take %d of the burst waits %v", i, d)
		}
	}
	if d := b.take(now, 1); d < 99*time.Millisecond || d > 101*time.Millisecond {
		t.Fatalf("past the burst: wait %v, want 100ms", d)
	}
	if d := b.take(now.Add(time.Second), 1); d != 0 {
		t.Fatalf("after a second: wait %v", d)
	}
	// Bytes: a stanza within the burst passes at once; one larger than what is left
	// waits until its excess is paid, and is not refused.
	bytes := newTokenBucket(1000, 500, now)
	if d := bytes.take(now, 400); d != 0 {
		t.Fatalf("400 of a burst of 500 bytes waits %v", d)
	}
	if d := bytes.take(now, 1100); d < 999*time.Millisecond || d > 1001*time.Millisecond {
		t.Fatalf("1100 bytes with 100 left at 1000/s: wait %v, want 1s", d)
	}
}
