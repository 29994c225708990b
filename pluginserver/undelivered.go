package pluginserver

import (
	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// trackLocked records a fenced frame just queued for user and queues a fence PING
// behind it if none is outstanding; s.mu is held. Frame and PING are queued in the order
// they are recorded, and the queue's order is the wire's (outq.go), so a PONG to that
// PING proves the backend read the frame. It reports whether the frame was not kept
// because the bound is reached (once per episode) and whether fencing was just switched
// off, for fenceWarn.
func (s *Server) trackLocked(b *backend, user string, f protocol.Frame) (dropped, off bool) {
	ping, dropped := b.fence.add(user, f)
	if ping {
		_, off = s.pingLocked(b)
	}
	return dropped, off
}

// pingLocked queues a PING for b and records it in the fence (every PING, keepalive or
// fence, so that PONGs stay matched); s.mu is held. A PING that finds the queue full
// even past the control reserve is not queued and not recorded: the backend is not
// taking frames, and its writer will find it hung. off reports that fencing was just
// switched off because the backend leaves PINGs unanswered.
func (s *Server) pingLocked(b *backend) (queued, off bool) {
	if err := s.queueLocked(b, protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_PING, nil), true); err != nil {
		b.log.Debug().Err(err).Msg("PING not queued")
		return false, false
	}
	return true, b.fence.pingSent()
}

// onPong confirms the frames covered by the oldest outstanding PING and, when frames
// queued meanwhile are still unconfirmed, queues the next fence PING (without waiting:
// the reader must never wait for the backend to read).
func (s *Server) onPong(b *backend) {
	s.mu.Lock()
	var off bool
	if b.state == stateReady && b.fence.pong() {
		_, off = s.pingLocked(b)
	}
	s.mu.Unlock()
	fenceWarn(b, false, off)
}

// fenceWarn logs what trackLocked and pingLocked reported.
func fenceWarn(b *backend, dropped, off bool) {
	if dropped {
		b.log.Warn().Int("limit", maxUnconfirmed).Msg("too many unconfirmed frames; new ones are not kept until the backend answers PING")
	}
	if off {
		b.log.Warn().Int("unanswered", maxOutstandingPings).Msg("backend does not answer PING; undelivered stanzas can no longer be detected for it")
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
