package accept

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// failing is a real listener that first fails n times with EMFILE, the way accept(2)
// fails when the process is out of descriptors: an injected OS failure, not a mock.
type failing struct {
	net.Listener
	mu    sync.Mutex
	n     int
	calls []time.Time
	hit   chan struct{} // if set, receives a value per call
}

func (f *failing) Accept() (net.Conn, error) {
	f.mu.Lock()
	f.calls = append(f.calls, time.Now())
	fail := f.n > 0
	if fail {
		f.n--
	}
	f.mu.Unlock()
	if f.hit != nil {
		f.hit <- struct{}{}
	}
	if fail {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: syscall.EMFILE}
	}
	return f.Listener.Accept()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLoopRetriesWithBackoff: after a run of EMFILE errors the loop still accepts, logs
// the episode once (and its end once), and the pauses between attempts grow.
func TestLoopRetriesWithBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	f := &failing{Listener: ln, n: n}
	logs := &syncBuffer{}
	got := make(chan net.Conn, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(ctx, f, zerolog.New(logs), "test", func(c net.Conn) { got <- c })
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	select {
	case sc := <-got:
		sc.Close()
	case <-time.After(30 * time.Second):
		t.Fatal("no connection accepted after the errors")
	}
	cancel()
	ln.Close()
	<-done

	log := logs.String()
	if k := strings.Count(log, "accepting connections failed"); k != 1 {
		t.Errorf("the episode was logged %d times, want once:\n%s", k, log)
	}
	if !strings.Contains(log, "too many open files") || !strings.Contains(log, `"failures":6`) {
		t.Errorf("log:\n%s", log)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	// Each pause at least doubles the first (5 ms): the n failures took at least
	// 5+10+20+40+80+160 ms, which a loop without back-off never takes.
	if d := f.calls[n].Sub(f.calls[0]); d < 315*time.Millisecond {
		t.Errorf("%d failed accepts retried within %v: no back-off", n, d)
	}
}

// TestLoopStopsOnClose: a closed listener ends the loop without a log line.
func TestLoopStopsOnClose(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(context.Background(), ln, zerolog.New(logs), "test", func(c net.Conn) { c.Close() })
	}()
	ln.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Loop did not return after Close")
	}
	if logs.String() != "" {
		t.Errorf("log: %s", logs.String())
	}
}

// TestLoopStopsOnCancelDuringBackoff: ending ctx interrupts a pause.
func TestLoopStopsOnCancelDuringBackoff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f := &failing{Listener: ln, n: 1 << 30, hit: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Loop(ctx, f, zerolog.Nop(), "test", func(c net.Conn) { c.Close() })
	}()
	for range 3 {
		<-f.hit
	}
	cancel()    // the loop is now in its pause after the third failure, or about to be
	go func() { // a last Accept may still come; do not leave it blocked
		for range f.hit {
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Loop did not return after cancel")
	}
	close(f.hit)
}
