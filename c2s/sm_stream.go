package c2s

import (
	"strconv"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// smNegotiation answers a stream management element before bind: <enable/> needs a bound
// resource and <resume/> an authenticated stream (XEP-0198 section 6: unexpected-request).
func (c *conn) smNegotiation(el *xmpp.Element) error {
	if !c.srv.cfg.SM.Enabled {
		return &xmpp.StreamError{Condition: xmpp.CondUnsupportedStanzaType, Text: "stream management is not offered"}
	}
	switch {
	case el.Local == "resume" && c.authed:
		return c.resume(el)
	case el.Local == "enable" || el.Local == "resume":
		return c.writeElement(smFailed(xmpp.StanzaUnexpectedRequest, nil))
	}
	return nil // <r/> and <a/> before <enable/>: nothing is counted yet
}

// smElement handles a stream management element on a bound stream (XEP-0198).
func (c *conn) smElement(sess *Session, el *xmpp.Element) error {
	if !c.srv.cfg.SM.Enabled {
		return &xmpp.StreamError{Condition: xmpp.CondUnsupportedStanzaType, Text: "stream management is not offered"}
	}
	switch el.Local {
	case "enable":
		c.enable(sess, el)
	case "resume":
		h := uint32(sess.received.Load())
		sess.sendNonza(smFailed(xmpp.StanzaUnexpectedRequest, &h))
	case "r":
		sess.answerAckRequest()
	case "a":
		return sess.handleAck(el)
	}
	return nil
}

// enable turns stream management on (XEP-0198 section 3); a second <enable/> fails with
// unexpected-request. With resume='true' the session gets an unguessable id, registered
// under the session's bare JID so that only the same user can resume it.
func (c *conn) enable(sess *Session, el *xmpp.Element) {
	resume := el.Attr("resume") == "true" || el.Attr("resume") == "1"
	sess.mu.Lock()
	if sess.sm.enabled {
		h := uint32(sess.received.Load())
		sess.mu.Unlock()
		sess.sendNonza(smFailed(xmpp.StanzaUnexpectedRequest, &h))
		return
	}
	sess.sm.enabled = true
	sess.received.Store(0) // the inbound count starts with <enable/> (section 4)
	enabled := xmpp.New(xmpp.NSSM, "enabled")
	if resume {
		sess.sm.resumable = true
		sess.sm.id = newSMID()
		enabled.SetAttr("id", sess.sm.id)
		enabled.SetAttr("resume", "true")
		enabled.SetAttr("max", itoa(int(c.srv.cfg.SM.ResumeTimeout/time.Second)))
	}
	sess.pushLocked(enabled)
	sess.mu.Unlock()
	if resume {
		c.srv.smRegister(sess)
	}
	c.log.Debug().Bool("resume", resume).Msg("stream management enabled")
	c.kick()
}

// sendNonza queues a stream management element for the writer. Acks count against the
// byte budget too: a client that asks for acks without reading them is cut off.
func (s *Session) sendNonza(el *xmpp.Element) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.overBudgetLocked(xmpp.WireSize(el, xmpp.NSClient)) {
		_ = s.overflow() // unlocks
		return
	}
	s.pushLocked(el)
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.kick()
	}
}

// answerAckRequest answers <r/> with <a h='...'/>: the stanzas handled so far.
func (s *Session) answerAckRequest() {
	s.mu.Lock()
	enabled := s.sm.enabled
	s.mu.Unlock()
	if enabled {
		s.sendNonza(xmpp.New(xmpp.NSSM, "a", "h", itoa(uint32(s.received.Load()))))
	}
}

// handleAck applies the client's <a h='...'/>; an h that acknowledges more than was sent
// is the stream error of XEP-0198 section 6.
func (s *Session) handleAck(el *xmpp.Element) error {
	h, ok := parseH(el)
	if !ok {
		return &xmpp.StreamError{Condition: xmpp.CondInvalidXML, Text: "h must be an unsigned 32-bit integer"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sm.enabled {
		return nil
	}
	if !s.sm.ack(h) {
		return tooHigh(h, s.sm.outH)
	}
	return nil
}

// hibernate detaches a resumable session from its broken connection c (XEP-0198 section
// 5): the resource stays bound for the router, which keeps sending; stanzas queue until a
// <resume/> or until ResumeTimeout. false when the session cannot be kept.
func (s *Session) hibernate(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != c || s.closed || !s.sm.resumable {
		return false
	}
	s.conn = nil
	s.sm.detached = true
	s.sm.stopTimers()
	s.sm.hibTimer = time.AfterFunc(s.srv.cfg.SM.ResumeTimeout, s.hibernationTimeout)
	// What was queued for the dead writer stays queued for the next connection.
	return true
}

// hibernationTimeout ends a session nobody resumed in time.
func (s *Session) hibernationTimeout() {
	s.mu.Lock()
	expired := s.sm.detached && s.conn == nil && !s.closed
	if expired {
		s.closed = true
	}
	s.mu.Unlock()
	if expired {
		s.srv.log.Info().Str("jid", s.jid.String()).Msg("hibernated session timed out")
		s.finish()
	}
}

func (s *Session) isHibernated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm.detached && s.conn == nil
}

// canHibernate reports whether ending the stream with condition leaves the session to be
// resumed: the connection broke (read error, reset: no condition) or the client stopped
// answering pings (connection-timeout), and the client asked for resumption.
func (s *Session) canHibernate(condition string) bool {
	if condition != "" && condition != xmpp.CondConnectionTimeout {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sm.resumable
}

func itoa[T ~int | ~uint32 | ~uint64](n T) string {
	return strconv.FormatUint(uint64(n), 10)
}
