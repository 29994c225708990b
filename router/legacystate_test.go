package router

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"
)

// Outcomes of a (state, event) pair besides a target state.
const (
	ignored    = legacyState(200) // an ordinary input the state does not take
	impossible = legacyState(201) // not part of the lifecycle: logged as a bug
)

// legacyLifecycle is the lifecycle as the spec tells it, row by row; every pair that is
// not listed is impossible.
var legacyLifecycle = []struct {
	from legacyState
	ev   legacyEvent
	want legacyState
}{
	// Spec 3.3: the first login.
	{lsIdle, evLogin, lsLoggingIn},
	{lsLoggingIn, evWritten, lsLoginWritten},
	{lsLoginWritten, evConnected, lsConnected},
	{lsLoggingIn, evConnected, lsConnectedEarly}, // CONNECTED overtakes Backends.Login's return
	{lsConnectedEarly, evWritten, lsConnected},
	{lsLoggingIn, evRefused, lsRefused}, // no backend: temporary-auth-failure, no LOGOUT
	{lsConnectedEarly, evRefused, ignored},
	{lsLoggingIn, evTimeout, lsLoggingIn}, // the handler ends the attempt
	{lsLoginWritten, evTimeout, lsLoginWritten},
	{lsLoggingIn, evDisconnected, lsLoggingIn}, // a failed login: the handler ends it
	{lsLoginWritten, evDisconnected, lsLoginWritten},

	// Spec 3.4: a session lost after CONNECTED, and the re-login.
	{lsConnected, evDisconnected, lsConnected}, // the handler picks lost or end
	{lsConnectedEarly, evDisconnected, lsConnectedEarly},
	{lsConnected, evLost, lsLost},
	{lsConnectedEarly, evLost, lsLost},
	{lsLost, evLogin, lsRelogging},
	{lsRelogging, evWritten, lsReloginWritten},
	{lsRelogging, evConnected, lsConnectedEarly},
	{lsReloginWritten, evConnected, lsConnected},
	{lsRelogging, evRefused, lsRefused},
	{lsRelogging, evTimeout, lsRelogging},
	{lsReloginWritten, evTimeout, lsReloginWritten},
	{lsRelogging, evDisconnected, lsRelogging},
	{lsReloginWritten, evDisconnected, lsReloginWritten},
	{lsRelogging, evLost, lsLost}, // the next attempt of the chain
	{lsReloginWritten, evLost, lsLost},
	{lsLost, evDisconnected, ignored}, // logged out already: a late frame
	{lsLost, evConnected, ignored},
	{lsLost, evTimeout, ignored},

	// Late and repeated inputs.
	{lsIdle, evConnected, ignored},
	{lsIdle, evDisconnected, ignored},
	{lsIdle, evTimeout, ignored},
	{lsIdle, evWritten, ignored},
	{lsIdle, evRefused, ignored},
	{lsConnected, evConnected, ignored},
	{lsConnectedEarly, evConnected, ignored},
	{lsConnected, evTimeout, ignored},
	{lsConnectedEarly, evTimeout, ignored},

	// Spec 3.5: the end, from everywhere, and the user leaving the registry.
	{lsIdle, evEnd, lsIdle},
	{lsLoggingIn, evEnd, lsIdle},
	{lsLoginWritten, evEnd, lsIdle},
	{lsConnectedEarly, evEnd, lsIdle},
	{lsConnected, evEnd, lsIdle},
	{lsLost, evEnd, lsIdle},
	{lsRelogging, evEnd, lsIdle},
	{lsReloginWritten, evEnd, lsIdle},
	{lsRefused, evEnd, lsIdle},
	{lsIdle, evForget, lsGone},
	// A user whose actor panicked is forgotten from wherever it stood (panic.go).
	{lsLoggingIn, evForget, lsGone},
	{lsLoginWritten, evForget, lsGone},
	{lsConnectedEarly, evForget, lsGone},
	{lsConnected, evForget, lsGone},
	{lsLost, evForget, lsGone},
	{lsRelogging, evForget, lsGone},
	{lsReloginWritten, evForget, lsGone},
	{lsRefused, evForget, lsGone},

	// Gone is for good: posts that reach it lost a race with the removal.
	{lsGone, evEnd, lsGone},
	{lsGone, evForget, ignored},
	{lsGone, evConnected, ignored},
	{lsGone, evDisconnected, ignored},
	{lsGone, evTimeout, ignored},
	{lsGone, evWritten, ignored},
	{lsGone, evRefused, ignored},
}

