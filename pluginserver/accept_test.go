package pluginserver

import (
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// emfileListener is the real backend listener failing its first n accepts with EMFILE,
// as accept(2) does when the daemon is out of descriptors: an injected OS failure.
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

// TestAcceptSurvivesEMFILE: the backend listener keeps accepting after a run of accept
// errors (it used to stop for good at the first), and logs the episode once.
func TestAcceptSurvivesEMFILE(t *testing.T) {
	h := startWith(t, Config{}, func(s *Server) { s.ln = &emfileListener{Listener: s.ln, n: 5} })
	h.login(t, "alice@localhost", "x")
	if k := strings.Count(h.logs.String(), "accepting connections failed"); k != 1 {
		t.Errorf("the accept errors were logged %d times, want once", k)
	}
}
