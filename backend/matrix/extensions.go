package matrix

import (
	"context"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
)

// The message extensions of issue 24 in direct chats (docs/protocol-extensions.md):
// XEP-0308 corrections are edits (m.replace), XEP-0461 replies m.in_reply_to, XEP-0444
// reactions annotations (m.annotation, one event per key), XEP-0424 retractions
// redactions, and a contact's read receipt on the user's message a XEP-0333 displayed
// marker. A contact's message is known to the daemon by its event ID; the user's own are
// known by the XMPP id the daemon gave them, so the backend keeps which event each became
// (sentIDs, bounded).

// maxSentIDs bounds the user's messages whose event IDs are remembered per user; a
// reference to an older one is answered as not delivered (a correction goes as a new
// message).
const maxSentIDs = 1024

// maxReactionTargets bounds the messages whose reactions are remembered per user and
// side (the user's own reaction events, to redact the removed ones; the contact's, to send
// the full set XEP-0444 asks for); the oldest message is forgotten first.
const maxReactionTargets = 512

// maxReactions bounds the reactions of one sender to one message (the daemon's bound).
const maxReactions = 32

// sentIDs maps the XMPP ids of the user's messages to their event IDs and back. mu guards
// it: the sender records, the sync goroutine reads.
type sentIDs struct {
	mu    sync.Mutex
	max   int
	order []string // XMPP ids, oldest first
	ev    map[string]id.EventID
	xid   map[id.EventID]string
}

func newSentIDs(max int) *sentIDs {
	return &sentIDs{max: max, ev: map[string]id.EventID{}, xid: map[id.EventID]string{}}
}

// put records that the user's message x became event e, forgetting the oldest past max.
func (m *sentIDs) put(x string, e id.EventID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.ev[x]; ok {
		delete(m.xid, old)
	} else {
		if len(m.order) >= m.max {
			delete(m.xid, m.ev[m.order[0]])
			delete(m.ev, m.order[0])
			m.order = slices.Delete(m.order, 0, 1)
		}
		m.order = append(m.order, x)
	}
	m.ev[x], m.xid[e] = e, x
}

// event is the event ID of the user's message x.
func (m *sentIDs) event(x string) (id.EventID, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.ev[x]
	return e, ok
}

// xmpp is the XMPP id of the user's message that became e.
func (m *sentIDs) xmpp(e id.EventID) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, ok := m.xid[e]
	return x, ok
}

// reactionSets is one side's reactions per message: target event -> key -> the reaction
// event. mu guards it.
type reactionSets struct {
	mu      sync.Mutex
	max     int
	order   []id.EventID // targets, oldest first
	sets    map[id.EventID]map[string]id.EventID
	byEvent map[id.EventID]id.EventID // reaction event -> target
}

func newReactionSets(max int) *reactionSets {
	return &reactionSets{max: max, sets: map[id.EventID]map[string]id.EventID{}, byEvent: map[id.EventID]id.EventID{}}
}

// add records reaction event ev with key on target; false when the target already has
// maxReactions keys (the reaction is not recorded).
func (r *reactionSets) add(target id.EventID, key string, ev id.EventID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	set, ok := r.sets[target]
	if !ok {
		if len(r.order) >= r.max {
			r.forget(r.order[0])
		}
		set = map[string]id.EventID{}
		r.sets[target] = set
		r.order = append(r.order, target)
	}
	if old, dup := set[key]; dup {
		delete(r.byEvent, old)
	} else if len(set) >= maxReactions {
		return false
	}
	set[key] = ev
	r.byEvent[ev] = target
	return true
}

// forget drops target and its reaction events; r.mu is held.
func (r *reactionSets) forget(target id.EventID) {
	for _, ev := range r.sets[target] {
		delete(r.byEvent, ev)
	}
	delete(r.sets, target)
	if i := slices.Index(r.order, target); i >= 0 {
		r.order = slices.Delete(r.order, i, i+1)
	}
}

// remove drops the reaction key on target.
func (r *reactionSets) remove(target id.EventID, key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev, ok := r.sets[target][key]; ok {
		delete(r.byEvent, ev)
		delete(r.sets[target], key)
	}
}

// removeEvent drops the reaction event ev (redacted); its target, false if ev is none.
func (r *reactionSets) removeEvent(ev id.EventID) (id.EventID, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	target, ok := r.byEvent[ev]
	if !ok {
		return "", false
	}
	delete(r.byEvent, ev)
	for k, e := range r.sets[target] {
		if e == ev {
			delete(r.sets[target], k)
		}
	}
	return target, true
}

// get is a copy of target's reactions: key -> reaction event.
func (r *reactionSets) get(target id.EventID) map[string]id.EventID {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]id.EventID, len(r.sets[target]))
	for k, e := range r.sets[target] {
		out[k] = e
	}
	return out
}

