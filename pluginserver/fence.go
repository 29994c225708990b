package pluginserver

import (
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// UndeliveredHandler is an optional interface of a Handler. When a backend dies, every
// frame carrying a client stanza that the backend was sent but had not provably read is
// handed back through it, before the user's DISCONNECTED, in the order it was sent, so
// that the stanza is answered with an error instead of being lost in silence (spec 2.6).
// It is called on whichever goroutine noticed the death and must not block.
type UndeliveredHandler interface {
	HandleUndelivered(user string, t pbnetwork.WrapperMessage_Type, m proto.Message)
}

// Bounds of the fence bookkeeping (see doc.go, "Undelivered stanzas").
const (
	// maxUnconfirmed is how many unconfirmed frames a backend keeps; past it, new frames
	// are not kept (and could be lost in silence) until PONGs confirm older ones.
	maxUnconfirmed = 10000
	// maxOutstandingPings: a backend with that many unanswered PINGs does not answer PINGs
	// at all (the keepalive accepts any frame); fencing is switched off for it.
	maxOutstandingPings = 64
)

// fenced is the set of frame types that carry a client's stanza: losing one of them must
// be answered to the client. Typing notifications, STATUS_CHANGED and LEAVE_ROOM are not
// kept: a re-login restores the presence and losing a typing state is harmless.
var fenced = map[pbnetwork.WrapperMessage_Type]bool{
	pbnetwork.WrapperMessage_TYPE_CONV_MESSAGE:         true,
	pbnetwork.WrapperMessage_TYPE_ATTENTION:            true,
	pbnetwork.WrapperMessage_TYPE_VCARD:                true,
	pbnetwork.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED: true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_CHANGED:        true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_REMOVED:        true,
	pbnetwork.WrapperMessage_TYPE_JOIN_ROOM:            true,
}

// sentFrame is a fenced frame written to a backend and not yet confirmed.
type sentFrame struct {
	seq  uint64
	user string
	f    protocol.Frame // encoded once: immutable, unlike the caller's message
}

// fence tracks which frames a backend has provably read. Backends read frames in order and
// answer every PING with a PONG in order (spec 1.5), so the k-th PONG proves that the
// backend has read everything written before the k-th PING. Guarded by Server.mu.
//
// Frames are added when they are queued for the backend, and each PING records, when it
// is queued, the sequence number of the next frame, all under Server.mu: the outbound
// queue keeps that order on the wire (outq.go), so everything a PING covers is ahead of
// it, and the k-th PONG answers the k-th recorded PING.
type fence struct {
	pending    []sentFrame // unconfirmed, in write order
	next       uint64      // seq of the next frame added
	pings      []uint64    // per outstanding PING, oldest first: frames with seq < it are covered
	overflowed bool        // frames were not kept since the last time pending was below the bound
	off        bool        // the backend does not answer PINGs: nothing is tracked
}

// add records a frame written to the backend. It returns whether a fence PING must be
// sent (none is outstanding: coalescing, one at a time) and whether the frame was not kept
// because the bound is reached (reported once per episode).
func (fc *fence) add(user string, f protocol.Frame) (ping, dropped bool) {
	if fc.off {
		return false, false
	}
	if len(fc.pending) >= maxUnconfirmed {
		dropped = !fc.overflowed
		fc.overflowed = true
		return len(fc.pings) == 0, dropped
	}
	fc.pending = append(fc.pending, sentFrame{seq: fc.next, user: user, f: f})
	fc.next++
	return len(fc.pings) == 0, false
}

// pingSent records a PING about to be written (every PING, keepalive or fence, so that
// PONGs stay matched). It reports whether fencing was just switched off because the
// backend leaves PINGs unanswered.
func (fc *fence) pingSent() (switchedOff bool) {
	if fc.off {
		return false
	}
	if len(fc.pings) >= maxOutstandingPings {
		fc.off = true
		fc.pending, fc.pings = nil, nil
		return true
	}
	fc.pings = append(fc.pings, fc.next)
	return false
}

// pong confirms the oldest outstanding PING and drops the frames it covers. It returns
// whether another fence PING must be sent: frames written while that PING was outstanding
// are still unconfirmed and no other PING is on its way.
func (fc *fence) pong() (ping bool) {
	if fc.off || len(fc.pings) == 0 {
		return false // e.g. a PONG for the PING sent before the backend was identified
	}
	covers := fc.pings[0]
	fc.pings = fc.pings[1:]
	if len(fc.pings) == 0 {
		fc.pings = nil // release the backing array when idle
	}
	n := 0
	for n < len(fc.pending) && fc.pending[n].seq < covers {
		n++
	}
	if n > 0 {
		clear(fc.pending[:n])
		fc.pending = fc.pending[n:]
	}
	if len(fc.pending) == 0 {
		fc.pending = nil
		fc.overflowed = false
	} else if len(fc.pending) < maxUnconfirmed {
		fc.overflowed = false
	}
	return len(fc.pending) > 0 && len(fc.pings) == 0
}

// take returns the unconfirmed frames and forgets them (the backend died).
func (fc *fence) take() []sentFrame {
	out := fc.pending
	fc.pending, fc.pings = nil, nil
	return out
}

// unconfirmed is the number of frames kept, for tests and stats.
func (fc *fence) unconfirmed() int { return len(fc.pending) }
