package c2s

import (
	"net"
	"strings"
	"testing"
)

func TestListenNetwork(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:5222":   "tcp4",
		"127.0.0.1:5222": "tcp4",
		"[::]:5222":      "tcp6",
		"[::1]:5222":     "tcp6",
		":5222":          "tcp",
		"localhost:5222": "tcp",
	} {
		if got := listenNetwork(addr); got != want {
			t.Errorf("listenNetwork(%q) = %s, want %s", addr, got, want)
		}
	}
}

// TestIPv6Listener logs in over an IPv6 listener next to an IPv4 one.
func TestIPv6Listener(t *testing.T) {
	a := newTestAuth()
	s := testServer(t, a, func(c *Config) { c.Addrs = []string{"127.0.0.1:0", "[::1]:0"} })
	addr := s.Addrs()[1].String()
	if !strings.HasPrefix(addr, "[::1]:") {
		t.Fatalf("second listener on %s", addr)
	}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	r := &rawClient{t: t, c: nc, srv: s}
	r.login("alice", "secret")
	r.bind("v6")
	recv(t, a.binds, "Bind")
	r.send(`</stream:stream>`)
	r.readAll()
	recv(t, a.handler.closed, "Closed")
}
