package router

// legacyState is where a user's legacy session stands (spec 3.3 to 3.5), as one state
// machine: the user's actor changes it only through fire, and legacyTransitions is the
// whole of its lifecycle. The usual path is idle, loggingIn, loginWritten, connected;
// CONNECTED may overtake the report that LOGIN was written (connectedEarly). A session
// lost after CONNECTED is logged out (lost) and logged in again (relogging,
// reloginWritten; spec 3.4). A LOGIN no backend took is refused. Every state ends in idle,
// and an idle user that nothing holds any more is forgotten (gone, for good); so is a user
// whose actor panicked, from wherever it stood.
//
// Timeouts and DISCONNECTED keep the state: their handlers choose between a re-login
// (lost) and the end of the session (end), whose side effects depend on what was owed.
type legacyState uint8

const (
	lsIdle           legacyState = iota // no legacy session; nothing is owed
	lsLoggingIn                         // first login: Backends.Login is handing LOGIN to a backend
	lsLoginWritten                      // first login: LOGIN is on the wire, CONNECTED awaited
	lsConnectedEarly                    // CONNECTED came before Backends.Login returned
	lsConnected                         // CONNECTED, and LOGIN was reported written
	lsLost                              // lost after CONNECTED and logged out; the re-login waits for its backoff
	lsRelogging                         // re-login: Backends.Login is handing LOGIN to a backend
	lsReloginWritten                    // re-login: LOGIN is on the wire, CONNECTED awaited
	lsRefused                           // no backend took LOGIN (so no LOGOUT is owed); the attempt is ending
	lsGone                              // removed from Router.users: posts must look the user up again
	numLegacyStates
)

var legacyStateNames = [numLegacyStates]string{"idle", "loggingIn", "loginWritten", "connectedEarly",
	"connected", "lost", "relogging", "reloginWritten", "refused", "gone"}

func (s legacyState) String() string {
	if s < numLegacyStates {
		return legacyStateNames[s]
	}
	return "legacyState(" + itoa(int(s)) + ")"
}

// legacyEvent is an input to the legacy-session state machine.
type legacyEvent uint8

const (
	evLogin        legacyEvent = iota // a LOGIN is started (startLogin)
	evWritten                         // Backends.Login returned: LOGIN is on the wire
	evRefused                         // Backends.Login failed: no backend took the user
	evConnected                       // CONNECTED
	evDisconnected                    // DISCONNECTED: the handler picks lost or end
	evTimeout                         // the login timeout fired: the attempt ends
	evLost                            // a re-login begins: the lost session was logged out
	evEnd                             // the legacy session ends (endSession): LOGOUT if owed
	evForget                          // nothing holds the user any more: it leaves Router.users
	numLegacyEvents
)

var legacyEventNames = [numLegacyEvents]string{"login", "written", "refused", "connected",
	"disconnected", "timeout", "lost", "end", "forget"}

func (e legacyEvent) String() string {
	if e < numLegacyEvents {
		return legacyEventNames[e]
	}
	return "legacyEvent(" + itoa(int(e)) + ")"
}

// legacyTransitions lists, per event, the states that take it and the state each leads
// to. A state missing from an event's row does not take the event; legacyIgnored says
// which of those are ordinary (a late frame of a session already logged out, a timer that
// lost a race) and which are impossible (a bug, logged as an error).
var legacyTransitions = [numLegacyEvents]map[legacyState]legacyState{
	evLogin: {
		lsIdle: lsLoggingIn,
		lsLost: lsRelogging, // the backoff is over (or there was none)
	},
	evWritten: {
		lsLoggingIn:      lsLoginWritten,
		lsConnectedEarly: lsConnected,
		lsRelogging:      lsReloginWritten,
	},
	evRefused: {
		lsLoggingIn: lsRefused,
		lsRelogging: lsRefused,
	},
	evConnected: {
		lsLoggingIn:      lsConnectedEarly,
		lsLoginWritten:   lsConnected,
		lsRelogging:      lsConnectedEarly,
		lsReloginWritten: lsConnected,
	},
	evDisconnected: {
		lsLoggingIn:      lsLoggingIn,
		lsLoginWritten:   lsLoginWritten,
		lsConnectedEarly: lsConnectedEarly,
		lsConnected:      lsConnected,
		lsRelogging:      lsRelogging,
		lsReloginWritten: lsReloginWritten,
	},
	evTimeout: {
		lsLoggingIn:      lsLoggingIn,
		lsLoginWritten:   lsLoginWritten,
		lsRelogging:      lsRelogging,
		lsReloginWritten: lsReloginWritten,
	},
	evLost: {
		lsConnectedEarly: lsLost,
		lsConnected:      lsLost,
		lsRelogging:      lsLost,
		lsReloginWritten: lsLost,
	},
	evEnd: {
		lsIdle:           lsIdle,
		lsLoggingIn:      lsIdle,
		lsLoginWritten:   lsIdle,
		lsConnectedEarly: lsIdle,
		lsConnected:      lsIdle,
		lsLost:           lsIdle,
		lsRelogging:      lsIdle,
		lsReloginWritten: lsIdle,
		lsRefused:        lsIdle,
		lsGone:           lsGone, // shutdown reaching a user that already left
	},
	evForget: { // from idle; from anywhere after a panic (panic.go), without LOGOUT
		lsIdle:           lsGone,
		lsLoggingIn:      lsGone,
		lsLoginWritten:   lsGone,
		lsConnectedEarly: lsGone,
		lsConnected:      lsGone,
		lsLost:           lsGone,
		lsRelogging:      lsGone,
		lsReloginWritten: lsGone,
		lsRefused:        lsGone,
	},
}

