package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/c2s"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// errUserGone asks Authenticate to look the user up again: the actor it posted to had
// already ended its session.
var errUserGone = errors.New("router: user removed")

// waiter is one pending Authenticate call.
type waiter struct {
	password string
	ch       chan authResult // buffered 1: the actor never blocks on it
}

type authResult struct {
	grant *grant
	err   error
}

// Authenticate implements c2s.Authenticator. It succeeds when the backend answers
// CONNECTED (spec 3.3 step 4), or at once when the user's legacy session is already up and
// the password matches the one it logged in with (spec 3.3 step 2).
func (r *Router) Authenticate(ctx context.Context, user jid.JID, password string) (c2s.Grant, error) {
	bare := user.Bare()
	if g, ok, err := r.featureLogin(bare, password); ok {
		return g, err // spec 3.3: administrators (package admin) never get a legacy session
	}
	for {
		u, err := r.userFor(bare)
		if err != nil {
			return nil, err
		}
		w := &waiter{password: password, ch: make(chan authResult, 1)}
		u.post(func() { u.authenticate(w) })
		select {
		case res := <-w.ch:
			if errors.Is(res.err, errUserGone) {
				continue
			}
			if res.err != nil {
				return nil, res.err
			}
			return res.grant, nil
		case <-ctx.Done():
			u.post(func() { u.abandon(w) })
			return nil, fmt.Errorf("router: login of %s: %w", bare, ctx.Err())
		}
	}
}

// maxLoginWaiters bounds the logins of one user waiting for the legacy network at once;
// more get temporary-auth-failure.
const maxLoginWaiters = 16

// samePassword reports whether w logs in with the password of the current attempt.
func (u *user) samePassword(w *waiter) bool { return u.r.pwKey.equal(u.password, w.password) }

// authenticate decides w on the actor.
func (u *user) authenticate(w *waiter) {
	switch {
	case u.removed():
		w.ch <- authResult{err: errUserGone}
	case u.legacyIdle() && len(u.resources) == 0:
		u.password = w.password
		u.waiters = append(u.waiters, w)
		u.startLogin()
	case len(u.waiters) >= maxLoginWaiters:
		w.ch <- authResult{err: &c2s.AuthError{Condition: "temporary-auth-failure",
			Text: "Too many logins of this account are under way, try again later."}}
	case u.firstLoginPending():
		// Spectrum 2 fails a second login with another password at once, and one pending
		// would fail the older login (spec 3.3 step 2). Neither password is known to be
		// right yet: w waits for the outcome, and if the pending login fails, the waiters
		// with another password get a login of their own (loginNext). So a wrong password
		// can neither knock out a right one nor be told apart from it early.
		u.waiters = append(u.waiters, w)
	case !u.samePassword(w):
		// Spectrum 2 fails a second login with another password (spec 3.3 step 2); c2s
		// delays the answer like any failure, so this is no fast check of passwords.
		w.ch <- authResult{err: &c2s.AuthError{Condition: "not-authorized"}}
	case u.legacyOnline():
		u.grants++
		w.ch <- authResult{grant: &grant{u: u}}
	case u.legacyIdle():
		// Resources are bound but the legacy session was ended by their unavailable
		// presences: log in again for the newcomer.
		u.waiters = append(u.waiters, w)
		u.startLogin()
	default:
		u.waiters = append(u.waiters, w)
	}
}

// firstLoginPending reports whether a login is under way that no resource or grant
// holds: nothing has shown its password to be right.
func (u *user) firstLoginPending() bool {
	return u.legacyLoggingIn() && len(u.resources) == 0 && u.grants == 0
}

// loginNext ends the pending first login when no waiter is left with its password, and
// starts the login of the next waiter's password; false when it did not.
func (u *user) loginNext() bool {
	if len(u.waiters) == 0 || len(u.resources) > 0 || u.grants > 0 ||
		slices.ContainsFunc(u.waiters, u.samePassword) {
		return false
	}
	u.endSession() // LOGOUT of the attempt, if owed; the waiters keep the user known
	u.password = u.waiters[0].password
	u.startLogin()
	return true
}

