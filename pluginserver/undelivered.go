package pluginserver

import (
	"fmt"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// track records a fenced frame that was written to b for user and sends a fence PING if
// none is outstanding. The frame is recorded only after its write returned, so a PING
// decided afterwards is behind it on the wire. If b died meanwhile (fail has already
// handed back what it knew), the frame is not recorded and an error wrapping
// ErrNoBackend is returned, so the caller answers the stanza itself.
func (s *Server) track(b *backend, user string, f protocol.Frame) error {
	s.mu.Lock()
	if b.state == stateDead {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s ended before it confirmed %v for %s", ErrNoBackend, b.name, f.Type, user)
	}
	ping, dropped := b.fence.add(user, f)
	off := ping && b.fence.pingSent()
	s.mu.Unlock()
	if dropped {
		b.log.Warn().Int("limit", maxUnconfirmed).Msg("too many unconfirmed frames; new ones are not kept until the backend answers PING")
	}
	s.fenceWritten(b, ping && !off, off)
	return nil
}

// onPong confirms the frames covered by the oldest outstanding PING and, when frames
// written meanwhile are still unconfirmed, sends the next fence PING. The PING is written
// from its own goroutine: the reader must not wait for a write to a backend that may be
// busy writing to us.
func (s *Server) onPong(b *backend) {
	s.mu.Lock()
	ping := b.state == stateReady && b.fence.pong()
	off := ping && b.fence.pingSent()
	s.mu.Unlock()
	if ping && !off {
		s.wg.Go(func() { s.fenceWritten(b, true, false) })
		return
	}
	s.fenceWritten(b, false, off)
}

// fenceWritten writes a fence PING when ping is set and logs when fencing was switched off.
// A failed write is only logged: a broken connection is noticed by the reader or the
// keepalive, whose own writes fail the same way.
func (s *Server) fenceWritten(b *backend, ping, off bool) {
	if off {
		b.log.Warn().Int("unanswered", maxOutstandingPings).Msg("backend does not answer PING; undelivered stanzas can no longer be detected for it")
	}
	if !ping {
		return
	}
	if err := b.w.WriteFrame(protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_PING, nil)); err != nil {
		b.log.Debug().Err(err).Msg("writing fence PING")
	}
}

// byUser groups unconfirmed frames by user, keeping their order.
func byUser(lost []sentFrame) map[string][]sentFrame {
	if len(lost) == 0 {
		return nil
	}
	out := make(map[string][]sentFrame)
	for _, sf := range lost {
		out[sf.user] = append(out[sf.user], sf)
	}
	return out
}

// handBack gives the Handler the unconfirmed frames of user, in the order they were sent,
// when it implements UndeliveredHandler; otherwise they are only counted in the log.
func (s *Server) handBack(b *backend, user string, lost []sentFrame) {
	if len(lost) == 0 {
		return
	}
	b.log.Info().Str("user", user).Int("frames", len(lost)).Bool("handed_back", s.undelivered != nil).
		Msg("frames the backend never confirmed")
	if s.undelivered == nil {
		return
	}
	for _, sf := range lost {
		m, err := protocol.Decode(sf.f)
		if err != nil || m == nil {
			b.log.Error().Err(err).Stringer("type", sf.f.Type).Msg("decoding an undelivered frame")
			continue
		}
		s.undelivered.HandleUndelivered(user, sf.f.Type, m)
	}
}
