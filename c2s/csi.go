package c2s

import (
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// csiState is a session's client state indication (XEP-0352), guarded by Session.mu.
// While the client is inactive, what a sleeping phone does not need right now is held
// back: presence updates (only the latest per sender), chat states and receipts without a
// body, and room messages that do not mention the user's nick.
type csiState struct {
	inactive bool
	held     []*xmpp.Element // in arrival order; nil entries were superseded
	presence map[string]int  // sender -> index of its held presence in held
	count    int             // non-nil entries of held
	nicks    map[string]string
}

// observe learns the user's nick in each room from the room's self-presence
// (XEP-0045 status 110), so that mentions can be recognised.
func (cs *csiState) observe(el *xmpp.Element) {
	if el.Local != "presence" || el.Space != xmpp.NSClient {
		return
	}
	x := el.Child(xmpp.NSMUCUser, "x")
	if x == nil || !hasStatus(x, "110") {
		return
	}
	from, err := jid.Parse(el.From())
	if err != nil {
		return
	}
	room := from.Bare().String()
	if el.Type() == "unavailable" {
		delete(cs.nicks, room)
		return
	}
	if cs.nicks == nil {
		cs.nicks = make(map[string]string)
	}
	cs.nicks[room] = from.Resourcepart()
}

func hasStatus(x *xmpp.Element, code string) bool {
	for _, ch := range x.Children() {
		if ch.Is(xmpp.NSMUCUser, "status") && ch.Attr("code") == code {
			return true
		}
	}
	return false
}

// hold keeps el back when the client is inactive and el can wait; false means el is
// delivered now (after what is held). Past maxHeld everything held is flushed.
func (cs *csiState) hold(el *xmpp.Element, maxHeld int) bool {
	if !cs.inactive || !cs.canWait(el) {
		return false
	}
	if cs.count >= maxHeld {
		return false // flushed by the caller before el
	}
	if el.Local == "presence" {
		if cs.presence == nil {
			cs.presence = make(map[string]int)
		}
		if i, ok := cs.presence[el.From()]; ok {
			cs.held[i] = nil // only the latest presence per sender is kept
			cs.count--
		}
		cs.presence[el.From()] = len(cs.held)
	}
	cs.held = append(cs.held, el)
	cs.count++
	return true
}

// canWait classifies el for an inactive client (XEP-0352 section 5 leaves the policy to
// the server): presence updates, body-less messages and room chatter wait; messages with
// a body, mentions, subscription requests, errors and IQs do not.
func (cs *csiState) canWait(el *xmpp.Element) bool {
	if el.Space != xmpp.NSClient {
		return false
	}
	switch el.Local {
	case "presence":
		t := el.Type()
		return t == "" || t == "unavailable"
	case "message":
		t := el.Type()
		if t == "error" {
			return false
		}
		body := el.ChildText(xmpp.NSClient, "body")
		if body == "" {
			return el.Child(xmpp.NSClient, "subject") == nil
		}
		return t == "groupchat" && !cs.mentions(el.From(), body)
	}
	return false
}

// mentions reports whether body names the user's nick in the room that sent it.
func (cs *csiState) mentions(from, body string) bool {
	j, err := jid.Parse(from)
	if err != nil {
		return true
	}
	nick := cs.nicks[j.Bare().String()]
	if nick == "" {
		return false
	}
	return strings.Contains(strings.ToLower(body), strings.ToLower(nick))
}

// flush returns what is held, in order, and holds nothing any more.
func (cs *csiState) flush() []*xmpp.Element {
	if cs.count == 0 {
		cs.held, cs.presence = nil, nil
		return nil
	}
	out := make([]*xmpp.Element, 0, cs.count)
	for _, el := range cs.held {
		if el != nil {
			out = append(out, el)
		}
	}
	cs.held, cs.presence, cs.count = nil, nil, 0
	return out
}

// setActive handles <active/> and <inactive/> (XEP-0352 section 4); <active/> delivers
// everything held.
func (s *Session) setActive(active bool) {
	s.mu.Lock()
	s.csi.inactive = !active
	if active {
		s.pushLocked(s.csi.flush()...)
	}
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		c.kick()
	}
}
