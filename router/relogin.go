package router

import (
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// DefaultReloginBackoff returns the default waits before the automatic re-logins after a
// lost legacy session: 2 s, 5 s and 10 s, about 17 s in all. A fresh slice each call, so
// that no caller can change another's default.
func DefaultReloginBackoff() []time.Duration {
	return []time.Duration{2 * time.Second, 5 * time.Second, 10 * time.Second}
}

// reloginDelay is the wait before automatic re-login attempt n (1-based) after a
// DISCONNECTED with code.
//
// Deliberate departure from spec 3.4: Spectrum 2 logs in again at once, three times, so
// that a legacy server restarting for a few seconds makes every attempt fail within
// milliseconds and throws every user out. We wait cfg.ReloginBackoff[n-1] instead, except
// for the first attempt after code 16: that is what pluginserver reports when our own
// backend died (spec 2.6), and a new backend is ready to take the user at once.
func (r *Router) reloginDelay(code int32, n int) time.Duration {
	if n == 1 && code == int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR) {
		return 0
	}
	return r.cfg.ReloginBackoff[n-1]
}

// reconnectable reports whether DISCONNECTED with code after a CONNECTED is worth another
// automatic login (spec 3.4: codes 0 and 16), and whether attempts are left.
func (u *user) reconnectable(code int32) bool {
	retry := code == int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR) ||
		code == int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR)
	return retry && u.relogins < len(u.r.cfg.ReloginBackoff)
}

// relogin logs the lost legacy session out and in again, invisibly to the client (spec
// 3.4), at once or after the backoff. While it waits (state lost) the user counts as
// logging in, as during the login itself: messages bounce with recipient-unavailable,
// presences and room joins are remembered for the new session, and new streams wait for
// CONNECTED.
func (u *user) relogin(code int32) {
	u.relogins++
	d := u.r.reloginDelay(code, u.relogins)
	u.log.Info().Int32("error", code).Int("attempt", u.relogins).Dur("delay", d).
		Msg("legacy session lost, logging in again")
	u.stopLogin()
	u.fire(evLost)
	u.r.backends.Logout(u.key, u.legacy) // the LOGOUT the lost session owed
	u.gen++                              // results and timers of the lost attempt are stale from now on
	if d <= 0 {
		u.startLogin()
		return
	}
	u.armBackoff(d, u.gen)
}

// armBackoff starts the wait before the next login. Following the actor model the timer
// only posts. It counts as a running actor while armed, so that Run, which stops it
// through shutdown, never returns before a firing timer has posted.
func (u *user) armBackoff(d time.Duration, gen int) {
	u.r.actors.Add(1)
	u.backoff = time.AfterFunc(d, func() {
		u.post(func() { u.backoffOver(gen) }) // counted before the Done below
		u.r.actors.Done()
	})
}

// stopBackoff disarms a pending wait (logout, last resource gone, shutdown, fatal path).
func (u *user) stopBackoff() {
	if u.backoff != nil && u.backoff.Stop() {
		u.r.actors.Done() // stopped before it fired: its callback will never run
	}
	u.backoff = nil
}

// backoffOver runs when the wait is over: the next attempt starts, unless the wait was
// cancelled meanwhile (gen moved on) or the router is stopping (shutdown is on its way).
func (u *user) backoffOver(gen int) {
	if gen != u.gen || u.ls != lsLost {
		return
	}
	u.backoff = nil
	if u.r.isClosed() {
		return
	}
	u.startLogin()
}
