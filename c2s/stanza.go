package c2s

import (
	"strconv"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// idleHandoff: a reader quiet this long goes on in a fresh goroutine. Reading, decrypting
// and handing on stanzas grow a goroutine's stack to 4 or 8 KB, and the runtime never
// shrinks it back to its smallest size (2 KB) while a parked reader is on it; a fresh
// goroutine that only waits for the socket keeps the smallest one (idle.go).
const idleHandoff = 2 * time.Second

// readState is the reader loop's state, carried over to the goroutine it hands off to.
type readState struct {
	pinged   bool      // a ping is out, unanswered
	deadline time.Time // the end of the current ping interval; zero: not started
	fresh    bool      // started by a handoff, nothing read yet: no further handoff
	waited   bool      // idleWait has waited for the socket already, with result waitErr
	waitErr  error
}

// idleWait is the start of a handed-off reader: it waits for the socket (the read
// deadline is set) with as little stack as it can, then goes on reading.
func (c *conn) idleWait(st readState) {
	st.waitErr = waitReadable(c.raw)
	st.waited = true
	c.readLoop(st)
}

// readLoop reads the stanzas of a bound session. It runs in a goroutine of its own,
// started after negotiation, and ends the connection when it returns, unless it handed
// reading to a fresh goroutine.
func (c *conn) readLoop(st readState) {
	handedOff := false
	defer func() {
		if v := recover(); v != nil {
			c.panicked(v) // panic.go: this connection ends, the daemon goes on
			handedOff = false
		}
		if !handedOff {
			c.finishOnce()
		}
	}()
	interval := c.srv.cfg.PingInterval
	for {
		if st.deadline.IsZero() {
			st.deadline = time.Now().Add(interval)
		}
		wake, err := st.deadline, st.waitErr
		if !st.waited {
			idle := c.raw != nil && !c.inputBuffered()
			if handoff := time.Now().Add(c.srv.cfg.idleHandoff); idle && !st.fresh && handoff.Before(wake) {
				wake = handoff
			}
			c.setReadDeadline(wake)
			if idle {
				err = waitReadable(c.raw)
			}
		}
		st.waited, st.waitErr = false, nil
		if err == nil {
			err = c.rd.WaitInput()
		}
		switch {
		case err != nil && isTimeout(err) && !c.isClosing() && wake.Before(st.deadline):
			c.setReadDeadline(st.deadline)
			st.fresh = true
			handedOff = true
			c.rd.Release() // nothing is buffered: the XML reader's buffers wait in no session
			if !c.srv.idle.park(c, st, st.deadline) {
				go c.idleWait(st)
			}
			return
		case err != nil && isTimeout(err) && !c.isClosing():
			if st.pinged {
				// XEP-0199 section 4.2: no traffic for a whole interval after the ping.
				c.closeStream(xmpp.CondConnectionTimeout, "no answer to ping")
				return
			}
			c.sendPing()
			st = readState{pinged: true}
			continue
		case err != nil:
			c.fail(err)
			return
		}
		st = readState{}
		if !c.rd.SkipBufferedSpace() {
			continue // a whitespace keepalive
		}
		el, err := c.rd.Next()
		if err != nil {
			c.fail(err)
			return
		}
		c.throttle(c.ctx, el)
		if err := c.handleStanza(el); err != nil {
			c.fail(err)
			return
		}
	}
}

// sendPing sends a XEP-0199 ping to the silent client.
func (c *conn) sendPing() {
	c.pingCount++
	c.pingID = "c2s-ping-" + strconv.Itoa(c.pingCount)
	sess := c.session()
	if sess == nil {
		return
	}
	_ = sess.Send(xmpp.New(xmpp.NSClient, "iq", "type", "get", "id", c.pingID,
		"from", c.srv.cfg.Domain, "to", sess.jid.String()).Append(xmpp.New(xmpp.NSPing, "ping")))
}

func (c *conn) session() *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// handleStanza checks one stanza of a bound session, stamps from with the session's full
// JID (spec 3.2, ServerStanzaChannel.cpp:156) and hands it to the router.
func (c *conn) handleStanza(el *xmpp.Element) error {
	sess := c.session()
	if sess == nil || !sess.ownedBy(c) {
		return errEnded // the session was resumed on another connection
	}
	switch {
	case el.Space == xmpp.NSSM:
		return c.smElement(sess, el)
	case el.Space == xmpp.NSCSI && (el.Local == "active" || el.Local == "inactive"):
		sess.setActive(el.Local == "active")
		return nil
	case !isStanza(el):
		return &xmpp.StreamError{Condition: xmpp.CondUnsupportedStanzaType, Text: "<" + el.Local + "/> is not a stanza"}
	}
	sess.received.Add(1) // XEP-0198 counts every stanza, also those the stream answers
	if el.Local == "iq" && c.handleOwnIQ(sess, el) {
		return nil
	}
	if to := el.To(); to != "" {
		if _, err := jid.Parse(to); err != nil {
			// RFC 6120 section 8.3.3.8; errors and results are never answered with errors.
			if el.Local != "iq" || el.Type() != "result" {
				c.reply(sess, el, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed)
			}
			return nil
		}
	}
	el.SetAttr("from", sess.jid.String())
	if p, ok := c.handler.(Pacer); ok {
		p.Room(c.ctx) // back-pressure: the socket is not read meanwhile
	}
	c.handler.HandleStanza(el)
	return nil
}

// handleOwnIQ answers the IQs that belong to the stream rather than to the router: the
// answer to our ping, the legacy session establishment (RFC 3921 section 3, optional per
// RFC 6121 appendix E) and a second bind.
func (c *conn) handleOwnIQ(sess *Session, iq *xmpp.Element) bool {
	typ := iq.Type()
	if typ == "result" || typ == "error" {
		return c.pingID != "" && iq.ID() == c.pingID && (iq.To() == "" || iq.To() == c.srv.cfg.Domain)
	}
	if iq.To() != "" && iq.To() != c.srv.cfg.Domain {
		return false
	}
	switch {
	case typ == "set" && iq.Child(xmpp.NSSession, "session") != nil:
		_ = sess.Send(xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID()))
		return true
	case iq.Child(xmpp.NSBind, "bind") != nil:
		c.reply(sess, iq, xmpp.ErrTypeCancel, xmpp.StanzaNotAllowed)
		return true
	}
	return false
}

// reply sends the error answer to a stanza of the client, from the server.
func (c *conn) reply(sess *Session, el *xmpp.Element, errType, cond string) {
	r := xmpp.ErrorReply(el, errType, cond, "")
	if r == nil {
		return
	}
	r.SetAttr("from", c.srv.cfg.Domain)
	r.SetAttr("to", sess.jid.String())
	_ = sess.Send(r)
}
