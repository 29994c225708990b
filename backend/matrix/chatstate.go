package matrix

import (
	"context"
	"slices"
	"strings"
	"sync"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// maxPendingAcks bounds the user's messages waiting for the contact's read receipt, over
// all direct chats; the oldest is forgotten first (its receipt is never sent).
const maxPendingAcks = 256

// typingTimeout is how long a typing notification lasts on the homeserver unless renewed.
const typingTimeout = 30_000 // ms

// pendingAck is a message the user sent with a receipt request.
type pendingAck struct {
	room  id.RoomID
	event id.EventID
	buddy string
	id    string // the XMPP message id
}

// receipts is the chat-state bookkeeping of direct chats: the user's messages waiting for
// a read receipt, the contact's last message per room (what the user's reading marks),
// and who is typing. mu guards it; the sender and the sync goroutine share it.
type receipts struct {
	mu      sync.Mutex
	pending []pendingAck
	last    map[id.RoomID]id.EventID // the contact's latest message, until marked read
	typing  map[id.RoomID]bool       // the contact is typing
	// readTo is the event of the contact's latest read receipt per direct chat: a receipt
	// may arrive (on the sync goroutine) before the sender has recorded the message it
	// covers, which is then acknowledged at once.
	readTo map[id.RoomID]id.EventID
}

func newReceipts() receipts {
	return receipts{last: map[id.RoomID]id.EventID{}, typing: map[id.RoomID]bool{},
		readTo: map[id.RoomID]id.EventID{}}
}

// seen records the contact's latest message in room.
func (r *receipts) seen(room id.RoomID, ev id.EventID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.last[room]; ok || len(r.last) < maxContacts {
		r.last[room] = ev
	}
}

// takeLast is the contact's latest message in room that is not marked read yet.
func (r *receipts) takeLast(room id.RoomID) id.EventID {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.last[room]
	delete(r.last, room)
	return ev
}

// sent records a message that asked for a receipt; true if the contact's read receipt
// for it is already there (acknowledge it now).
func (r *receipts) sent(a pendingAck) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.readTo[a.room] == a.event {
		return true
	}
	if len(r.pending) >= maxPendingAcks {
		r.pending = slices.Delete(r.pending, 0, 1)
	}
	r.pending = append(r.pending, a)
	return false
}

// read takes the messages of room up to and including ev, which the contact has read
// (a read receipt covers the messages before it).
func (r *receipts) read(room id.RoomID, ev id.EventID) []pendingAck {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.readTo[room]; ok || len(r.readTo) < maxContacts {
		r.readTo[room] = ev
	}
	i := slices.IndexFunc(r.pending, func(a pendingAck) bool { return a.room == room && a.event == ev })
	if i < 0 {
		return nil
	}
	var out, keep []pendingAck
	for j, a := range r.pending {
		if a.room == room && j <= i {
			out = append(out, a)
		} else {
			keep = append(keep, a)
		}
	}
	r.pending = keep
	return out
}

// ephemeral applies a direct chat's typing notifications (the contact typing or not) and
// read receipts (the contact read the user's messages: CONV_MESSAGE_ACK for those that
// asked for a receipt).
func (s *session) ephemeral(room id.RoomID, ev *event.Event) {
	contact := s.r.contactOf(room)
	if contact == "" {
		s.roomReceipt(room, ev) // a joined room's (extensions.go)
		return
	}
	switch ev.Type {
	case event.EphemeralEventTyping:
		_ = ev.Content.ParseRaw(event.EphemeralEventTyping)
		t, ok := ev.Content.Parsed.(*event.TypingEventContent)
		if !ok {
			return
		}
		now := slices.Contains(t.UserIDs, contact)
		s.receipts.mu.Lock()
		was := s.receipts.typing[room]
		if now {
			s.receipts.typing[room] = true
		} else {
			delete(s.receipts.typing, room)
		}
		s.receipts.mu.Unlock()
		switch {
		case now && !was:
			s.sink.Typing(s.user, buddyName(contact), backend.Typing)
		case !now && was:
			s.sink.Typing(s.user, buddyName(contact), backend.StoppedTyping)
		}
	case event.EphemeralEventReceipt:
		_ = ev.Content.ParseRaw(event.EphemeralEventReceipt)
		rc, ok := ev.Content.Parsed.(*event.ReceiptEventContent)
		if !ok {
			return
		}
		for evID, byType := range *rc {
			for _, typ := range []event.ReceiptType{event.ReceiptTypeRead, event.ReceiptTypeReadPrivate} {
				if _, ok := byType[typ][contact]; ok {
					for _, a := range s.receipts.read(room, evID) {
						s.sink.Ack(s.user, a.buddy, a.id)
					}
					if x, own := s.sent.xmpp(evID); own {
						// XEP-0333: the contact displayed the user's messages up to x.
						s.sink.Event(backend.Event{User: s.user, Buddy: buddyName(contact), Displayed: x})
					}
				}
			}
		}
	}
}

