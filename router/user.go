package router

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/jidmap"
	"github.com/gospectrum/spectrum2/router/muc"
)

// user is one bare JID's legacy session and everything hanging off it. Every field below
// mb is owned by the user's actor: only functions posted to mb touch them.
type user struct {
	r   *Router
	mb  mailbox
	key string  // bare JID string = Login.user
	jid jid.JID // bare JID
	log userLog

	legacy   string      // Login.legacyName
	password string      // kept for re-login and the same-password check; never logged
	ls       legacyState // where the legacy session stands; changed only by fire (legacystate.go)
	relogins int         // consecutive automatic re-logins (spec 3.4)
	gen      int         // login attempt generation, to ignore stale timers and results
	cancel   context.CancelFunc
	timer    *time.Timer // login timeout
	backoff  *time.Timer // the wait before a re-login (relogin.go), armed in state lost
	waiters  []*waiter
	grants   int // granted logins not yet bound or released

	resources map[string]*resource // full JID -> resource, in bind order by seq
	seq       int
	status    statusKey // last STATUS_CHANGED sent
	roster    *roster
	convs     map[string]string // legacy key -> reply target full JID ("" = bare)
	receipts  idSet             // ids of messages that requested a receipt (XEP-0184)
	sentTexts sentTexts         // the user's recent messages to contacts, for "s/old/new" (correction.go)
	vcards    map[int32]*vcardRequest
	ownVCard  map[string]string // id of our vCard get to the client -> full JID asked
	photoHash string
	rawIQ     map[string]string // id of a raw-mode IQ get -> full JID that sent it
	rooms     muc.Rooms         // group chats (router/muc)

	linger      []lingering // unacknowledged messages kept for the next login (linger.go)
	lingerTimer *time.Timer
	lingerGen   int
	lingerHeld  bool // a feature stored messages for the next login: the linger holds the session

	featVals []featVal // per-user state of the features (feature.User.SetValue)

	mbDropped atomic.Int64 // frames postFrame refused (limits.go); any goroutine
	mbLost    atomic.Int64 // of them, messages (limits.go: overflow tells the next login)
}

// resource is one bound resource of a user.
type resource struct {
	res       Resource
	full      jid.JID
	key       string
	seq       int
	available bool
	priority  int
	show      string // "", away, chat, xa, dnd
	invisible bool
	status    string
	rosterReq bool // asked for the roster: gets pushes
	carbons   bool // XEP-0280 enabled
	initial   bool // initial presence received: buddy presences were sent
}

func newUser(r *Router, bare jid.JID) *user {
	u := &user{
		r:         r,
		key:       bare.String(),
		jid:       bare,
		legacy:    jidmap.LoginLegacyName(bare.Localpart()),
		resources: make(map[string]*resource),
	}
	u.mb.wg = r.actors
	u.mb.limit, u.mb.frameLimit, u.mb.byteLimit = r.cfg.Limits.Mailbox, r.cfg.Limits.MailboxFrames, r.cfg.Limits.MailboxBytes
	u.mb.panicked = u.crashed // panic.go: a panic ends this user only
	u.log = userLog{base: &r.log, jid: u.key}
	u.roster = newRoster()
	return u
}

// post runs f on the user's actor.
func (u *user) post(f func()) { u.mb.post(f) }

// send queues el for one resource. What a closing session refuses (its Closed call is
// on its way) is placed elsewhere when it matters: a message with a body goes to
// another resource or waits for the next login (closing.go).
func (u *user) send(rs *resource, el *xmpp.Element) {
	if !u.trySend(rs, el) {
		u.notSent(rs, el)
	}
}

// availableResources returns the resources that sent an available presence.
func (u *user) availableResources() []*resource {
	var out []*resource
	for _, rs := range u.resources {
		if rs.available {
			out = append(out, rs)
		}
	}
	return out
}

// sendAvailable delivers el, addressed to the user's bare JID, to every available resource
// (RFC 6121 8.5.2.1: presence and subscription requests to the bare JID).
func (u *user) sendAvailable(el *xmpp.Element) {
	for i, rs := range u.availableResources() {
		u.send(rs, copyFor(i, el))
	}
}

// copyFor returns el for the first recipient and a copy for the others, so that no two
// sessions share an element (c2s may annotate what it queues).
func copyFor(i int, el *xmpp.Element) *xmpp.Element {
	if i == 0 {
		return el
	}
	return el.Clone()
}

// itoa formats a counter.
func itoa[T ~int | ~int32 | ~uint64](n T) string {
	return strconv.FormatInt(int64(n), 10)
}

// featVal is one feature's per-user state under its key. A user has a few, at most one per
// kind of key the features define (a handful), so a slice searched in order costs less than
// a map: 32 bytes each against some 330 for the map of an idle user (issue 26).
type featVal struct{ key, v any }

// featValue is the state stored under key, or nil.
func (u *user) featValue(key any) any {
	for _, f := range u.featVals {
		if f.key == key {
			return f.v
		}
	}
	return nil
}

// setFeatValue stores v under key, replacing what was there.
func (u *user) setFeatValue(key, v any) {
	for i := range u.featVals {
		if u.featVals[i].key == key {
			u.featVals[i].v = v
			return
		}
	}
	u.featVals = append(u.featVals, featVal{key, v})
}

// setLazy sets (*m)[k] = v, making the map on first use: most users never need most of
// their maps (conversations, pending vCards, raw IQs, rooms), so an idle user holds none.
func setLazy[K comparable, V any](m *map[K]V, k K, v V) {
	if *m == nil {
		*m = make(map[K]V)
	}
	(*m)[k] = v
}