// keys lists target's reaction keys, sorted.
func (r *reactionSets) keys(target id.EventID) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.sets[target]))
	for k := range r.sets[target] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// legacyOf is the daemon's id of event e: the XMPP id of the user's own message, else the
// event ID.
func (s *session) legacyOf(e id.EventID) string {
	if x, ok := s.sent.xmpp(e); ok {
		return x
	}
	return string(e)
}

// eventOf is the event a daemon id names: the user's message by its XMPP id, or a
// contact's message by its event ID.
func (s *session) eventOf(legacy string) (id.EventID, bool) {
	if e, ok := s.sent.event(legacy); ok {
		return e, true
	}
	if strings.HasPrefix(legacy, "$") {
		return id.EventID(legacy), true
	}
	return "", false
}

// withRelations turns the user's correction into an edit of the message it corrects and
// the user's reply into an m.in_reply_to, without the XEP-0428 quote (Matrix clients show
// the message replied to themselves; the formatted body, which holds the quote too, is
// left out then). A correction of a message no longer remembered goes as a new message.
func (s *session) withRelations(m backend.Message, c *event.MessageEventContent) *event.MessageEventContent {
	if m.ReplyToID != "" {
		if target, ok := s.eventOf(m.ReplyToID); ok {
			if end := m.ReplyFallbackEnd; end > 0 && end <= utf8.RuneCountInString(c.Body) {
				c.Body = strings.TrimLeft(string([]rune(c.Body)[end:]), "\n")
				c.Format, c.FormattedBody = "", ""
			}
			c.RelatesTo = (&event.RelatesTo{}).SetReplyTo(target)
		}
	}
	if m.ReplaceID == "" {
		return c
	}
	target, ok := s.sent.event(m.ReplaceID)
	if !ok {
		s.log.Debug().Str("id", m.ReplaceID).Msg("correction of a message not remembered: sent as a new message")
		return c
	}
	edit := &event.MessageEventContent{MsgType: c.MsgType, Body: "* " + c.Body, NewContent: c,
		RelatesTo: (&event.RelatesTo{}).SetReplace(target)}
	if c.Format == event.FormatHTML {
		edit.Format, edit.FormattedBody = c.Format, "* "+c.FormattedBody
	}
	c.RelatesTo = nil // m.new_content has no relation of its own
	return edit
}

// relationsFromMatrix sets the correction and reply of a contact's message ev in its
// direct chat room on m: an edit's original, and the message replied to with its sender
// and the plain reply fallback (the "> " lines and the blank line after them) as the
// XEP-0428 range.
func (s *session) relationsFromMatrix(room id.RoomID, ev *event.Event, m *backend.Message) {
	s.relations(room, ev, m, s.legacyOf, func(u id.UserID) string {
		if u == s.cli.UserID {
			return ""
		}
		return m.Buddy
	})
}

// roomRelations is relationsFromMatrix for a message in a joined room: there every
// message, the user's own too (its echo), is known to the daemon by its event ID, and a
// sender by its nickname.
func (s *session) roomRelations(rm *mucRoom, ev *event.Event, m *backend.Message) {
	s.relations(rm.id, ev, m, func(e id.EventID) string { return string(e) }, func(u id.UserID) string {
		if u == s.cli.UserID {
			return ""
		}
		s.rooms.mu.Lock()
		defer s.rooms.mu.Unlock()
		return rm.nickOf(u)
	})
}

// relations reads the edit or reply of ev onto m; legacy names an event as the daemon
// knows it, nameOf a sender ("" for the user).
func (s *session) relations(room id.RoomID, ev *event.Event, m *backend.Message, legacy func(id.EventID) string,
	nameOf func(id.UserID) string) {
	c, ok := ev.Content.Parsed.(*event.MessageEventContent)
	if !ok {
		return
	}
	if orig := c.RelatesTo.GetReplaceID(); orig != "" {
		m.ReplaceID = legacy(orig)
		return // an edit's new content has no reply of its own
	}
	target := c.RelatesTo.GetNonFallbackReplyTo()
	if target == "" {
		return
	}
	m.ReplyToID = legacy(target)
	if _, own := s.sent.xmpp(target); own {
		m.ReplyToSender = ""
	} else if sender := s.senderOf(room, target); sender != "" {
		m.ReplyToSender = nameOf(sender)
	} else {
		m.ReplyToSender = nameOf(ev.Sender) // unknown: most likely the replier's own thread
	}
	m.ReplyFallbackEnd = replyFallbackEnd(m.Body)
}

