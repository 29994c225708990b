package router

import (
	"errors"
	"fmt"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router/jidmap"
	"github.com/gospectrum/spectrum2/router/muc"
)

// Limits bound what one user, and the router as a whole, may hold (router/doc.go
// "Bounds"). A zero field takes its default; MaxUsers 0 means no limit.
type Limits struct {
	// Mailbox: while this many pieces of work are queued for a user, c2s stops reading that
	// user's sockets (SessionHandler.Room); another user's message to it is refused.
	Mailbox int
	// MailboxFrames: a backend frame finding this many queued ends the user's sessions
	// with resource-constraint (it must not wait: it is on the backend's reader).
	MailboxFrames int
	// MailboxBytes bounds the same in bytes of frames: a frame that would take the
	// queued ones past it ends the user's sessions; past half of it the user's clients
	// wait (as at Mailbox) until the actor has caught up.
	MailboxBytes int
	// Conversations with legacy names not on the roster (reply targets, spec 3.9).
	Conversations int
	// PendingIQs: vCard requests awaiting the backend, and raw-mode IQ gets (spec 3.21)
	// awaiting an answer, each.
	PendingIQs int
	// Rooms joined or being joined (XEP-0045).
	Rooms int
	// RoomMembers: other participants kept per room of a user (router/muc's members);
	// past it their presences still go out, unkept, and the occupants are told once.
	RoomMembers int
	// Roster: a client may add contacts (roster set, subscribe) while the roster holds
	// fewer. The backend's own roster is not cut: it is the legacy network's.
	Roster int
	// MaxUsers is limits.max_users: users with a legacy session or a login under way.
	MaxUsers int
}

// Defaults of Limits.
const (
	DefaultMailbox       = 1000
	DefaultMailboxFrames = 20000    // a roster of 20,000 (queue_size) arrives as frames at login
	DefaultMailboxBytes  = 16 << 20 // that roster is some 6 MB of frames
	DefaultConversations = 1000
	DefaultPendingIQs    = 256
	DefaultRooms         = 256
	DefaultRoster        = 20000
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Mailbox, DefaultMailbox)
	def(&l.MailboxFrames, DefaultMailboxFrames)
	l.MailboxFrames = max(l.MailboxFrames, l.Mailbox)
	def(&l.MailboxBytes, DefaultMailboxBytes)
	def(&l.Conversations, DefaultConversations)
	def(&l.PendingIQs, DefaultPendingIQs)
	def(&l.Rooms, DefaultRooms)
	def(&l.RoomMembers, muc.DefaultMaxMembers)
	def(&l.Roster, DefaultRoster)
	return l
}

// limitError is the answer to a stanza that would grow a map past its bound: the
// client learns that it hit a limit of the service, and which.
func limitError(el *xmpp.Element, what string, n int) *xmpp.Element {
	return xmpp.ErrorReply(el, xmpp.ErrTypeWait, xmpp.StanzaResourceConstraint,
		fmt.Sprintf("Too many %s (the limit is %d).", what, n))
}

// refuse answers el of rs with limitError, unless el is an error itself.
func (u *user) refuse(rs *resource, el *xmpp.Element, what string, n int) {
	u.log.Debug().Str("limit", what).Int("n", n).Str("kind", el.Local).Msg("stanza refused at a limit")
	if reply := limitError(el, what, n); reply != nil {
		u.send(rs, reply)
	}
}

// openConv records target as the reply target of the conversation with name (spec
// 3.9); false when that would open one more than Limits.Conversations with names not
// on the roster (the roster has its own bound).
func (u *user) openConv(name, target string) bool {
	k := jidmap.Key(name)
	if _, ok := u.convs[k]; !ok && len(u.convs) >= u.r.cfg.Limits.Conversations && u.roster.get(name) == nil {
		return false
	}
	setLazy(&u.convs, k, target)
	return true
}

// rosterFull reports whether the client may add no more contacts (Limits.Roster).
func (u *user) rosterFull() bool { return len(u.roster.buddies) >= u.r.cfg.Limits.Roster }

// shuttingDown is the SASL failure of a login once the router is closed.
func shuttingDown() error {
	return &c2s.AuthError{Condition: "temporary-auth-failure", Text: "The service is shutting down."}
}

// tooManyUsers is the SASL failure of a new user's login past limits.max_users.
func tooManyUsers(n int) error {
	return &c2s.AuthError{Condition: "temporary-auth-failure",
		Text: fmt.Sprintf("The service has reached its limit of %d users; try again later.", n)}
}

// noBackendText is the SASL failure text when no backend took the user.
func noBackendText(err error) string {
	if errors.Is(err, pluginserver.ErrMaxBackends) {
		return "The service has reached its limit of backends; try again later."
	}
	return "No backend is available, try again later."
}

// UserCount is the number of users the router holds (limits.max_users counts them).
func (r *Router) UserCount() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.users)
}

// MaxUsers is limits.max_users (0: no limit).
func (r *Router) MaxUsers() int { return r.cfg.Limits.MaxUsers }

// postFrame posts work that came from a backend (a frame of size bytes, RAW_XML, a frame
// handed back); msg says it carries a message, which the overflow counts apart. It never
// waits; past Limits.MailboxFrames or MailboxBytes the user's sessions end (overflow).
func (u *user) postFrame(f func(), size int, msg bool) {
	ok, first := u.mb.postFrame(f, size)
	if ok {
		return
	}
	u.mbDropped.Add(1)
	if msg {
		u.mbLost.Add(1)
	}
	if first {
		u.post(u.overflow)
	}
}

// overflow ends a user whose actor fell behind its backend by Limits.MailboxFrames or
// MailboxBytes: the
// streams get resource-constraint, the legacy session is logged out. The frames refused
// meanwhile are counted in the log; the user logs in again to a fresh session.
func (u *user) overflow() {
	u.log.Warn().Int("limit_frames", u.r.cfg.Limits.MailboxFrames).Int("limit_bytes", u.r.cfg.Limits.MailboxBytes).
		Int64("dropped", u.mbDropped.Load()).
		Msg("the user's queue overflowed with frames from the backend; sessions ended")
	for _, rs := range u.resources {
		rs.res.Close(xmpp.CondResourceConstraint, "Too much traffic for this account; log in again.")
	}
	for _, w := range u.waiters {
		w.ch <- authResult{err: &c2s.AuthError{Condition: "temporary-auth-failure",
			Text: "Too much traffic for this account; try again later."}}
	}
	u.waiters = nil
	u.endSession()
	u.resources = map[string]*resource{}
	u.grants = 0
	u.maybeForget()
	u.tellLost()
}

// tellLost leaves the user a message from the service for the next login (the Absent
// features: the offline store) saying how many messages the overflow refused so far:
// the legacy network has them as delivered, and they must not vanish without a word.
func (u *user) tellLost() {
	n := u.mbLost.Load()
	if n == 0 {
		return
	}
	text := fmt.Sprintf("Messages from the legacy network arrived faster than your clients took them, "+
		"so your sessions were ended; %d messages were lost. Ask your contacts to send them again.", n)
	el := xmpp.New(xmpp.NSClient, "message", "from", u.r.cfg.Domain, "to", u.key, "type", "chat",
		"id", u.r.nextID("lost")).Append(xmpp.New(xmpp.NSClient, "body").AppendText(text))
	for _, f := range u.r.feats.absent {
		handled, err := f.MessageAbsent(u.jid, el.Clone())
		if err != nil {
			u.log.Warn().Err(err).Int64("lost", n).Msg("the notice of lost messages was not stored")
		}
		if handled || err != nil {
			return
		}
	}
}
