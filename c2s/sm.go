package c2s

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// smState is a session's stream management (XEP-0198) state, guarded by Session.mu.
// Counters are uint32: h wraps at 2^32 (XEP-0198 section 4).
type smState struct {
	enabled   bool
	resumable bool
	id        string // unguessable resumption id; "" when not resumable
	counting  bool   // <enabled/> or <resumed/> was handed to the writer: stanzas count
	outH      uint32 // stanzas handed to the writer since counting began (mod 2^32)
	ackedH    uint32 // the last h the client acknowledged
	// unacked holds the stanzas the client has not acknowledged, serialised: kept for a
	// resumption that may never come, a stanza costs its size on the wire rather than its
	// element tree (issue 13 budgets memory per session). The rare paths that need the
	// elements again (resumption, undelivered stanzas) parse them back.
	unacked      [][]byte
	unackedBytes int // the size of unacked, counted against Config.SessionSendBytes
	sinceReq     int // stanzas since our last <r/>
	ackTimer     *time.Timer
	hibTimer     *time.Timer // runs while hibernated
	detached     bool        // hibernated: broken connection, waiting for <resume/>
}

// count goes through a batch about to be written: stanzas after <enabled/> or <resumed/>
// are counted and kept until acknowledged, and an <r/> is appended every AckEvery stanzas.
func (sm *smState) count(s *Session, batch []*xmpp.Element) []*xmpp.Element {
	if !sm.enabled {
		return batch
	}
	var kept []*xmpp.Element
	for _, el := range batch {
		switch {
		case el.Is(xmpp.NSSM, "enabled") || el.Is(xmpp.NSSM, "resumed"):
			sm.counting = true
		case sm.counting && isStanza(el):
			sm.outH++
			sm.sinceReq++
			kept = append(kept, el)
		}
	}
	sm.keepUnacked(kept)
	if sm.sinceReq >= s.srv.cfg.SM.AckEvery && len(sm.unacked) > 0 {
		sm.sinceReq = 0
		batch = append(batch, xmpp.New(xmpp.NSSM, "r"))
	}
	if len(sm.unacked) > 0 && sm.ackTimer == nil {
		sm.ackTimer = time.AfterFunc(s.srv.cfg.SM.AckAfter, s.ackTimeout)
	}
	return batch
}

// ackTimeout asks for an ack when stanzas stayed unacknowledged for AckAfter.
func (s *Session) ackTimeout() {
	s.mu.Lock()
	s.sm.ackTimer = nil
	c := s.conn
	if c == nil || s.closed || len(s.sm.unacked) == 0 {
		s.mu.Unlock()
		return
	}
	s.sm.sinceReq = 0
	s.pushLocked(xmpp.New(xmpp.NSSM, "r"))
	s.mu.Unlock()
	c.kick()
}

// stopTimers stops the ack and hibernation timers; Session.mu is held.
func (sm *smState) stopTimers() {
	if sm.ackTimer != nil {
		sm.ackTimer.Stop()
		sm.ackTimer = nil
	}
	if sm.hibTimer != nil {
		sm.hibTimer.Stop()
		sm.hibTimer = nil
	}
}

// ack applies the client's h (XEP-0198 section 4): acknowledged stanzas leave the queue.
// ok is false when h acknowledges more than was sent (section 6: handled-count-too-high).
func (sm *smState) ack(h uint32) (ok bool) {
	n := h - sm.ackedH // modulo 2^32
	if uint64(n) > uint64(len(sm.unacked)) {
		return false
	}
	for _, b := range sm.unacked[:n] {
		sm.unackedBytes -= len(b)
	}
	clear(sm.unacked[:n])
	sm.unacked = sm.unacked[n:]
	if len(sm.unacked) == 0 {
		sm.unacked, sm.unackedBytes = nil, 0
		if sm.ackTimer != nil {
			sm.ackTimer.Stop()
			sm.ackTimer = nil
		}
	}
	sm.ackedH = h
	return true
}