// Typing sends the user's chat state to the contact's direct chat: composing starts a
// typing notification, paused and active end it. Writing to a contact also marks the
// contact's messages read (m.read), as a Matrix client does once its user looks.
func (p *Plugin) Typing(_ context.Context, _ *backend.Sink, user, buddy string, state backend.TypingState) {
	sess, ok := p.sessions.Load(user)
	if !ok {
		return
	}
	to, ok := userOf(buddy)
	if !ok {
		return
	}
	sess.do(func() {
		room := sess.r.dmRoom(to)
		if room == "" {
			return
		}
		ctx, cancel := context.WithTimeout(sess.ctx, sess.p.cfg.ConnectTimeout)
		defer cancel()
		typing := state == backend.Typing
		if _, err := sess.cli.UserTyping(ctx, room, typing, typingTimeout*1e6); err != nil {
			sess.log.Debug().Err(err).Msg("typing not sent")
		}
		if typing {
			sess.markRead(ctx, room)
		}
	}, nil) // a chat state is not worth an answer when the outbox is full
}

// markRead sends the read receipt for the contact's latest message in room, if any is
// unread.
func (s *session) markRead(ctx context.Context, room id.RoomID) {
	ev := s.receipts.takeLast(room)
	if ev == "" {
		return
	}
	if err := s.cli.SendReceipt(ctx, room, ev, event.ReceiptTypeRead, nil); err != nil {
		s.log.Debug().Err(err).Msg("read receipt not sent")
	}
}

var _ backend.Typer = (*Plugin)(nil)

// Displayed sends the read receipt (m.read) for the contact's message id, which the user
// displayed (XEP-0333) or received (XEP-0184): the daemon gives it the id the message
// arrived with, its event ID.
func (p *Plugin) Displayed(_ context.Context, _ *backend.Sink, user, buddy, msgID string) {
	sess, ok := p.sessions.Load(user)
	if !ok {
		return
	}
	if !strings.HasPrefix(msgID, "$") {
		return // not an event ID
	}
	sess.do(func() {
		room := sess.chatRoom(buddy) // a direct chat, or a joined room (extensions.go)
		if room == "" {
			return
		}
		ctx, cancel := context.WithTimeout(sess.ctx, sess.p.cfg.ConnectTimeout)
		defer cancel()
		sess.receipts.mu.Lock()
		if sess.receipts.last[room] == id.EventID(msgID) {
			delete(sess.receipts.last, room)
		}
		sess.receipts.mu.Unlock()
		if err := sess.cli.SendReceipt(ctx, room, id.EventID(msgID), event.ReceiptTypeRead, nil); err != nil {
			sess.log.Debug().Err(err).Msg("read receipt not sent")
		}
	}, nil)
}

var _ backend.Marker = (*Plugin)(nil)

// SetStatus sets the user's Matrix presence from the XMPP one: available (or free for
// chat) online, away, extended away and do not disturb unavailable (Matrix has no more
// kinds), with the status text.
func (p *Plugin) SetStatus(_ context.Context, _ *backend.Sink, st backend.Status) {
	sess, ok := p.sessions.Load(st.User)
	if !ok {
		return
	}
	pr := event.PresenceOnline
	switch st.Status {
	case pb.StatusType_STATUS_AWAY, pb.StatusType_STATUS_XA, pb.StatusType_STATUS_DND:
		pr = event.PresenceUnavailable
	case pb.StatusType_STATUS_INVISIBLE, pb.StatusType_STATUS_NONE:
		pr = event.PresenceOffline
	}
	sess.presence.Store(pr)
	sess.do(func() {
		ctx, cancel := context.WithTimeout(sess.ctx, sess.p.cfg.ConnectTimeout)
		defer cancel()
		if err := sess.cli.SetPresence(ctx, mautrix.ReqPresence{Presence: pr, StatusMsg: st.Message}); err != nil {
			sess.log.Debug().Err(err).Msg("presence not set")
		}
	}, nil)
}

var _ backend.StatusSetter = (*Plugin)(nil)