// senderOf asks the homeserver who sent event e in room, "" if it cannot say.
func (s *session) senderOf(room id.RoomID, e id.EventID) id.UserID {
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	orig, err := s.cli.GetEvent(ctx, room, e)
	if err != nil {
		s.log.Debug().Err(err).Str("event", string(e)).Msg("replied-to event not read")
		return ""
	}
	return orig.Sender
}

// replyFallbackEnd is the length in characters of a Matrix reply fallback the body starts
// with ("> " lines, then a blank line), 0 if there is none.
func replyFallbackEnd(body string) int {
	if !strings.HasPrefix(body, ">") {
		return 0
	}
	i := strings.Index(body, "\n\n")
	if i < 0 {
		return 0
	}
	for _, line := range strings.Split(body[:i], "\n") {
		if !strings.HasPrefix(line, ">") {
			return 0
		}
	}
	return utf8.RuneCountInString(body[:i+2])
}

// reactionOrRedaction handles a contact's m.reaction (its full set of reactions on that
// message goes to the daemon) and m.room.redaction (of one of its reactions: the set
// without it; of a message: its retraction) in the direct chat room.
func (s *session) reactionOrRedaction(room id.RoomID, ev *event.Event) {
	contact := s.r.contactOf(room)
	if contact == "" || ev.Sender != contact {
		return // not a direct chat, or the user's own (this gateway's or another client's)
	}
	buddy := buddyName(contact)
	switch ev.Type {
	case event.EventReaction:
		_ = ev.Content.ParseRaw(event.EventReaction)
		rc, ok := ev.Content.Parsed.(*event.ReactionEventContent)
		if !ok {
			return
		}
		target, key := rc.RelatesTo.GetAnnotationID(), rc.RelatesTo.GetAnnotationKey()
		if target == "" || key == "" {
			return
		}
		if !s.theirs.add(target, key, ev.ID) {
			s.log.Debug().Str("event", string(target)).Msg("reaction past the bound not bridged")
			return
		}
		s.sink.Event(backend.Event{User: s.user, Buddy: buddy, ID: string(ev.ID), ReactTo: s.legacyOf(target),
			Reactions: s.theirs.keys(target)})
	case event.EventRedaction:
		redacts := redacted(ev)
		if redacts == "" {
			return
		}
		if target, ok := s.theirs.removeEvent(redacts); ok {
			s.sink.Event(backend.Event{User: s.user, Buddy: buddy, ID: string(ev.ID), ReactTo: s.legacyOf(target),
				Reactions: s.theirs.keys(target)})
			return
		}
		s.sink.Event(backend.Event{User: s.user, Buddy: buddy, ID: string(ev.ID), Retract: s.legacyOf(redacts)})
	}
}

// roomReactionOrRedaction handles an m.reaction or m.room.redaction in a joined room:
// each member's reactions are gathered per message into the full set XEP-0444 sends (the
// user's own too: the network's echo, which the daemon reflects), a redaction of a
// message is its retraction by the redacting member.
func (s *session) roomReactionOrRedaction(rm *mucRoom, ev *event.Event) {
	s.rooms.mu.Lock()
	nick := rm.nickOf(ev.Sender)
	s.rooms.mu.Unlock()
	out := backend.Event{User: s.user, Buddy: rm.name, Nickname: nick, ID: string(ev.ID)}
	switch ev.Type {
	case event.EventReaction:
		_ = ev.Content.ParseRaw(event.EventReaction)
		rc, ok := ev.Content.Parsed.(*event.ReactionEventContent)
		if !ok {
			return
		}
		target, key := rc.RelatesTo.GetAnnotationID(), rc.RelatesTo.GetAnnotationKey()
		if target == "" || key == "" {
			return
		}
		set := memberSet(target, ev.Sender)
		if !s.theirs.add(set, key, ev.ID) {
			s.log.Debug().Str("event", string(target)).Msg("reaction past the bound not bridged")
			return
		}
		out.ReactTo, out.Reactions = string(target), s.theirs.keys(set)
	case event.EventRedaction:
		redacts := redacted(ev)
		if redacts == "" {
			return
		}
		if set, ok := s.theirs.removeEvent(redacts); ok {
			target, sender, _ := strings.Cut(string(set), memberSep)
			s.rooms.mu.Lock()
			out.Nickname = rm.nickOf(id.UserID(sender)) // whose reaction it was
			s.rooms.mu.Unlock()
			out.ReactTo, out.Reactions = target, s.theirs.keys(set)
		} else {
			out.Retract = string(redacts)
		}
	default:
		return
	}
	s.sink.Event(out)
}

// memberSep joins a message and a member into the key of that member's reactions to it
// in a room (a character neither an event ID nor a user ID has).
const memberSep = "\x00"

