package router

// The views of the legacy session's state that the rest of the router uses.

// removed reports whether the user left Router.users: a post that reaches it lost a race
// with the removal.
func (u *user) removed() bool { return u.gone }

// legacyIdle reports whether no legacy session exists or is being set up.
func (u *user) legacyIdle() bool { return u.state == stateIdle }

// legacyOnline reports whether the legacy session is up (CONNECTED).
func (u *user) legacyOnline() bool { return u.state == stateConnected }

// legacyLoggingIn reports whether a login or re-login is under way (CONNECTED awaited).
func (u *user) legacyLoggingIn() bool { return u.state == stateLoggingIn }

// loginOnWire reports whether LOGIN is on the wire, so that STATUS_CHANGED may follow.
func (u *user) loginOnWire() bool { return u.written }
