package pluginserver

import (
	"net"
	"time"

	"github.com/rs/zerolog"
)

// state is where a backend is in its life (spec 2.3, with explicit states instead of
// Spectrum 2's willDie/pongReceived flags).
type state int

const (
	stateStarting state = iota // spawned; its connection has not been identified yet
	stateReady                 // connected and identified; takes users while acceptUsers
	stateRetiring              // EXIT sent (idle or memory retirement); waiting for it to exit
	stateDead                  // gone; kept only by goroutines still finishing
)

func (st state) String() string {
	switch st {
	case stateStarting:
		return "starting"
	case stateReady:
		return "ready"
	case stateRetiring:
		return "retiring"
	default:
		return "dead"
	}
}

// backend is one spawned backend process and, once identified, its connection.
type backend struct {
	id     int
	name   string
	log    zerolog.Logger
	pid    int
	exited chan struct{} // closed once the process has been reaped
	// solo is the quarantined user this backend is reserved for ("": shared; quarantine.go).
	solo string

	// Guarded by Server.mu.
	state     state
	spawnedAt time.Time
	conn      net.Conn
	users     map[string]string // user -> legacy name
	// q is the outbound queue of the connection, drained by its writer (outq.go); nil
	// until the backend is identified.
	q *outq
	// pending are the users whose LOGIN was sent and who are not CONNECTED yet.
	pending     map[string]struct{}
	acceptUsers bool
	// pingOutstanding: a PING was sent and no frame arrived since (spec 2.5; any frame
	// counts as a PONG, spec 1.4).
	pingOutstanding bool
	// fence knows which fenced frames the backend has not provably read (fence.go).
	fence        fence
	idleSince    time.Time
	rss, initRes int32
	shared       int32
	timedOut     bool // killed for not connecting within SpawnTimeout
	// rawXML: this backend announced features.rawxml in its BACKEND_CONFIG (spec 3.21);
	// only then are its RAW_XML frames delivered.
	rawXML bool
	// configs counts its BACKEND_CONFIG frames (bounded by maxConfigFrames).
	configs int
}

// live reports whether the backend can carry frames for users.
func (b *backend) live() bool { return b.state == stateReady }

// reaped reports whether the process has been waited for.
func (b *backend) reaped() bool {
	select {
	case <-b.exited:
		return true
	default:
		return false
	}
}

// deadlineConn bounds every write to a connection not yet identified as a backend (the
// handshake PING) and to a QUERY client by writeTimeout; identified backends are written
// to by their writer goroutine (outq.go).
type deadlineConn struct{ net.Conn }

func (c deadlineConn) Write(p []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
