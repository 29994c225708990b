package router

import (
	"fmt"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// PanicCounter is implemented by an Ops that counts panics the router contained.
// *metrics.Metrics implements it; without it a panic is only logged.
type PanicCounter interface {
	// Panicked is called once per contained panic; component is "router" or "c2s".
	Panicked(component string)
}

// panicText is what the user's streams and pending logins are told after a panic.
const panicText = "Internal error; please log in again."

// crashed runs on the user's actor after a closure posted to it panicked (mailbox.run).
// The user's state can no longer be trusted, so the user ends, alone: every resource gets
// internal-server-error, pending logins fail, the legacy session is logged out and the
// user leaves the registry, so that the next login starts afresh. Every other user and
// the daemon go on. The log line carries the stack; the panic is counted.
func (u *user) crashed(v any, stack []byte) {
	u.log.Error().Str("panic", fmt.Sprint(v)).Bytes("stack", stack).
		Msg("panic in the user's actor: the user's sessions are ended")
	if c, ok := u.r.ops().(PanicCounter); ok {
		c.Panicked("router")
	}
	for _, w := range u.waiters {
		select { // buffered 1: never blocks, even if the panic came after an answer
		case w.ch <- authResult{err: &c2s.AuthError{Condition: "temporary-auth-failure", Text: panicText}}:
		default:
		}
	}
	u.waiters = nil
	for _, rs := range u.resources {
		rs.res.Close(xmpp.CondInternalServerError, panicText)
	}
	u.resources = map[string]*resource{}
	u.grants = 0 // a grant still to bind finds the user gone
	if !u.endAfterPanic() {
		u.log.Error().Msg("ending the legacy session panicked too; the user is forgotten without LOGOUT")
	}
	u.maybeForget() // endSession forgets the user unless it panicked first
}

// endAfterPanic ends the legacy session as usual (LOGOUT, timers, room exits) and reports
// whether it could: the state that made the actor panic may make this panic too.
func (u *user) endAfterPanic() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	u.endSession()
	return true
}
