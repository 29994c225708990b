package test

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xmppo/go-xmpp"
)

// openRaw connects from local ("" for any address) to addr, sends a stream header and
// returns what the server answers up to its features or the end of its stream.
func openRaw(t *testing.T, addr, local string, extra string) (net.Conn, string) {
	t.Helper()
	d := net.Dialer{Timeout: 10 * time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.WriteString(c, `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`+extra)
	var got []byte
	buf := make([]byte, 4096)
	for !strings.Contains(string(got), "</stream:features>") && !strings.Contains(string(got), "</stream:stream>") {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	return c, string(got)
}

func wantStreamError(t *testing.T, got, cond string) {
	t.Helper()
	if !strings.Contains(got, "<"+cond+" xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>") {
		t.Fatalf("want stream error %s, got %q", cond, got)
	}
}

// openServed is openRaw until the connection gets stream features: a connection that was
// refused or closed counts until the daemon has let go of it.
func openServed(t *testing.T, addr, local string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, got := openRaw(t, addr, local, "")
		if strings.Contains(got, "starttls") {
			return
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("from %s never served: %q", local, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConnectionCaps: the real daemon groups sources by limits.ipv4_prefix for
// max_conns_per_ip (all of 127.0.0.0/8 is loopback on Linux, so 127.0.3.x stand in for
// the addresses of one IPv6 /64) and enforces limits.max_connections. The connections
// served are held open, so each refusal is certain.
func TestConnectionCaps(t *testing.T) {
	s := StartServer(t, "[limits]\nmax_connections = 4\nmax_conns_per_ip = 2\nipv4_prefix = 24\n")
	// Not 127.0.0.0/24: the harness's readiness probe comes from 127.0.0.1.
	openServed(t, s.Addr(), "127.0.3.2")
	openServed(t, s.Addr(), "127.0.3.3")
	_, got := openRaw(t, s.Addr(), "127.0.3.4", "") // the third of 127.0.3.0/24
	wantStreamError(t, got, "policy-violation")
	openServed(t, s.Addr(), "127.0.4.2") // other /24s have their own count
	openServed(t, s.Addr(), "127.0.5.2")
	_, got = openRaw(t, s.Addr(), "127.0.6.2", "") // the fifth in all
	wantStreamError(t, got, "resource-constraint")
}

// TestPreauthOversize: an element larger than limits.preauth_stanza_bytes before SASL
// ends the stream with policy-violation.
func TestPreauthOversize(t *testing.T) {
	s := StartServer(t, "[limits]\npreauth_stanza_bytes = 2048\n")
	_, got := openRaw(t, s.Addr(), "", "")
	if !strings.Contains(got, "starttls") {
		t.Fatalf("features: %q", got)
	}
	c, got := openRaw(t, s.Addr(), "", "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"+strings.Repeat("x", 4096)+"</starttls>")
	rest, _ := io.ReadAll(c)
	wantStreamError(t, got+string(rest), "policy-violation")
}

// TestStanzaFlood: a client that sends pings far faster than 10,000 per second is slowed
// to limits.stanzas_per_second, and every ping is answered, in order.
func TestStanzaFlood(t *testing.T) {
	const rate, burst, total = 500, 100, 2000
	s := StartServer(t, fmt.Sprintf("[limits]\nstanzas_per_second = %d\nstanza_burst = %d\n", rate, burst))
	c := s.MustDial("flood%demo@localhost", s.Password(), "")
	in := Listen(c)
	var b strings.Builder
	for i := range total {
		fmt.Fprintf(&b, `<iq type='get' id='f%d' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, i)
	}
	start := time.Now()
	go func() { _, _ = c.SendOrg(b.String()) }()
	var ids []string
	in.Wait(t, "the last answer", 120*time.Second, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		if !ok || !strings.HasPrefix(iq.ID, "f") {
			return false
		}
		if iq.Type != "result" {
			t.Fatalf("ping %s answered %s", iq.ID, iq.Type)
		}
		ids = append(ids, iq.ID)
		return iq.ID == "f"+strconv.Itoa(total-1)
	})
	elapsed := time.Since(start)
	if len(ids) != total {
		t.Fatalf("%d answers, want %d", len(ids), total)
	}
	for i, id := range ids {
		if id != "f"+strconv.Itoa(i) {
			t.Fatalf("answer %d is %s", i, id)
		}
	}
	if min := time.Duration(total-burst) * time.Second / rate; elapsed < min*9/10 {
		t.Fatalf("%d pings answered in %v: not slowed to %d/s", total, elapsed, rate)
	}
}

// TestByteRate: a client that sends large stanzas within its stanza rate is slowed to
// limits.bytes_per_second, and every one is answered, in order.
func TestByteRate(t *testing.T) {
	const rate, burst, total, pad = 64 << 10, 16 << 10, 40, 8 << 10
	s := StartServer(t, fmt.Sprintf("[limits]\nbytes_per_second = %d\nbyte_burst = %d\nstanzas_per_second = 5000\n", rate, burst))
	c := s.MustDial("bytes%demo@localhost", s.Password(), "")
	in := Listen(c)
	id := func(i int) string { return fmt.Sprintf("b%d-%s", i, strings.Repeat("x", pad)) }
	var b strings.Builder
	for i := range total {
		fmt.Fprintf(&b, `<iq type='get' id='%s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`, id(i))
	}
	start := time.Now()
	go func() { _, _ = c.SendOrg(b.String()) }()
	var got []string
	in.Wait(t, "the last answer", 120*time.Second, func(st any) bool {
		iq, ok := st.(xmpp.IQ)
		if !ok || !strings.HasPrefix(iq.ID, "b") {
			return false
		}
		if iq.Type != "result" {
			t.Fatalf("ping %.8s... answered %s", iq.ID, iq.Type)
		}
		got = append(got, iq.ID)
		return iq.ID == id(total-1)
	})
	elapsed := time.Since(start)
	for i, g := range got {
		if g != id(i) {
			t.Fatalf("answer %d is %.8s...", i, g)
		}
	}
	if len(got) != total {
		t.Fatalf("%d answers, want %d", len(got), total)
	}
	if min := time.Duration(total*pad-burst) * time.Second / rate; elapsed < min*9/10 {
		t.Fatalf("%d KiB answered in %v: not slowed to %d KiB/s", total*pad>>10, elapsed, rate>>10)
	}
}
