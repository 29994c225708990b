package server

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/server/config"
)

// TestConnLimiter: past perIP the next connection from the same address is closed at
// once; a place comes back when a connection closes.
func TestConnLimiter(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := newConnLimiter(raw, 10, 2, nil)
	defer ln.Close()
	accepted := acceptAll(ln)
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var server []net.Conn
	for range 2 {
		dial()
		server = append(server, <-accepted)
	}
	third := dial()
	_ = third.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := third.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the third connection from one address: read %v, want EOF (closed)", err)
	}
	server[0].Close()
	server[0].Close() // a second Close gives nothing back twice
	dial()
	select {
	case <-accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("no place after a connection closed")
	}
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.total != 2 || ln.byIP["127.0.0.1"] != 2 {
		t.Errorf("counted %d, %v; want 2", ln.total, ln.byIP)
	}
}

// TestConnLimiterTrustedProxy: a trusted proxy's connections count against the total
// only, not against the limit per address.
func TestConnLimiterTrustedProxy(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := config.ParsePrefixes([]string{"127.0.0.0/8", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	ln := newConnLimiter(raw, 5, 2, trusted)
	defer ln.Close()
	accepted := acceptAll(ln)
	for i := range 5 { // past perIP, up to max
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		select {
		case <-accepted:
		case <-time.After(30 * time.Second):
			t.Fatalf("connection %d from the trusted proxy not accepted", i+1)
		}
	}
	sixth, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer sixth.Close()
	_ = sixth.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := sixth.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("past max_connections: read %v, want EOF (closed)", err)
	}
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.total != 5 || len(ln.byIP) != 0 {
		t.Errorf("counted %d, %v; want 5 in total and none per address", ln.total, ln.byIP)
	}
}

// acceptAll hands ln's connections over the channel it returns, closed when ln is.
func acceptAll(ln net.Listener) <-chan net.Conn {
	accepted := make(chan net.Conn, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	return accepted
}