func outcome(s legacyState, e legacyEvent) legacyState {
	to, ok, ign := s.next(e)
	switch {
	case ok:
		return to
	case ign:
		return ignored
	}
	return impossible
}

func outcomeName(s legacyState) string {
	switch s {
	case ignored:
		return "ignored"
	case impossible:
		return "impossible"
	}
	return s.String()
}

// TestLegacyTransitions checks every (state, event) pair against legacyLifecycle.
func TestLegacyTransitions(t *testing.T) {
	want := map[[2]int]legacyState{}
	for _, row := range legacyLifecycle {
		k := [2]int{int(row.from), int(row.ev)}
		if _, dup := want[k]; dup {
			t.Fatalf("row %v/%v listed twice", row.from, row.ev)
		}
		want[k] = row.want
	}
	for s := legacyState(0); s < numLegacyStates; s++ {
		for e := legacyEvent(0); e < numLegacyEvents; e++ {
			w, listed := want[[2]int{int(s), int(e)}]
			if !listed {
				w = impossible
			}
			t.Run(s.String()+"/"+e.String(), func(t *testing.T) {
				if got := outcome(s, e); got != w {
					t.Errorf("%v on %v: %s, want %s", e, s, outcomeName(got), outcomeName(w))
				}
			})
		}
	}
}

// TestLegacyStateViews ties each state to the flags the router kept before the state
// machine (state enum, connected, loginSent, written, backoff armed), which the views
// must reproduce.
func TestLegacyStateViews(t *testing.T) {
	const (
		idle = iota
		loggingIn
		connected
	)
	tests := []struct {
		s                                  legacyState
		phase                              int
		reconnecting, owes, written, waits bool
	}{
		{lsIdle, idle, false, false, false, false},
		{lsLoggingIn, loggingIn, false, true, false, false},
		{lsLoginWritten, loggingIn, false, true, true, false},
		{lsConnectedEarly, connected, true, true, false, false},
		{lsConnected, connected, true, true, true, false},
		{lsLost, loggingIn, true, false, false, true},
		{lsRelogging, loggingIn, true, true, false, false},
		{lsReloginWritten, loggingIn, true, true, true, false},
		{lsRefused, loggingIn, false, false, false, false},
		{lsGone, idle, false, false, false, false},
	}
	if len(tests) != int(numLegacyStates) {
		t.Fatalf("%d states listed, %d exist", len(tests), numLegacyStates)
	}
	for _, tc := range tests {
		t.Run(tc.s.String(), func(t *testing.T) {
			u := &user{ls: tc.s}
			phase := idle
			switch {
			case u.legacyOnline():
				phase = connected
			case u.legacyLoggingIn():
				phase = loggingIn
			}
			if u.legacyIdle() != (phase == idle) {
				t.Errorf("legacyIdle = %v in phase %d", u.legacyIdle(), phase)
			}
			if phase != tc.phase || tc.s.reconnecting() != tc.reconnecting || tc.s.owesLogout() != tc.owes ||
				u.loginOnWire() != tc.written || (tc.s == lsLost) != tc.waits || u.removed() != (tc.s == lsGone) {
				t.Errorf("phase %d reconnecting %v owesLogout %v written %v; want %+v",
					phase, tc.s.reconnecting(), tc.s.owesLogout(), u.loginOnWire(), tc)
			}
		})
	}
}

// TestLegacyFireImpossible: an impossible input changes nothing and is logged as an
// error; an ignored one changes nothing quietly.
func TestLegacyFireImpossible(t *testing.T) {
	var buf bytes.Buffer
	r := New(Config{Domain: "localhost", Log: zerolog.New(&buf)})
	u := newUser(r, jid.MustParse("bob@localhost"))
	if u.fire(evConnected) || u.ls != lsIdle || buf.Len() != 0 {
		t.Fatalf("a late CONNECTED on idle: state %v, log %q", u.ls, buf.String())
	}
	if u.fire(evWritten) || u.fire(evLost) || u.ls != lsIdle {
		t.Fatalf("impossible inputs were taken: state %v", u.ls)
	}
	if n := strings.Count(buf.String(), "impossible legacy session transition"); n != 1 {
		t.Fatalf("%d error lines for one impossible input (evLost on idle); log %q", n, buf.String())
	}
	if !u.fire(evLogin) || u.ls != lsLoggingIn {
		t.Fatalf("login from idle: state %v", u.ls)
	}
}
