package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"
)

// smClient is the client side of stream management (XEP-0198, urn:xmpp:sm:3): the
// resumption id and h, the stanzas handled since <enabled/>.
type smClient struct {
	on      atomic.Bool   // <enabled/> (or <resumed/>) was read: stanzas count
	h       atomic.Uint32 // stanzas handled, modulo 2^32 (XEP-0198 section 4)
	id      string        // resumption id from <enabled/>
	dropped atomic.Bool   // Drop closed the socket: the reader ends quietly

	// Guarded by Session.wmu: stanzas sent since <enable/>, and those the server has not
	// acknowledged yet, resent after <resumed/> (XEP-0198 section 5). The server's
	// acknowledgements come with <resumed/> only (the generator sends no <r/>), so the
	// queue is bounded instead of trimmed by <a/>: the bench sends few stanzas per SM session.
	out   uint32
	queue []sentStanzas
}

// sentStanzas is one write of n stanzas, the last of which was stanza number end.
type sentStanzas struct {
	end, n uint32
	b      []byte
}

// maxResend bounds the client's resend queue.
const maxResend = 64

// count adds el to h when it is a stanza read after <enabled/>.
func (sm *smClient) count(el []byte) {
	if !sm.on.Load() {
		return
	}
	switch string(Name(el)) {
	case "message", "presence", "iq":
		sm.h.Add(1)
	}
}

// enableSM asks for stream management with resumption and reads up to <enabled/>,
// answering what the server sends meanwhile.
func (s *Session) enableSM() error {
	if err := s.Send([]byte("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")); err != nil {
		return err
	}
	for {
		el, err := s.expectStanza()
		if err != nil {
			return err
		}
		switch string(Name(el)) {
		case "enabled":
			if s.sm.id = string(Attr(el, "id")); s.sm.id == "" {
				return fmt.Errorf("%w: <enabled/> without a resumption id: %.200q", ErrLogin, el)
			}
			s.sm.on.Store(true)
			return nil
		case "failed":
			return fmt.Errorf("%w: stream management refused: %.200q", ErrLogin, el)
		}
		s.handle(el)
	}
}

// SendStanzas writes b, which holds n stanzas, and keeps it for resending when stream
// management is on; it is safe from any goroutine.
func (s *Session) SendStanzas(b []byte, n uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.sm.on.Load() {
		s.sm.out += n
		if len(s.sm.queue) == maxResend {
			s.sm.queue = s.sm.queue[1:]
		}
		s.sm.queue = append(s.sm.queue, sentStanzas{end: s.sm.out, n: n, b: b})
	}
	if _, err := s.conn.Write(b); err != nil {
		return fmt.Errorf("writing: %w", err)
	}
	return nil
}

// resend writes, after <resumed h='...'/>, what the server had not received.
func (s *Session) resend(h uint32) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var keep []sentStanzas
	for _, q := range s.sm.queue {
		if int32(q.end-q.n-h) >= 0 { // none of its stanzas arrived (modulo 2^32)
			keep = append(keep, q)
			if _, err := s.conn.Write(q.b); err != nil {
				return fmt.Errorf("resending: %w", err)
			}
		}
	}
	s.sm.queue = keep
	return nil
}

// answerAckRequest answers the server's <r/> with the stanzas handled so far.
func (s *Session) answerAckRequest() {
	if s.sm.on.Load() {
		_ = s.Send([]byte("<a xmlns='urn:xmpp:sm:3' h='" + strconv.FormatUint(uint64(s.sm.h.Load()), 10) + "'/>"))
	}
}

// Handled is h: the stanzas this session handled since stream management was enabled.
func (s *Session) Handled() uint32 { return s.sm.h.Load() }

// Drop loses the connection like a phone does: the TCP socket closes with neither
// </stream:stream> nor a TLS close_notify. Serve then returns nil.
func (s *Session) Drop() {
	s.sm.dropped.Store(true)
	_ = s.tcp.Close()
}

// Resume reconnects a dropped session: TCP, STARTTLS, TLS, SASL, then <resume/> with its
// resumption id and h instead of bind (XEP-0198 section 5). The reader must have ended
// (Serve returned) and is started again by the caller.
func (s *Session) Resume(ctx context.Context, cfg *tls.Config) error {
	if s.sm.id == "" {
		return fmt.Errorf("%w: resume without stream management", ErrLogin)
	}
	a := s.acct
	var dl net.Dialer
	conn, err := dl.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", a.Addr, err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	s.wmu.Lock()
	s.conn, s.tcp, s.sc = conn, conn, NewScanner(conn, maxElement)
	s.wmu.Unlock()
	s.sm.dropped.Store(false)
	if err := s.resume(ctx, a, cfg); err != nil {
		conn.Close()
		return err
	}
	_ = s.conn.SetDeadline(time.Time{})
	return nil
}

func (s *Session) resume(ctx context.Context, a Account, cfg *tls.Config) error {
	if err := s.startTLS(ctx, a, cfg); err != nil {
		return err
	}
	if err := s.handshake(ctx, cfg); err != nil {
		return err
	}
	if err := s.auth(a); err != nil {
		return err
	}
	if _, err := s.open(a.Domain); err != nil {
		return err
	}
	req := fmt.Sprintf("<resume xmlns='urn:xmpp:sm:3' previd='%s' h='%d'/>", s.sm.id, s.sm.h.Load())
	if err := s.Send([]byte(req)); err != nil {
		return err
	}
	el, err := s.expect("resumed")
	if err != nil {
		return err
	}
	h, err := strconv.ParseUint(string(Attr(el, "h")), 10, 32)
	if err != nil {
		return fmt.Errorf("%w: <resumed/> without a valid h: %.200q", ErrLogin, el)
	}
	return s.resend(uint32(h))
}
