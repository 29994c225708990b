// Package router owns the users of the gateway: their legacy login, the mapping between
// legacy names and JIDs, the in-memory roster, presence, messages (with receipts, chat
// states, attention, XHTML-IM, OOB, delay, carbons), group chats (XEP-0045), vCards,
// service discovery and the raw-XML mode. It implements c2s.Authenticator (SASL logins
// become legacy logins) and pluginserver.Handler (frames from backends become stanzas).
// Behaviour follows sections 3.3 to 3.21 of the Spectrum 2 behaviour spec; where we
// deliberately differ the code cites the section or quirk it fixes.
//
// # Concurrency model
//
// Every piece of per-user state (login state, resources, roster, conversations, pending
// vCard requests) has exactly one owner: the user's actor. An actor is a mailbox, a queue
// of closures guarded by a small mutex; posting never blocks. When something is posted to
// an idle mailbox a goroutine is started that runs the closures in order and exits as soon
// as the queue is empty, so idle users cost no goroutine. Everything that arrives from
// outside only posts: c2s's HandleStanza and Closed (on the connection's reader goroutine),
// pluginserver's HandleBackendMessage and HandleRawXML (on the backend's reader goroutine),
// and timers (login timeout, vCard timeout, re-login backoff). Hence no lock is held on the message path and
// the order of stanzas and frames per user is kept.
//
// The only shared structures are Router.users, the bare JID -> user map, under an RWMutex
// that is held for map operations only (never while calling out), and Router.roomDir, the
// global ROOM_LIST under its own mutex. Group chats (muc*.go) are per-user state like the
// roster: rooms live on the user's actor, and several resources share one legacy
// membership. A user whose legacy session is over removes itself from the map from its
// own actor and marks itself gone; a post that reaches a gone user (a lost race with
// removal) is answered with "look it up again", so Authenticate retries with a fresh user.
//
// Calls that may block run outside the actor: Backends.Login (it may wait for a backend
// to start) runs in its own goroutine and posts its outcome back. Backends.Send,
// Backends.Logout and Resource.Send never block by contract and are called from the
// actor. Authenticate and Grant.Bind wait on a channel that the actor answers.
//
// Lock order: Router.mu, then a mailbox mutex; neither is held while calling into c2s or
// pluginserver. Router.raw.mu (per-backend RAW_XML reassembly) and Router.roomDir.mu are
// taken alone.
//
// Shutdown has two halves: Farewell logs every user out while the client streams are
// still open; Run then waits for every actor goroutine (and pending Login calls) to
// finish, the work of the streams c2s closes meanwhile included, and seals the tracker,
// so nothing of the router runs after Run returned (a later post is dropped with a
// warning). Run alone does both halves.
package router