// abandon runs when an Authenticate call gave up (its ctx ended).
func (u *user) abandon(w *waiter) {
	for i, x := range u.waiters {
		if x == w {
			u.waiters = append(u.waiters[:i], u.waiters[i+1:]...)
			if !u.loginNext() {
				u.maybeEnd()
			}
			return
		}
	}
	select { // already decided: a success must be given back
	case res := <-w.ch:
		if res.grant != nil {
			res.grant.release()
		}
	default:
	}
}

// startLogin sends LOGIN (spec 3.3 step 3) off the actor, since Backends.Login may wait
// for a backend to start, and arms the login timeout. From here on a LOGOUT is owed, even
// if CONNECTED or DISCONNECTED overtakes the call's return.
func (u *user) startLogin() {
	if !u.fire(evLogin) {
		return
	}
	u.gen++
	gen := u.gen
	ctx, cancel := context.WithTimeout(context.Background(), u.r.cfg.LoginTimeout)
	u.cancel = cancel
	u.timer = time.AfterFunc(u.r.cfg.LoginTimeout, func() { u.post(func() { u.loginTimeout(gen) }) })
	l := &pb.Login{
		User:       proto.String(u.key),
		LegacyName: proto.String(u.legacy),
		Password:   proto.String(u.password),
		Settings:   &pb.UserSettings{Value: map[string]string{}},
	}
	u.r.actors.Add(1)
	go func() {
		defer u.r.actors.Done()
		err := u.r.backends.Login(ctx, l)
		u.post(func() { u.loginWritten(gen, err) })
	}()
}

// stopLogin disarms the timers (login timeout, re-login backoff) and the pending Login
// call.
func (u *user) stopLogin() {
	u.stopBackoff()
	if u.timer != nil {
		u.timer.Stop()
		u.timer = nil
	}
	if u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
}

// loginWritten handles the outcome of Backends.Login.
func (u *user) loginWritten(gen int, err error) {
	// CONNECTED may overtake this report: the gen alone says whether it is stale.
	if gen != u.gen {
		return
	}
	if err != nil {
		if u.fire(evRefused) { // no backend took the user: no LOGOUT is owed
			u.log.Warn().Err(err).Msg("no backend for the user")
			u.loginFailed("temporary-auth-failure", noBackendText(err),
				int32(pb.ConnectionError_CONNECTION_ERROR_OTHER_ERROR))
		}
		return
	}
	if !u.fire(evWritten) {
		return
	}
	// Spectrum 2 sends the status right after LOGIN (spec 3.3 step 3).
	u.status = statusKey{}
	u.updateStatus()
	if u.ls.reconnecting() && u.r.backends.Features().SendBuddiesOnLogin {
		u.sendBuddies() // re-login: the backend gets the roster it had (spec 1.3, BUDDIES)
	}
}

func (u *user) loginTimeout(gen int) {
	if gen != u.gen || !u.fire(evTimeout) {
		return
	}
	u.log.Warn().Msg("legacy login timed out")
	u.loginFailed("temporary-auth-failure", "The legacy network did not answer in time.",
		int32(pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR))
}

// loginFailed ends a login attempt that got no CONNECTED: waiters fail with condition,
// bound resources (a re-login) get the fatal path.
func (u *user) loginFailed(condition, text string, code int32) {
	u.loginFailedWith(condition, text, text, code)
}

// loginFailedWith is loginFailed with one text for the waiters, who have not authenticated,
// and another for the bound resources.
func (u *user) loginFailedWith(condition, waiterText, boundText string, code int32) {
	u.stopLogin()
	var others []*waiter // waiting with another password (authenticate)
	for _, w := range u.waiters {
		if u.samePassword(w) || len(u.resources) > 0 {
			w.ch <- authResult{err: &c2s.AuthError{Condition: condition, Text: waiterText}}
		} else {
			others = append(others, w)
		}
	}
	u.waiters = others
	if len(u.resources) > 0 {
		u.fatal(code, boundText)
		return
	}
	if !u.loginNext() {
		u.endSession()
	}
}

