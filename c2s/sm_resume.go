package c2s

import (
	"errors"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// errSessionGone: the session to resume ended meanwhile.
var errSessionGone = errors.New("c2s: session to resume has ended")

// smRegister makes a resumable session findable by its id.
func (s *Server) smRegister(sess *Session) {
	sess.mu.Lock()
	id := sess.sm.id
	sess.mu.Unlock()
	s.mu.Lock()
	s.smIDs[id] = sess
	s.mu.Unlock()
}

// smForget removes an ended session from the resumption registry.
func (s *Server) smForget(sess *Session) {
	sess.mu.Lock()
	id := sess.sm.id
	sess.mu.Unlock()
	if id == "" {
		return
	}
	s.mu.Lock()
	if s.smIDs[id] == sess {
		delete(s.smIDs, id)
	}
	s.mu.Unlock()
}

func (s *Server) smLookup(id string) *Session {
	if id == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.smIDs[id]
}

// resume takes over a hibernated or live session after a fresh SASL login (XEP-0198
// section 5). The login itself proved the password: the router's Authenticate grants a
// second login of a live legacy session only with the password it logged in with, so
// nothing here keeps a password. An unknown, expired or foreign id fails the same way
// (item-not-found), so that a client cannot probe other users' ids.
func (c *conn) resume(el *xmpp.Element) error {
	sess := c.srv.smLookup(el.Attr("previd"))
	if sess == nil || !sess.jid.Bare().Equal(c.user) {
		c.log.Info().Msg("resumption refused: unknown session id")
		return c.writeElement(smFailed(xmpp.StanzaItemNotFound, nil))
	}
	h, ok := parseH(el)
	if !ok {
		return c.writeElement(smFailed(xmpp.StanzaBadRequest, nil))
	}
	old, err := sess.takeOver(c, h)
	switch {
	case errors.Is(err, errSessionGone):
		return c.writeElement(smFailed(xmpp.StanzaItemNotFound, nil))
	case err != nil:
		return err
	}
	if c.grant != nil {
		c.grant.Release() // the resource is still bound: no new one is
		c.grant = nil
	}
	c.handler = sess.handler
	c.mu.Lock()
	c.sess = sess
	c.mu.Unlock()
	c.setLogContext("", sess.jid.String())
	c.log.Info().Bool("takeover", old != nil).Msg("session resumed")
	if old != nil {
		// A resume on a live connection takes over: the old one gets <conflict/>.
		old.release(sess)
		old.closeStream(xmpp.CondConflict, "the session was resumed on another connection")
	}
	c.kick()
	return errBound
}

// release forgets sess on a connection that lost it to a resumption.
func (c *conn) release(sess *Session) {
	c.mu.Lock()
	if c.sess == sess {
		c.sess = nil
	}
	c.mu.Unlock()
}

// takeOver moves the session to c: stanzas up to h are acknowledged, then <resumed/>,
// the stanzas the client never acknowledged and what was queued meanwhile go to c, in
// order. It returns the live connection it took the session from, if any.
func (s *Session) takeOver(c *conn, h uint32) (*conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.sm.resumable {
		return nil, errSessionGone
	}
	if !s.sm.ack(h) {
		return nil, tooHigh(h, s.sm.outH)
	}
	old := s.conn
	s.sm.stopTimers()
	s.sm.detached = false
	resumed := xmpp.New(xmpp.NSSM, "resumed", "previd", s.sm.id, "h", itoa(uint32(s.received.Load())))
	q := append([]*xmpp.Element{resumed}, s.parseUnacked()...)
	s.setQueueLocked(append(q, stanzasOf(s.queue)...))
	// The resent stanzas are counted again from the client's h.
	s.sm.unacked, s.sm.unackedBytes, s.sm.outH, s.sm.counting, s.sm.sinceReq = nil, 0, h, false, 0
	s.conn = c
	return old, nil
}
