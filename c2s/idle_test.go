package c2s

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestRecordConnBoundaries feeds TLS-framed input in small, odd pieces and checks that
// recordConn hands it on unchanged, never past the end of a record, and holds no buffer
// once drained.
func TestRecordConnBoundaries(t *testing.T) {
	var in []byte
	var ends []int // offsets where records end
	for _, n := range []int{0, 1, 300, 5000, 16384 + 256, 7} {
		hdr := []byte{23, 3, 3, 0, 0}
		binary.BigEndian.PutUint16(hdr[3:], uint16(n))
		in = append(in, hdr...)
		body := make([]byte, n)
		for i := range body {
			body[i] = byte(i)
		}
		in = append(in, body...)
		ends = append(ends, len(in))
	}
	client, server := net.Pipe()
	defer client.Close()
	go func() {
		rest := in
		for len(rest) > 0 {
			k := min(len(rest), 1+rand.IntN(6000))
			if _, err := client.Write(rest[:k]); err != nil {
				return
			}
			rest = rest[k:]
		}
	}()
	rc := newRecordConn(server, newRecordBufPool())
	var out []byte
	for len(out) < len(in) {
		p := make([]byte, 1+rand.IntN(20000))
		n, err := rc.Read(p)
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(out), err)
		}
		start := len(out)
		out = append(out, p[:n]...)
		for _, e := range ends {
			if start < e && len(out) > e {
				t.Fatalf("a Read of bytes %d to %d crossed the record end at %d", start, len(out), e)
			}
		}
	}
	if !bytes.Equal(out, in) {
		t.Fatal("recordConn changed its input")
	}
	if rc.Buffered() != 0 || rc.buf != nil {
		t.Fatalf("drained recordConn still buffers: %d bytes, buffer %v", rc.Buffered(), rc.buf != nil)
	}
}

// TestRecordConnWholeRecord: a record whose header and body are buffered together is handed
// on in one Read (crypto/tls then keeps its 576-byte input buffer instead of growing it for
// the body), and the next record waits for the next Read.
func TestRecordConnWholeRecord(t *testing.T) {
	rec := func(n int) []byte {
		b := []byte{22, 3, 1, 0, 0}
		binary.BigEndian.PutUint16(b[3:], uint16(n))
		return append(b, make([]byte, n)...)
	}
	client, server := net.Pipe()
	defer client.Close()
	go func() { _, _ = client.Write(append(rec(300), rec(40)...)) }()
	rc := newRecordConn(server, newRecordBufPool())
	p := make([]byte, 576)
	for i, want := range []int{305, 45} {
		n, err := rc.Read(p)
		if err != nil || n != want {
			t.Fatalf("Read %d: %d bytes, %v; want the whole record, %d", i, n, err, want)
		}
	}
}

// TestIdleHandoff: a quiet session's reader moves to a fresh goroutine waiting on the socket
// (idleWait); stanzas sent afterwards, several in one TLS record and one larger than the
// XML reader's buffer, are all read, and the silent client still gets its ping.
func TestIdleHandoff(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) {
		c.idleHandoff = 50 * time.Millisecond
		c.PingInterval = time.Second
	})
	r := dialRaw(t, s)
	r.login("alice", "secret")
	full := r.bind("idle")
	recv(t, a.binds, "Bind")
	waitFor(t, "a reader parked or in idleWait", func() bool {
		return s.idle.parkedCount() == 1 || strings.Contains(allStacks(), "c2s.(*conn).idleWait")
	})

	body := strings.Repeat("x", 3000)
	r.send(`<presence/><message to='bob@example.org' id='m1'><body>` + body + `</body></message><message to='bob@example.org' id='m2'><body>2</body></message>`)
	for _, want := range []string{"presence", "m1", "m2"} {
		el := recv(t, a.handler.stanzas, want)
		if id := el.Attr("id"); want != "presence" && id != want {
			t.Fatalf("got stanza %s, want %s", el, want)
		}
	}
	if tc, ok := r.c.(*tls.Conn); !ok || tc.ConnectionState().Version == 0 {
		t.Fatal("the client is not on TLS")
	}
	// Quiet again: the reader hands off once more and the ping still comes.
	got := r.expect(`<ping xmlns="urn:xmpp:ping"/></iq>`)
	if !strings.Contains(got, `to="`+full+`"`) {
		t.Fatalf("ping: %q", got)
	}
	r.send(`</stream:stream>`)
	r.readAll()
	recv(t, a.handler.closed, "Closed")
}

// allStacks is every goroutine's stack.
func allStacks() string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
