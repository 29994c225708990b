// Package router owns the users of the gateway: their legacy login, the mapping between
// legacy names and JIDs (router/jidmap), the in-memory roster, presence, messages (with
// receipts, chat states, attention, XHTML-IM, OOB, delay, carbons), group chats
// (XEP-0045, router/muc), vCards, service discovery and the raw-XML mode. It implements
// c2s.Authenticator (SASL logins become legacy logins) and pluginserver.Handler (frames
// from backends become stanzas).
// Behaviour follows sections 3.3 to 3.21 of the Spectrum 2 behaviour spec; where we
// deliberately differ the code cites the section or quirk it fixes.
//
// # Concurrency model
//
// Every piece of per-user state (login state, resources, roster, conversations, pending
// vCard requests) has exactly one owner: the user's actor. An actor is a mailbox, a queue
// of closures guarded by a small mutex; posting never blocks (a client's stanza may wait
// for room before it is posted: see Bounds). When something is posted to
// an idle mailbox a goroutine is started that runs the closures in order and exits as soon
// as the queue is empty, so idle users cost no goroutine. Everything that arrives from
// outside only posts: c2s's HandleStanza and Closed (on the connection's reader goroutine),
// pluginserver's HandleBackendMessage and HandleRawXML (on the backend's reader goroutine),
// and timers (login timeout, vCard timeout, re-login backoff). Hence no lock is held on the message path and
// the order of stanzas and frames per user is kept.
//
// The only shared structures are Router.users, the bare JID -> user map, under an RWMutex
// that is held for map operations only (never while calling out), and the global ROOM_LIST
// of Router.muc (muc.Service) under its own mutex. Group chats are per-user state like the
// roster: a user's rooms (user.rooms, a muc.Rooms) live on the user's actor, and several
// resources share one legacy membership. The muc package is called only from the actor
// and calls back only through muc.Host, which the router implements (muchost.go). A user
// whose legacy session is over removes itself from the map from its own actor and marks
// itself gone; a post that reaches a gone user (a lost race with removal) is answered with
// "look it up again", so Authenticate retries with a fresh user.
//
// Calls that may block run outside the actor: Backends.Login (it may wait for a backend
// to start) runs in its own goroutine and posts its outcome back. Backends.Send,
// Backends.Logout and Resource.Send never block by contract and are called from the
// actor. Authenticate and Grant.Bind wait on a channel that the actor answers.
//
// # Bounds
//
// A user's mailbox is bounded (Limits, limits.go; the defaults in brackets). A client's
// stanzas wait for room: while Limits.Mailbox [1000] closures are queued, c2s's reader of
// each of the user's sessions waits in handler.Room before handing on its next stanza and
// does not read its socket meanwhile, so the client is slowed through TCP; the same while
// the frames queued hold more than half of Limits.MailboxBytes [16 MiB], so that a user
// whose answers pile up stops being read. Frames from backends (typed, RAW_XML, handed
// back as undelivered) must never wait, as they are posted on the backend's reader
// goroutine that serves every user of that backend: they are refused only past the larger
// Limits.MailboxFrames [20000] or past Limits.MailboxBytes, and the first refusal
// posts the user's overflow, which closes every session with resource-constraint, logs
// out of the legacy network and logs at warn how many frames were refused meanwhile; the
// client logs in again to a fresh session, and finds a message from the service saying
// how many messages were refused (through the offline store: the legacy network counts
// them as delivered). A message of another local user to a full
// mailbox is answered resource-constraint to its sender. Control posts (bind, release,
// close, login outcomes and timers) always go in: each is bounded by its cause (one per
// connection, login attempt or armed timer, and timers per pending request, which are
// bounded below).
//
// The per-user maps a client or a contact can grow are bounded too. Past a bound the
// client's stanza gets a resource-constraint error naming the limit, never a silent drop:
// conversations with names not on the roster, Limits.Conversations [1000] (a contact's
// message past it is still delivered, to the bare JID, without a remembered reply
// target); vCard requests awaiting the backend and raw-mode IQ gets awaiting an answer,
// Limits.PendingIQs [256] each; rooms joined or being joined, Limits.Rooms [256];
// contacts the client adds (roster set, subscribe) while the roster holds
// Limits.Roster [20000] (the legacy network's own roster is not cut). Our vCard gets to
// the client for a new avatar are one per resource: a newer hash supersedes the older
// request. Receipt ids (1024) and messages lingering for the next login (1000) drop their
// oldest and are bounded by construction; c2s bounds CSI's held stanzas (CSIMaxHeld: past
// it everything is flushed). The number of users is limits.max_users (Limits.MaxUsers;
// unlimited by default): a new user's login past it gets temporary-auth-failure with a
// text that says so.
//
// Lock order: Router.mu, then a mailbox mutex; neither is held while calling into c2s or
// pluginserver. Router.raw.mu (per-backend RAW_XML reassembly) and the mutex of the
// muc.Service's room list are taken alone.
//
// Shutdown has two halves: Farewell logs every user out while the client streams are
// still open; Run then waits for every actor goroutine (and pending Login calls) to
// finish, the work of the streams c2s closes meanwhile included, and seals the tracker,
// so nothing of the router runs after Run returned (a later post is dropped with a
// warning). Run alone does both halves.
package router
