package c2s

import (
	"context"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/rs/zerolog"
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

// emfileListener is a real listener whose first n accepts fail with EMFILE, as accept(2)
// does when the process is out of descriptors: an injected OS failure.
type emfileListener struct {
	net.Listener
	mu sync.Mutex
	n  int
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	fail := l.n > 0
	if fail {
		l.n--
	}
	l.mu.Unlock()
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return l.Listener.Accept()
}

// TestAcceptBacksOffOnEMFILE: a run of accept errors is logged once and retried with
// back-off (it used to be logged and retried in a spin), and the listener serves again.
func TestAcceptBacksOffOnEMFILE(t *testing.T) {
	var logs strings.Builder
	var mu sync.Mutex
	cfg := Config{
		Domain: testDomain, Addrs: []string{"127.0.0.1:0"}, DataDir: t.TempDir(), RequireEncryption: true,
		Log: zerolog.New(zerolog.SyncWriter(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return logs.Write(p)
		}))),
	}
	s, err := New(cfg, newTestAuth())
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	l := &emfileListener{Listener: s.listeners[0], n: n}
	s.listeners[0] = l
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()

	r := dialRaw(t, s)
	r.open() // served once the errors are over
	mu.Lock()
	defer mu.Unlock()
	if k := strings.Count(logs.String(), `"level":"error"`); k != 1 {
		t.Errorf("%d error lines for one episode of %d accept errors, want 1:\n%s", k, n, logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
