package xmpp

import (
	"slices"
	"strings"
	"sync"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

// In a room the extensions name messages as the XEPs say for groupchat: a reaction,
// reply, retraction or displayed marker by the stanza-id the room gave the message
// (XEP-0359, by = the room), a correction by the message's own id (XEP-0308). The legacy
// id of a room message is what the others name: the room's stanza-id, else (a room that
// gives none) its origin-id or id. Corrections then need the message's own id: roomIDs
// keeps it for the room's stanza-ids, both ways, bounded.

// maxRoomIDs bounds the room messages whose own id is remembered beside the room's
// stanza-id, per user; past it a correction names the legacy id as it is.
const maxRoomIDs = 1024

// roomLegacyID is the legacy id of a groupchat message from room (its bare JID).
func roomLegacyID(el *stanza.Element, room string) string {
	for _, c := range el.Children() {
		if c.Is(stanza.NSSID, "stanza-id") && c.Attr("id") != "" && key(c.Attr("by")) == key(room) {
			return c.Attr("id")
		}
	}
	if o := el.Child(stanza.NSSID, "origin-id"); o != nil && o.Attr("id") != "" {
		return o.Attr("id")
	}
	return el.ID()
}

// ownID is the id a message's sender gave it: its origin-id, else its id.
func ownID(el *stanza.Element) string {
	if o := el.Child(stanza.NSSID, "origin-id"); o != nil && o.Attr("id") != "" {
		return o.Attr("id")
	}
	return el.ID()
}

// roomIDs maps room messages' own ids to the room's stanza-ids and back, per room.
type roomIDs struct {
	mu     sync.Mutex
	max    int
	order  []string // room + "\x00" + own id, oldest first
	legacy map[string]string
	own    map[string]string // room + "\x00" + stanza-id -> own id
}

func newRoomIDs(max int) *roomIDs {
	return &roomIDs{max: max, legacy: map[string]string{}, own: map[string]string{}}
}

// put records that the message own in room has the room's stanza-id sid.
func (m *roomIDs) put(room, own, sid string) {
	if own == "" || sid == "" || own == sid {
		return
	}
	room = key(room)
	k := room + "\x00" + own
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.legacy[k]; ok {
		delete(m.own, room+"\x00"+old)
	} else {
		if len(m.order) >= m.max {
			m.forget(m.order[0])
			m.order = slices.Delete(m.order, 0, 1)
		}
		m.order = append(m.order, k)
	}
	m.legacy[k] = sid
	m.own[room+"\x00"+sid] = own
}

// forget drops the entry k (room + "\x00" + own id); m.mu is held.
func (m *roomIDs) forget(k string) {
	room, _, _ := strings.Cut(k, "\x00")
	delete(m.own, room+"\x00"+m.legacy[k])
	delete(m.legacy, k)
}

// legacyOf is the stanza-id of the message own in room, or own itself.
func (m *roomIDs) legacyOf(room, own string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if sid, ok := m.legacy[key(room)+"\x00"+own]; ok {
		return sid
	}
	return own
}

// ownOf is the message's own id for the room's stanza-id sid, or sid itself.
func (m *roomIDs) ownOf(room, sid string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if own, ok := m.own[key(room)+"\x00"+sid]; ok {
		return own
	}
	return sid
}

// roomExtensions reads a groupchat message's correction (its original's own id mapped to
// the legacy id) and reply (the sender by nickname, "" for ours) onto m.
func (s *session) roomExtensions(r *room, el *stanza.Element, m *backend.Message) {
	readExtensions(el, "", m)
	if m.ReplaceID != "" {
		m.ReplaceID = s.roomIDs.legacyOf(r.name, m.ReplaceID)
	}
	if m.ReplyToID != "" {
		m.ReplyToSender = ""
		if to := child(el, nsReply, "reply").Attr("to"); key(to) == key(r.name) {
			if nick := resourceOf(to); nick != s.nickIn(r) {
				m.ReplyToSender = nick
			}
		}
	}
}

// nickIn is our nickname in r.
func (s *session) nickIn(r *room) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return r.nick
}

// roomEvent sends a member's reactions, retraction or displayed marker in a room (the
// room's reflection of our own too, from our nickname): true if el carried one.
func (s *session) roomEvent(r *room, el *stanza.Element, nick string) bool {
	ev, ok := eventOf(el)
	if !ok {
		return false
	}
	ev.User, ev.Buddy, ev.Nickname, ev.ID = s.user, r.name, nick, roomLegacyID(el, r.name)
	s.sink.Event(ev)
	return true
}

// writeRoomExtensions is writeExtensions for a groupchat message to r: the correction
// names our original's own id, the reply the member's occupant JID.
func (s *session) writeRoomExtensions(msg *stanza.Element, r *room, m backend.Message) {
	if m.ReplaceID != "" {
		msg.Append(stanza.New(nsCorrect, "replace", "id", s.roomIDs.ownOf(r.name, m.ReplaceID)))
	}
	m.ReplaceID = ""
	nick := m.ReplyToSender
	if nick == "" {
		nick = s.nickIn(r)
	}
	m.ReplyToSender = r.name + "/" + nick
	writeExtensions(msg, m, "")
}
