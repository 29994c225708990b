package xmpp

import (
	"context"
	"strconv"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// showStatus maps <show/> to the protocol's status (spec 3.8 in reverse).
func showStatus(show string) pb.StatusType {
	switch show {
	case "away":
		return pb.StatusType_STATUS_AWAY
	case "chat":
		return pb.StatusType_STATUS_FFC
	case "xa":
		return pb.StatusType_STATUS_XA
	case "dnd":
		return pb.StatusType_STATUS_DND
	}
	return pb.StatusType_STATUS_ONLINE
}

// statusShow maps the user's status to <show/> ("" for plain available).
func statusShow(st pb.StatusType) string {
	switch st {
	case pb.StatusType_STATUS_AWAY:
		return "away"
	case pb.StatusType_STATUS_FFC:
		return "chat"
	case pb.StatusType_STATUS_XA:
		return "xa"
	case pb.StatusType_STATUS_DND:
		return "dnd"
	}
	return ""
}

// readPresence reads status, message and priority of an available or unavailable presence.
func readPresence(el *stanza.Element) presence {
	if el.Type() == "unavailable" {
		return presence{status: pb.StatusType_STATUS_NONE, message: el.ChildText(stanza.NSClient, "status")}
	}
	prio, _ := strconv.Atoi(el.ChildText(stanza.NSClient, "priority"))
	return presence{status: showStatus(el.ChildText(stanza.NSClient, "show")),
		message: el.ChildText(stanza.NSClient, "status"), priority: max(-128, min(127, prio))}
}

// photoHash reads the XEP-0153 avatar hash: nil when the presence says nothing about it,
// "" for "no avatar".
func photoHash(el *stanza.Element) *string {
	x := el.Child(stanza.NSVCardUpd, "x")
	if x == nil || x.Child(stanza.NSVCardUpd, "photo") == nil {
		return nil
	}
	h := x.ChildText(stanza.NSVCardUpd, "photo")
	return &h
}

// handlePresence: contacts' presences become BUDDY_CHANGED, subscription requests
// AUTH_REQUEST (spec 3.7), room presences participants (spec 3.12).
func (s *session) handlePresence(el *stanza.Element) {
	from := el.From()
	if r := s.room(from); r != nil {
		s.roomPresence(r, el)
		return
	}
	if s.leftRoom(from, el) {
		return
	}
	switch el.Type() {
	case "", "unavailable":
		s.contactPresence(from, el)
	case "subscribe":
		s.mu.Lock()
		s.asked[key(from)] = true
		s.mu.Unlock()
		s.sink.AuthRequest(s.user, bareJID(from))
	}
}

// contactPresence updates one resource of a roster contact and reports the result.
func (s *session) contactPresence(from string, el *stanza.Element) {
	bare, res := splitJID(from)
	s.mu.Lock()
	ct := s.roster[key(bare)]
	if ct == nil || key(bare) == key(s.own) {
		s.mu.Unlock()
		return // not a contact: a directed presence, or our own other resources
	}
	if p := readPresence(el); p.status == pb.StatusType_STATUS_NONE {
		delete(ct.resources, res)
	} else {
		ct.resources[res] = p
	}
	if h := photoHash(el); h != nil {
		ct.iconHash = h
	}
	b := s.buddy(ct)
	s.mu.Unlock()
	s.sink.Buddy(b)
}

// ownPresence builds the user's presence: show, status, and the avatar hash once known
// (XEP-0153).
func (s *session) ownPresence() *stanza.Element {
	s.mu.Lock()
	st, hash := s.status, s.photoHash
	s.mu.Unlock()
	p := stanza.New(stanza.NSClient, "presence")
	if show := statusShow(st.Status); show != "" {
		p.Append(stanza.New(stanza.NSClient, "show").AppendText(show))
	}
	if st.Message != "" {
		p.Append(stanza.New(stanza.NSClient, "status").AppendText(st.Message))
	}
	if hash != nil {
		p.Append(stanza.New(stanza.NSVCardUpd, "x").Append(stanza.New(stanza.NSVCardUpd, "photo").AppendText(*hash)))
	}
	return p
}

// sendPresence broadcasts the user's presence and repeats it to every joined room.
func (s *session) sendPresence(c *conn) {
	p := s.ownPresence()
	c.send(p)
	for _, to := range s.roomOccupantJIDs() {
		c.send(p.Clone().SetAttr("to", to))
	}
}

// SetStatus changes the user's presence (spec 3.6). STATUS_NONE is left to LOGOUT;
// invisibility has no equivalent in plain XMPP and is sent as available.
func (p *Plugin) SetStatus(_ context.Context, _ *backend.Sink, st backend.Status) {
	if _, _, err := p.statuses.Swap(st.User, st); err != nil {
		p.log.Warn().Err(err).Str("user", st.User).Msg("status not kept for the next login")
	}
	sess := p.lookup(st.User)
	if sess == nil || st.Status == pb.StatusType_STATUS_NONE {
		return
	}
	sess.mu.Lock()
	sess.status = st
	c := sess.c
	sess.mu.Unlock()
	if c != nil {
		sess.sendPresence(c)
	}
}