// legacyIgnored lists, per event, the states that do not take it in the ordinary course.
var legacyIgnored = [numLegacyEvents][]legacyState{
	// Stale outcomes are filtered by the login generation before they get here.
	evWritten: {lsIdle, lsGone},
	// The report of a LOGIN that CONNECTED overtook: the backend had it after all.
	evRefused: {lsConnectedEarly, lsIdle, lsGone},
	// A late or repeated frame: no LOGIN is out, or the session is up already.
	evConnected:    {lsIdle, lsConnectedEarly, lsConnected, lsLost, lsGone},
	evDisconnected: {lsIdle, lsLost, lsGone},
	// A timer that fired as CONNECTED arrived or the attempt ended.
	evTimeout: {lsIdle, lsConnectedEarly, lsConnected, lsLost, lsGone},
	evForget:  {lsGone},
}

// next is the state e leads to from s; ok is false when s does not take e, and ignored
// then tells an ordinary input from an impossible one.
func (s legacyState) next(e legacyEvent) (to legacyState, ok, ignored bool) {
	if e >= numLegacyEvents {
		return s, false, false
	}
	if to, ok := legacyTransitions[e][s]; ok {
		return to, true, false
	}
	for _, x := range legacyIgnored[e] {
		if x == s {
			return s, false, true
		}
	}
	return s, false, false
}

// owesLogout: Backends.Login was called for the current attempt, so a LOGOUT is owed,
// even if CONNECTED or DISCONNECTED overtakes its return.
func (s legacyState) owesLogout() bool {
	switch s {
	case lsLoggingIn, lsLoginWritten, lsConnectedEarly, lsConnected,
		lsRelogging, lsReloginWritten:
		return true
	}
	return false
}

// written: LOGIN is on the wire, so STATUS_CHANGED may follow (spec 3.3 step 3).
func (s legacyState) written() bool {
	return s == lsLoginWritten || s == lsConnected || s == lsReloginWritten
}

// reconnecting: CONNECTED was seen since the current chain of logins began, so a
// DISCONNECTED is a lost session (spec 3.4), not a failed login.
func (s legacyState) reconnecting() bool {
	switch s {
	case lsConnectedEarly, lsConnected, lsLost, lsRelogging, lsReloginWritten:
		return true
	}
	return false
}

// fire feeds e to the user's state machine and reports whether the state took it. An
// input the state does not take changes nothing; an impossible one is logged as a bug.
func (u *user) fire(e legacyEvent) bool {
	to, ok, ignored := u.ls.next(e)
	switch {
	case ok:
		u.ls = to
	case !ignored:
		u.r.log.Error().Str("jid", u.key).Stringer("state", u.ls).Stringer("event", e).
			Msg("impossible legacy session transition ignored")
	}
	return ok
}

// The views of the state that the rest of the router uses.

// removed reports whether the user left Router.users: a post that reaches it lost a race
// with the removal.
func (u *user) removed() bool { return u.ls == lsGone }

// legacyIdle reports whether no legacy session exists or is being set up.
func (u *user) legacyIdle() bool { return u.ls == lsIdle || u.ls == lsGone }

// legacyOnline reports whether the legacy session is up (CONNECTED).
func (u *user) legacyOnline() bool { return u.ls == lsConnectedEarly || u.ls == lsConnected }

// legacyLoggingIn reports whether a login or re-login is under way (CONNECTED awaited).
func (u *user) legacyLoggingIn() bool { return !u.legacyIdle() && !u.legacyOnline() }

// loginOnWire reports whether LOGIN is on the wire, so that STATUS_CHANGED may follow.
func (u *user) loginOnWire() bool { return u.ls.written() }
