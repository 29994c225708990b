package c2s

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// Errors returned by Session.Send.
var (
	ErrSessionClosed = errors.New("c2s: session closed")
	ErrQueueFull     = errors.New("c2s: outgoing queue full, connection closed")
)

// Session is one bound resource. The router holds it through an interface of its own
// (JID, Send, Close). It is kept apart from its TCP connection, which attaches to it after
// bind, so that stream management (XEP-0198) can later keep a detached (hibernated)
// session queueing and move it to a new connection.
type Session struct {
	jid      jid.JID
	queueMax int
	handler  SessionHandler // set before the session is attached, then read-only

	// Stanza counters for stream management: received from the client, handed to the
	// connection for writing.
	received atomic.Uint64
	sent     atomic.Uint64

	mu     sync.Mutex
	conn   *conn           // nil while detached
	queue  []*xmpp.Element // stanzas not yet handed to the writer
	closed bool

	endOnce sync.Once
	ended   chan struct{}
}

func newSession(s *Server, full jid.JID) *Session {
	return &Session{jid: full, queueMax: s.cfg.QueueSize, ended: make(chan struct{})}
}

// JID is the session's full JID.
func (s *Session) JID() jid.JID { return s.jid }

// Send queues el for the client. It never blocks: the per-connection queue is bounded and
// an overflow closes the connection with policy-violation. The error is non-nil when the
// session is already closed or the queue overflowed.
func (s *Session) Send(el *xmpp.Element) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	if len(s.queue) >= s.queueMax {
		// The client does not read: drop what is queued so that our stream error is not
		// stuck behind it.
		clear(s.queue)
		s.queue, s.closed = nil, true
		c := s.conn
		s.mu.Unlock()
		if c != nil {
			c.closeStream(xmpp.CondPolicyViolation, "too many stanzas waiting for the client")
		}
		return ErrQueueFull
	}
	s.queue = append(s.queue, el)
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.kick()
	}
	return nil
}

// Close ends the session with a stream error (condition such as "conflict",
// "system-shutdown"; text may be empty), then </stream:stream> and close.
func (s *Session) Close(condition, text string) {
	s.mu.Lock()
	c := s.conn
	s.closed = true
	s.mu.Unlock()
	if c != nil {
		c.closeStream(condition, text)
	}
}

// enqueue queues el without waking a writer (used before the session is attached).
func (s *Session) enqueue(el *xmpp.Element) {
	s.mu.Lock()
	s.queue = append(s.queue, el)
	s.mu.Unlock()
}

// attach connects the session to c; false when the session was closed meanwhile.
func (s *Session) attach(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	return !s.closed
}

// take hands every queued stanza to the writer.
func (s *Session) take() []*xmpp.Element {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.queue
	s.queue = nil
	s.sent.Add(uint64(len(b)))
	return b
}

func (s *Session) markClosed() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// end tells the router, once, that the session is over.
func (s *Session) end() {
	s.endOnce.Do(func() {
		s.markClosed()
		if s.handler != nil {
			s.handler.Closed(nil)
		}
		close(s.ended)
	})
}

// waitEnded waits until the session has ended, at most d.
func (s *Session) waitEnded(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.ended:
	case <-t.C:
	}
}