// legacyRefused fails the login with the backend's DISCONNECTED. Spectrum 2 puts the legacy
// text in the SASL failure (spec 3.4); we give a client that has not authenticated only a
// text per code (saslText), because the legacy side's words can carry dial errors and
// addresses ("connect: connection refused") that would make the gateway a probe of the
// networks it reaches. The text goes to the log, and to resources of an earlier session.
func (u *user) legacyRefused(code int32, text string) {
	u.log.Info().Int32("error", code).Str("reason", text).Msg("legacy login refused")
	u.loginFailedWith("not-authorized", saslText(code), text, code)
}

// saslText is the SASL failure text for a DISCONNECTED code.
func saslText(code int32) string {
	switch pb.ConnectionError(code) {
	case pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME:
		return "The legacy network does not accept this name."
	case pb.ConnectionError_CONNECTION_ERROR_NAME_IN_USE:
		return "The name is in use on the legacy network."
	}
	return "The legacy server refused the login."
}

// onConnected handles CONNECTED: pending logins succeed (spec 3.3 step 4) and the
// re-login counter resets (spec 3.4).
func (u *user) onConnected() {
	if !u.fire(evConnected) {
		return // no LOGIN out (a late frame of a lost session), or a repeated CONNECTED
	}
	u.stopLogin()
	u.relogins = 0
	for _, w := range u.waiters {
		if !u.samePassword(w) { // spec 3.3 step 2: the session is up with another password
			w.ch <- authResult{err: &c2s.AuthError{Condition: "not-authorized"}}
			continue
		}
		u.grants++
		w.ch <- authResult{grant: &grant{u: u}}
	}
	u.waiters = nil
	if u.grants == 0 && len(u.resources) == 0 && !u.lingering() {
		u.endSession() // no one logged in with its password is left
		return
	}
	u.muc().Connected() // spec 3.12: remembered rooms are (re)joined
	u.log.Info().Msg("legacy session connected")
}

// onDisconnected handles DISCONNECTED (spec 3.4).
func (u *user) onDisconnected(code int32, text string) {
	if !u.fire(evDisconnected) {
		return // no LOGIN out: the session is logged out already
	}
	if !u.ls.reconnecting() {
		// During the first login every code is a SASL failure (spec 3.4); resources still
		// bound from an earlier session get the fatal path.
		u.legacyRefused(code, text)
		return
	}
	if u.reconnectable(code) {
		u.relogin(code) // relogin.go: with a backoff, unlike Spectrum 2
		return
	}
	u.legacyRefused(code, text)
}

// endSession ends the legacy session (LOGOUT) and forgets the user when nothing holds it.
func (u *user) endSession() {
	u.lingerDrop("the legacy session ended")
	u.muc().Shutdown() // spec 3.5: occupants get 332 before LOGOUT
	u.stopLogin()
	u.gen++
	owed := u.ls.owesLogout()
	u.fire(evEnd)
	if owed {
		u.log.Info().Msg("legacy session logged out") // the e2e tests of XEP-0198 look for it
		u.r.backends.Logout(u.key, u.legacy)
	}
	u.relogins = 0
	u.status = statusKey{}
	u.failVCards()
	u.endTransfers()    // legacy files under way (subdomain.go)
	u.roster.offline(u) // unavailable presences for the buddies still shown online
	u.maybeForget()
}

// maybeEnd ends the legacy session when no resource, grant or login waiter holds it
// (spec 3.5, quirk 7 fixed: one stream closing does not log the others out).
func (u *user) maybeEnd() {
	if len(u.resources) == 0 && u.grants == 0 && len(u.waiters) == 0 && !u.lingering() {
		u.endSession()
	}
}

func (u *user) maybeForget() {
	if len(u.resources) == 0 && u.grants == 0 && len(u.waiters) == 0 && !u.removed() {
		u.fire(evForget)
		u.password = ""
		u.r.forget(u)
	}
}

// shutdown runs when the router stops: LOGOUT and unavailable buddy presences.
func (u *user) shutdown() {
	for _, w := range u.waiters {
		w.ch <- authResult{err: &c2s.AuthError{Condition: "temporary-auth-failure", Text: "The service is shutting down."}}
	}
	u.waiters = nil
	u.endSession()
	u.resources = map[string]*resource{}
	u.grants = 0
	u.maybeForget()
}
