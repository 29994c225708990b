package muc

import "time"

// The self-presence of a join is held until the occupant list has settled (XEP-0045
// 7.2.3: the presence with status 110 is the last presence of the join; clients take it
// as "the room's occupants are all known"). Real backends do not report the user's own
// participant last: the C++ libcommuni backend reports it on the JOIN, before NAMES, and
// libpurple even before the IRC server confirmed the JOIN. Spectrum 2 forwards frames as
// they come (spec 3.12) and so sends 110 first; we differ: the self-presence waits for the
// backend's next frame for the room that is neither a participant nor the subject (a
// message), or for mucSettle without participant frames, bounded by mucSettleMax. Then
// it goes out, followed by the history and the subject (message.go).
//
// The subject does not end the hold: IRC sends RPL_TOPIC between the JOIN and NAMES, and
// the subject belongs after the self-presence anyway, so it is kept for the backlog.
const (
	mucSettle    = 500 * time.Millisecond
	mucSettleMax = 5 * time.Second
)

// selfHold is a self-presence waiting for the occupant list to settle; the participant
// itself is room.self.
type selfHold struct {
	timer *time.Timer
	start time.Time
	gen   int // timer generation: a timer that fired before a reset does nothing
}

// joining reports whether some occupant of rm waits for its self-presence.
func (rm *room) joining() bool {
	for _, occ := range rm.occupants {
		if !occ.joined {
			return true
		}
	}
	return false
}

// holdSelf holds the self-presence of rm, or restarts the quiet period of a held one.
func (u User) holdSelf(rm *room) {
	h := rm.hold
	if h == nil {
		h = &selfHold{start: time.Now()}
		rm.hold = h
	} else {
		h.timer.Stop()
	}
	h.gen++
	gen := h.gen
	d := min(mucSettle, max(mucSettleMax-time.Since(h.start), 0))
	h.timer = time.AfterFunc(d, func() {
		u.h.Post(func() {
			if rm.hold == h && h.gen == gen {
				u.releaseSelf(rm)
			}
		})
	})
}

// settling restarts the quiet period when a participant frame arrives during a hold.
func (u User) settling(rm *room) {
	if rm.hold != nil {
		u.holdSelf(rm)
	}
}

// releaseSelf sends a held self-presence now; without one it does nothing.
func (u User) releaseSelf(rm *room) {
	if rm.hold == nil {
		return
	}
	u.dropHold(rm)
	u.flushSelf(rm)
}

// dropHold forgets a held self-presence (the room is left, or it is sent).
func (u User) dropHold(rm *room) {
	if rm.hold != nil {
		rm.hold.timer.Stop()
		rm.hold = nil
	}
}
