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
// bind, so that stream management (XEP-0198) can keep a detached (hibernated) session
// queueing and move it to a new connection.
type Session struct {
	srv      *Server
	jid      jid.JID
	queueMax int
	handler  SessionHandler // set before the session is attached, then read-only

	// received counts the client's stanzas; once stream management is enabled it is the
	// inbound h (XEP-0198 section 4). Written on the attached connection's reader only.
	received atomic.Uint64
	sent     atomic.Uint64 // stanzas handed to a connection for writing

	mu    sync.Mutex
	conn  *conn           // nil while detached
	queue []*xmpp.Element // stanzas and nonzas not yet handed to the writer
	// queued is the wire size of queue, inflight what the writer took and has not
	// written yet (less what stream management keeps in sm.unacked): with sm.unackedBytes
	// the bytes that count against Config.SessionSendBytes.
	queued, inflight int
	closed           bool
	sm               smState  // stream management (sm.go)
	csi              csiState // client state indication (csi.go)

	endOnce sync.Once
	ended   chan struct{}
}

func newSession(s *Server, full jid.JID) *Session {
	return &Session{srv: s, jid: full, queueMax: s.cfg.QueueSize, ended: make(chan struct{})}
}

// JID is the session's full JID.
func (s *Session) JID() jid.JID { return s.jid }

// Send queues el for the client. It never blocks: the queue is bounded and an overflow
// closes the connection with policy-violation (or ends a hibernated session). The error is
// non-nil when the session is already closed or the queue overflowed.
func (s *Session) Send(el *xmpp.Element) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrSessionClosed
	}
	s.csi.observe(el)
	if s.overflowLocked() || s.overBudgetLocked(xmpp.WireSize(el, xmpp.NSClient)) {
		return s.overflow() // unlocks
	}
	if s.csi.hold(el, s.srv.cfg.CSIMaxHeld) {
		s.mu.Unlock()
		return nil
	}
	s.pushLocked(s.csi.flush()...) // XEP-0352: what was held goes first
	s.pushLocked(el)
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.kick()
	}
	return nil
}

// overflowLocked reports whether one more stanza is too many: the connection's queue is
// full, or with stream management the stanzas the client has not acknowledged are.
func (s *Session) overflowLocked() bool {
	if s.conn != nil && len(s.queue) >= s.queueMax {
		return true
	}
	if s.sm.enabled {
		return len(s.queue)+len(s.sm.unacked)+s.csi.count >= s.srv.cfg.SM.MaxQueue
	}
	return s.conn == nil && len(s.queue) >= s.queueMax
}

// overBudgetLocked reports whether size more bytes would take what waits for the client
// past Config.SessionSendBytes. A stanza larger than the budget still goes to a client
// that has nothing waiting, so that one large vCard or roster does not end the stream.
func (s *Session) overBudgetLocked(size int) bool {
	pending := s.queued + s.inflight + s.sm.unackedBytes
	return pending > 0 && pending+size > s.srv.cfg.SessionSendBytes
}

// pushLocked queues els for the writer, counting their bytes; s.mu is held.
func (s *Session) pushLocked(els ...*xmpp.Element) {
	s.queue = append(s.queue, els...)
	s.queued += sizeOf(els)
}

// setQueueLocked replaces the queue; s.mu is held.
func (s *Session) setQueueLocked(q []*xmpp.Element) {
	s.queue, s.queued = q, sizeOf(q)
}

// overflow ends the session whose queue is full; s.mu is held and released here. The
// stanzas queued are kept for Closed(undelivered), as on any close, so that the router
// delivers the messages elsewhere or keeps them: the client does not read them.
func (s *Session) overflow() error {
	c, hibernated := s.conn, s.sm.detached && s.conn == nil
	s.sm.keepUnacked(stanzasOf(s.queue))
	s.setQueueLocked(nil)
	s.closed = true
	s.mu.Unlock()
	switch {
	case c != nil:
		c.closeStream(xmpp.CondPolicyViolation, "too much data waiting for the client")
	case hibernated:
		// XEP-0198: the queue of a hibernated session overflowed; it ends as on timeout.
		s.srv.log.Info().Str("jid", s.jid.String()).Msg("hibernated session queue overflowed")
		s.finish()
	}
	return ErrQueueFull
}

// Close ends the session with a stream error (condition such as "conflict",
// "system-shutdown"; text may be empty), then </stream:stream> and close. A hibernated
// session ends at once.
func (s *Session) Close(condition, text string) {
	s.mu.Lock()
	c := s.conn
	s.closed = true
	s.mu.Unlock()
	if c != nil {
		c.closeStream(condition, text)
		return
	}
	if s.isHibernated() {
		s.finish()
	}
}

// enqueue queues el without waking a writer (used before the session is attached).
func (s *Session) enqueue(el *xmpp.Element) {
	s.mu.Lock()
	s.pushLocked(el)
	s.mu.Unlock()
}

// attach connects the session to c; false when the session was closed meanwhile.
func (s *Session) attach(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = c
	return !s.closed
}

// ownedBy reports whether c is the connection the session is attached to.
func (s *Session) ownedBy(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn == c
}

// take hands every queued element to the writer of c (nothing when the session moved to
// another connection), counting stanzas for stream management. n is what the batch adds
// to inflight: the writer gives it back with written once the batch is written.
func (s *Session) take(c *conn) (batch []*xmpp.Element, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != c {
		return nil, 0
	}
	b, size := s.queue, s.queued
	s.setQueueLocked(nil)
	s.sent.Add(uint64(len(b)))
	kept := s.sm.unackedBytes
	batch = s.sm.count(s, b)
	n = max(0, size-(s.sm.unackedBytes-kept)) // what sm.unacked keeps is counted there
	s.inflight += n
	return batch, n
}

// written is the writer's report on a batch of take: its n bytes are no longer in
// flight. A batch that could not be written (err) is undelivered: without stream
// management its stanzas are kept for Closed, as the unacknowledged ones are with it.
// One stanza may then reach the client twice (a write that failed half way), rather
// than not at all.
func (s *Session) written(batch []*xmpp.Element, n int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight -= n
	if err != nil && !s.sm.enabled {
		s.sm.keepUnacked(stanzasOf(batch))
	}
}

func (s *Session) markClosed() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// finish unregisters a session that is over and tells the router.
func (s *Session) finish() {
	s.srv.unbind(s)
	s.srv.smForget(s)
	s.end()
}

// end tells the router, once, that the session is over, with the stanzas the client never
// acknowledged (stream management) or never got (held back by CSI).
func (s *Session) end() {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		undelivered := s.undeliveredLocked()
		s.mu.Unlock()
		if s.handler != nil {
			s.handler.Closed(undelivered)
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

// isStanza reports whether el is a stanza (RFC 6120 section 8), the unit XEP-0198 counts.
func isStanza(el *xmpp.Element) bool {
	return el.Space == xmpp.NSClient && (el.Local == "message" || el.Local == "presence" || el.Local == "iq")
}

// stanzasOf returns the stanzas of els, leaving out nonzas such as <r/> and <a/>.
func stanzasOf(els []*xmpp.Element) []*xmpp.Element {
	var out []*xmpp.Element
	for _, el := range els {
		if isStanza(el) {
			out = append(out, el)
		}
	}
	return out
}
