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

// sizeOf is the wire size of the elements of els.
func sizeOf(els []*xmpp.Element) int {
	n := 0
	for _, el := range els {
		n += xmpp.WireSize(el, xmpp.NSClient)
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

// take takes n tokens at now and returns how long to wait until they are paid for (0:
// at once). Tokens taken in debt are paid by the refill during the wait, so a stanza
// larger than what is left (or than the burst) passes after its wait, never refused.
func (b *tokenBucket) take(now time.Time, n float64) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens -= n
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// throttle waits for a token of the stanza rate and for el's bytes of the byte rate
// before el is handled, when el counts: stanzas and the client's <r/> (each makes us
// answer); acks and CSI nonzas are free. The wait ends early when the connection closes.
//
// The byte rate is Prosody's mod_limits and ejabberd's shaper: without it a session
// within its stanza rate sends 50 large stanzas a second (12 MiB/s at
// max_stanza_bytes), and a hundred of them take the daemon's CPU and memory from
// everyone else (docs/benchmarks.md, the abuse test).
func (c *conn) throttle(ctx context.Context, el *xmpp.Element) {
	if !isStanza(el) && !el.Is(xmpp.NSSM, "r") {
		return
	}
	now := time.Now()
	d := max(c.bucket.take(now, 1), c.byteBucket.take(now, float64(xmpp.WireSize(el, xmpp.NSClient))))
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