// undeliveredLocked is what the client never acknowledged, then what it never got: the
// queue and the stanzas held back by CSI. s.mu is held.
func (s *Session) undeliveredLocked() []*xmpp.Element {
	s.sm.stopTimers()
	// Without stream management unacked holds what an overflow or a failed write left,
	// and the queue what a broken connection never wrote.
	out := s.parseUnacked()
	out = append(out, stanzasOf(s.queue)...)
	out = append(out, s.csi.flush()...)
	s.sm.unacked, s.sm.unackedBytes = nil, 0
	s.setQueueLocked(nil)
	return out
}

// keepUnacked adds stanzas to the unacknowledged ones, serialised, each in a slice of its
// exact size (no append slack kept for minutes).
func (sm *smState) keepUnacked(els []*xmpp.Element) {
	var scratch []byte
	for _, el := range els {
		scratch = el.AppendXML(scratch[:0], xmpp.NSClient)
		sm.unacked = append(sm.unacked, bytes.Clone(scratch))
		sm.unackedBytes += len(scratch)
	}
}

// parseUnacked returns the unacknowledged stanzas as elements again. They were serialised
// by us, so a failure is a bug: it is logged, and the stanzas before it are kept.
func (s *Session) parseUnacked() []*xmpp.Element {
	if len(s.sm.unacked) == 0 {
		return nil
	}
	size := 0
	for _, b := range s.sm.unacked {
		size += len(b)
	}
	src := make([]io.Reader, 0, len(s.sm.unacked)+1)
	src = append(src, strings.NewReader(unackedHeader))
	for _, b := range s.sm.unacked {
		src = append(src, bytes.NewReader(b))
	}
	rd := xmpp.NewReader(io.MultiReader(src...), xmpp.Limits{MaxStanzaBytes: int64(size) + 1, MaxDepth: 1 << 10})
	if _, err := rd.StreamHeader(); err != nil {
		s.srv.log.Error().Err(err).Str("jid", s.jid.String()).Msg("unacknowledged stanzas unreadable")
		return nil
	}
	out := make([]*xmpp.Element, 0, len(s.sm.unacked))
	for range s.sm.unacked {
		el, err := rd.Next()
		if err != nil {
			s.srv.log.Error().Err(err).Str("jid", s.jid.String()).Int("lost", len(s.sm.unacked)-len(out)).
				Msg("unacknowledged stanzas unreadable")
			break
		}
		out = append(out, el)
	}
	return out
}

// unackedHeader opens the stream the serialised stanzas are parsed in: they were written
// with jabber:client as the default namespace.
const unackedHeader = "<stream:stream xmlns='" + xmpp.NSClient + "' xmlns:stream='" + xmpp.NSStream + "'>"

// newSMID returns a resumption id of 144 random bits (the issue asks for at least 128).
func newSMID() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// smFailed is <failed/> with a stanza error condition (XEP-0198 sections 3 and 6) and,
// when known, the last h the server handled.
func smFailed(cond string, h *uint32) *xmpp.Element {
	f := xmpp.New(xmpp.NSSM, "failed")
	if h != nil {
		f.SetAttr("h", strconv.FormatUint(uint64(*h), 10))
	}
	return f.Append(xmpp.New(xmpp.NSStanzas, cond))
}

// parseH parses an h attribute: an unsigned 32-bit integer.
func parseH(el *xmpp.Element) (uint32, bool) {
	n, err := strconv.ParseUint(el.Attr("h"), 10, 32)
	return uint32(n), err == nil
}

// tooHigh is the stream error of XEP-0198 section 6 for an h acknowledging more stanzas
// than were sent.
func tooHigh(h, sent uint32) *smStreamError {
	return &smStreamError{
		StreamError: xmpp.StreamError{Condition: xmpp.CondUndefinedCondition, Text: "h acknowledges more stanzas than were sent"},
		app: xmpp.New(xmpp.NSSM, "handled-count-too-high",
			"h", strconv.FormatUint(uint64(h), 10), "send-count", strconv.FormatUint(uint64(sent), 10)),
	}
}

// smStreamError is a stream error with an application-specific condition element.
type smStreamError struct {
	xmpp.StreamError
	app *xmpp.Element
}

func (e *smStreamError) Error() string { return e.StreamError.Error() }