func memberSet(target id.EventID, sender id.UserID) id.EventID {
	return id.EventID(string(target) + memberSep + string(sender))
}

// redacted is the event a redaction redacts (top-level before room version 11, in the
// content since).
func redacted(ev *event.Event) id.EventID {
	if ev.Redacts != "" {
		return ev.Redacts
	}
	_ = ev.Content.ParseRaw(event.EventRedaction)
	if rc, ok := ev.Content.Parsed.(*event.RedactionEventContent); ok {
		return rc.Redacts
	}
	return ""
}

// Event sends the user's reactions (the full set: a reaction event per new key, a
// redaction of ours per removed key) or retraction (a redaction of the user's message)
// to the contact's direct chat.
func (p *Plugin) Event(_ context.Context, _ *backend.Sink, e backend.Event) {
	sess, ok := p.sessions.Load(e.User)
	if !ok {
		return
	}
	notSent := func(why string) {
		sess.sink.Message(backend.Message{User: sess.user, Buddy: e.Buddy, Body: "Reaction or retraction not delivered: " + why})
	}
	sess.do(func() { sess.sendEvent(e, notSent) }, func() { notSent("too many messages are waiting to be sent") })
}

// sendEvent is Event on the sender goroutine, to a joined room or a direct chat.
func (s *session) sendEvent(e backend.Event, notSent func(string)) {
	room := s.chatRoom(e.Buddy)
	if room == "" {
		notSent("no direct chat or joined room " + e.Buddy)
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	switch {
	case e.ReactTo != "":
		target, ok := s.eventOf(e.ReactTo)
		if !ok {
			notSent("the message is not known (too old)")
			return
		}
		want := e.Reactions
		if len(want) > maxReactions {
			want = want[:maxReactions]
		}
		have := s.ours.get(target)
		for k, ev := range have {
			if !slices.Contains(want, k) {
				if _, err := s.cli.RedactEvent(ctx, room, ev); err != nil && s.ctx.Err() == nil {
					s.log.Info().Err(err).Msg("reaction not redacted")
					continue
				}
				s.ours.remove(target, k)
			}
		}
		for _, k := range want {
			if _, dup := have[k]; dup || k == "" {
				continue
			}
			resp, err := s.cli.SendReaction(ctx, room, target, k)
			if err != nil {
				if s.ctx.Err() == nil {
					notSent("the homeserver did not take it: " + err.Error())
				}
				return
			}
			if !s.ours.add(target, k, resp.EventID) {
				s.log.Debug().Msg("own reaction past the bound: it cannot be taken back")
			}
		}
	case e.Retract != "":
		target, ok := s.sent.event(e.Retract)
		if !ok && strings.HasPrefix(e.Retract, "$") && s.senderOf(room, id.EventID(e.Retract)) == s.cli.UserID {
			target, ok = id.EventID(e.Retract), true // the user's own, by its event ID (rooms)
		}
		if !ok {
			notSent("the message is not known (too old, or not the user's)")
			return
		}
		if _, err := s.cli.RedactEvent(ctx, room, target); err != nil && s.ctx.Err() == nil {
			notSent("the homeserver did not take it: " + err.Error())
		}
	}
}

// roomReceipt turns the members' read receipts in a joined room into XEP-0333 displayed
// markers from their nicks, naming the events as the daemon knows room messages.
func (s *session) roomReceipt(room id.RoomID, ev *event.Event) {
	if ev.Type != event.EphemeralEventReceipt {
		return
	}
	s.rooms.mu.Lock()
	rm := s.rooms.muc[room]
	s.rooms.mu.Unlock()
	if rm == nil {
		return
	}
	_ = ev.Content.ParseRaw(event.EphemeralEventReceipt)
	rc, ok := ev.Content.Parsed.(*event.ReceiptEventContent)
	if !ok {
		return
	}
	for evID, byType := range *rc {
		for u := range byType[event.ReceiptTypeRead] {
			if u == s.cli.UserID {
				continue // the user's own, from this gateway or another client
			}
			s.rooms.mu.Lock()
			nick := rm.nickOf(u)
			s.rooms.mu.Unlock()
			s.sink.Event(backend.Event{User: s.user, Buddy: rm.name, Nickname: nick, Displayed: string(evID)})
		}
	}
}

// chatRoom is the Matrix room of a daemon name: a joined room, else the contact's direct
// chat; "" for neither.
func (s *session) chatRoom(buddy string) id.RoomID {
	if rm := s.rooms.byLegacy(buddy); rm != nil {
		return rm.id
	}
	if to, ok := userOf(buddy); ok {
		return s.r.dmRoom(to)
	}
	return ""
}

var _ backend.Eventer = (*Plugin)(nil)
