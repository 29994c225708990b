package c2s

import (
	"context"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// refuseTimeout bounds how long a connection refused by a connection limit is kept for
// its stream header, after which it gets its stream error: refused connections must not
// hold sockets for a whole negotiation timeout.
const refuseTimeout = 5 * time.Second

// preauthLimits are the reader's limits until SASL succeeds: nothing a client sends before
// (stream header, STARTTLS, SASL PLAIN) needs more than a few hundred bytes.
func (s *Server) preauthLimits() xmpp.Limits {
	l := s.cfg.Limits
	if l.MaxStanzaBytes <= 0 || s.cfg.PreauthStanzaBytes < l.MaxStanzaBytes {
		l.MaxStanzaBytes = s.cfg.PreauthStanzaBytes
	}
	return l
}

// wireSize is the size of el as AppendXML writes it inside a stream whose default
// namespace is parent, less the growth of escaped characters: names, attributes, text
// and the markup around them. It allocates nothing, so that every Send can count bytes.
func wireSize(el *xmpp.Element, parent string) int {
	n := len(el.Local) + 3 // <local/>
	if len(el.Nodes) > 0 {
		n = 2*len(el.Local) + 5 // <local>...</local>
	}
	child := el.Space
	switch {
	case el.Space == xmpp.NSStream:
		n += 14 // the stream: prefix, twice
		child = parent
	case el.Space != parent:
		n += len(el.Space) + 9 // xmlns="..."
	}
	for _, a := range el.Attrs {
		n += len(a.Local) + len(a.Value) + 4
		switch a.Space {
		case "":
		case xmpp.NSXML:
			n += 4 // xml:
		default:
			n += len(a.Space) + 16 // xmlns:nsN="..." and the nsN: prefix
		}
	}
	for _, nd := range el.Nodes {
		if nd.Elem != nil {
			n += wireSize(nd.Elem, child)
		} else {
			n += len(nd.Text)
		}
	}
	return n
}

// sizeOf is the wire size of the elements of els.
func sizeOf(els []*xmpp.Element) int {
	n := 0
	for _, el := range els {
		n += wireSize(el, xmpp.NSClient)
	}
	return n
}

// tokenBucket is a session's stanza rate limit (like Ergo's fakelag): each stanza takes
// a token; past the burst the reader waits for the next one instead of reading, so a
// flooding client is slowed by TCP and none of its stanzas is dropped. It belongs to the
// connection's reader goroutine.
type tokenBucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newTokenBucket(rate float64, burst int, now time.Time) tokenBucket {
	return tokenBucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

// take takes a token at now and returns how long to wait until it is paid for (0: at
// once). A token taken in debt is paid by the refill during the wait.
func (b *tokenBucket) take(now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// throttle waits for a token before el is handled, when el counts: stanzas and the
// client's <r/> (each makes us answer); acks and CSI nonzas are free. The wait ends
// early when the connection closes.
func (c *conn) throttle(ctx context.Context, el *xmpp.Element) {
	if !isStanza(el) && !el.Is(xmpp.NSSM, "r") {
		return
	}
	d := c.bucket.take(time.Now())
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
