package muc

import (
	"strings"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// maxPendingLeaves bounds the rooms whose LEAVE_ROOM the network has not confirmed yet.
const maxPendingLeaves = 64

// A client that leaves a room and joins it again at once races the network: the
// backend's confirmation of the leave (our own participant, unavailable) can arrive after
// the new join was asked for, and would end the new membership at once. So the nick of a
// LEAVE_ROOM is remembered until the network confirms it, or until the next join's own
// available participant shows the leave is over (frames of one backend arrive in order).
// Spectrum 2 has the same race; it does not guard against it.

// leaveSent remembers the LEAVE_ROOM just sent for rm.
func (u User) leaveSent(rm *room) {
	key := jidmap.Key(rm.legacy)
	if _, ok := u.st.leaving[key]; !ok && len(u.st.leaving) >= maxPendingLeaves {
		return // past the bound a late confirmation may end a quick re-join, as before
	}
	if u.st.leaving == nil {
		u.st.leaving = make(map[string]string)
	}
	u.st.leaving[key] = rm.nick
}

// staleLeave reports whether p, a frame for room legacy, is the network's late
// confirmation of our own earlier leave, to be ignored; rm is the room as joined now
// (nil: not joined). Any frame for our own participant ends the wait.
func (u User) staleLeave(legacy string, rm *room, p *pb.Participant) bool {
	key := jidmap.Key(legacy)
	nick, ok := u.st.leaving[key]
	if !ok {
		return false
	}
	self := strings.EqualFold(p.GetNickname(), nick) || p.GetFlag()&flagMe != 0 ||
		rm != nil && strings.EqualFold(p.GetNickname(), rm.nick)
	if !self {
		return false
	}
	delete(u.st.leaving, key)
	gone := p.GetStatus() == pb.StatusType_STATUS_NONE && p.GetFlag()&(flagKicked|flagBanned) == 0
	return gone
}
