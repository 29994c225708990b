package xmpp

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

// handleMessage routes a message from the server: carbons (XEP-0280), room traffic, 1:1.
func (s *session) handleMessage(c *conn, el *stanza.Element) {
	if el.Type() == "error" {
		s.log.Debug().Str("from", el.From()).Str("error", stanzaErrorText(el)).Msg("message bounced")
		return
	}
	if s.self(el.From()) {
		s.carbon(c, el)
		return
	}
	if r := s.room(el.From()); r != nil {
		s.roomMessage(r, el)
		return
	}
	s.chatMessage(c, el, false)
}

// carbon handles a copy of a message another client of the account sent or received;
// only our own server may send those (XEP-0280 section 11).
func (s *session) carbon(c *conn, el *stanza.Element) {
	for _, dir := range []string{"sent", "received"} {
		inner := child(child(child(el, stanza.NSCarbons, dir), stanza.NSForward, "forwarded"), stanza.NSClient, "message")
		if inner == nil {
			continue
		}
		if dir == "received" {
			s.chatMessage(c, inner, true)
			return
		}
		body := inner.ChildText(stanza.NSClient, "body")
		if _, isEvent := eventOf(inner); body == "" || isEvent || inner.Type() == "groupchat" {
			return // the protocol has no carbon of a reaction or retraction: its fallback is no message
		}
		m := backend.Message{User: s.user, Buddy: bareJID(inner.To()), Body: body, Carbon: true,
			ID: legacyID(inner, s.ownJID())}
		if r := s.room(inner.To()); r != nil {
			m.Buddy, m.Nickname, m.PM = r.name, resourceOf(inner.To()), true
		}
		readExtensions(inner, s.ownJID(), &m)
		s.sink.Message(m)
		return
	}
}

// chatMessage delivers a 1:1 message (or a room PM): receipts become CONV_MESSAGE_ACK,
// chat states typing frames, attention ATTENTION, and a body CONV_MESSAGE (spec 3.10). A
// receipt request is answered once the message was handed to the daemon. copied marks a
// carbon: another client of the account answers receipts for it.
func (s *session) chatMessage(c *conn, el *stanza.Element, copied bool) {
	bare, res := splitJID(el.From())
	if rc := el.Child(stanza.NSReceipts, "received"); rc != nil && rc.Attr("id") != "" {
		s.sink.Ack(s.user, bare, rc.Attr("id"))
	}
	body := el.ChildText(stanza.NSClient, "body")
	if el.Child(stanza.NSAttention, "attention") != nil {
		s.sink.Attention(s.user, bare, body)
		return
	}
	m := backend.Message{User: s.user, Buddy: bare, Body: body, XHTML: xhtmlOf(el),
		Timestamp: delayStamp(el), Headline: el.Type() == "headline", Attachments: oobOf(el),
		ID: legacyID(el, s.ownJID())}
	if r := s.room(el.From()); r != nil && res != "" {
		m.Buddy, m.Nickname, m.PM = r.name, res, true
	}
	if ev, ok := eventOf(el); ok {
		// Reactions, a retraction or a displayed marker: its fallback body is no message.
		ev.User, ev.Buddy, ev.ID = s.user, m.Buddy, m.ID
		if m.PM {
			ev.Buddy = m.Buddy + "/" + m.Nickname // the daemon's name of an occupant's private chat
		}
		s.sink.Event(ev)
		return
	}
	readExtensions(el, s.ownJID(), &m)
	if body == "" && m.XHTML == "" {
		if state, ok := chatState(el); ok && !m.PM {
			s.sink.Typing(s.user, bare, state)
		}
		return
	}
	if s.sink.Message(m) != nil {
		return
	}
	if el.Child(stanza.NSReceipts, "request") != nil && el.ID() != "" && !copied {
		c.send(stanza.New(stanza.NSClient, "message", "to", el.From(), "id", c.nextID()).
			Append(stanza.New(stanza.NSReceipts, "received", "id", el.ID())))
	}
}

// chatState reads a XEP-0085 state the protocol carries (inactive and gone it does not).
func chatState(el *stanza.Element) (backend.TypingState, bool) {
	switch {
	case el.Child(stanza.NSChatStates, "composing") != nil:
		return backend.Typing, true
	case el.Child(stanza.NSChatStates, "paused") != nil:
		return backend.Paused, true
	case el.Child(stanza.NSChatStates, "active") != nil:
		return backend.StoppedTyping, true
	}
	return 0, false
}

// delayStamp turns a XEP-0203 delay into the protocol's YYYYMMDDTHHMMSS (UTC), "" if none.
func delayStamp(el *stanza.Element) string {
	d := el.Child(stanza.NSDelay, "delay")
	if d == nil {
		return ""
	}
	t, err := time.Parse(time.RFC3339, d.Attr("stamp"))
	if err != nil {
		return ""
	}
	return t.UTC().Format("20060102T150405")
}

// oobOf reads jabber:x:oob attachments.
func oobOf(el *stanza.Element) []backend.Attachment {
	var out []backend.Attachment
	for _, x := range el.Children() {
		if x.Is(stanza.NSOOB, "x") && x.ChildText(stanza.NSOOB, "url") != "" {
			out = append(out, backend.Attachment{URL: x.ChildText(stanza.NSOOB, "url"),
				Description: x.ChildText(stanza.NSOOB, "desc")})
		}
	}
	return out
}

// xhtmlOf returns the inner XML of the XHTML-IM body, "" for none (spec 3.9).
func xhtmlOf(el *stanza.Element) string {
	body := child(child(el, stanza.NSXHTMLIM, "html"), stanza.NSXHTML, "body")
	if body == nil {
		return ""
	}
	var buf bytes.Buffer
	for _, n := range body.Nodes {
		if n.Elem != nil {
			buf.Write(n.Elem.AppendXML(nil, stanza.NSXHTML))
		} else {
			xml.EscapeText(&buf, []byte(n.Text))
		}
	}
	return buf.String()
}

// outgoing builds the stanza for the user's message: to a room (groupchat), to a room
// participant (PM, "room/nick"), or to a contact (chat).
func (s *session) outgoing(m backend.Message) *stanza.Element {
	msg := stanza.New(stanza.NSClient, "message", "type", "chat", "to", m.Buddy)
	if r := s.room(m.Buddy); r != nil {
		if resourceOf(m.Buddy) == "" {
			msg.SetAttr("type", "groupchat")
		} else {
			msg.Append(stanza.New("http://jabber.org/protocol/muc#user", "x"))
		}
	}
	return msg
}

func resourceOf(jid string) string {
	_, r := splitJID(jid)
	return r
}

// Message sends the user's message. A message with an ID asks for a receipt (XEP-0184),
// which comes back as CONV_MESSAGE_ACK (spec 3.9, 3.10).
func (p *Plugin) Message(_ context.Context, _ *backend.Sink, m backend.Message) {
	sess, c := p.live(m.User)
	if c == nil {
		return
	}
	msg := sess.outgoing(m)
	id := m.ID
	if id == "" {
		id = c.nextID()
	}
	msg.SetAttr("id", id)
	msg.Append(stanza.New(stanza.NSClient, "body").AppendText(m.Body))
	if r := sess.room(m.Buddy); r != nil && msg.Type() == "groupchat" {
		sess.writeRoomExtensions(msg, r, m)
		if m.ID != "" {
			msg.Append(stanza.New(stanza.NSSID, "origin-id", "id", m.ID)) // kept in the room's reflection
		}
	} else {
		writeExtensions(msg, m, sess.ownJID())
	}
	if x := parseXHTML(m.XHTML); x != nil {
		msg.Append(stanza.New(stanza.NSXHTMLIM, "html").Append(x))
	}
	for _, a := range m.Attachments {
		x := stanza.New(stanza.NSOOB, "x").Append(stanza.New(stanza.NSOOB, "url").AppendText(a.URL))
		if a.Description != "" {
			x.Append(stanza.New(stanza.NSOOB, "desc").AppendText(a.Description))
		}
		msg.Append(x)
	}
	if msg.Type() == "chat" {
		if m.ID != "" {
			// The id is the legacy id the daemon and the contact's client both name the
			// message by (XEP-0359 origin-id); markable asks for XEP-0333 markers, which
			// come back as CONV_EVENT displayed.
			msg.Append(stanza.New(stanza.NSReceipts, "request"), stanza.New(stanza.NSSID, "origin-id", "id", m.ID),
				stanza.New(stanza.NSMarkers, "markable"))
		}
		msg.Append(stanza.New(stanza.NSChatStates, "active"))
	}
	c.send(msg)
}

// parseXHTML reads the inner XML of an XHTML-IM body back into a <body/>; nil if empty
// or not well-formed (the plain body is sent anyway).
func parseXHTML(inner string) *stanza.Element {
	if strings.TrimSpace(inner) == "" {
		return nil
	}
	src := `<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams">` +
		`<body xmlns="http://www.w3.org/1999/xhtml">` + inner + `</body>`
	r := stanza.NewReader(strings.NewReader(src), stanza.Limits{})
	if _, err := r.StreamHeader(); err != nil {
		return nil
	}
	el, err := r.Next()
	if err != nil {
		return nil
	}
	return el
}

// Typing sends the user's chat state (XEP-0085) to a contact.
func (p *Plugin) Typing(_ context.Context, _ *backend.Sink, user, buddy string, state backend.TypingState) {
	sess, c := p.live(user)
	if c == nil {
		return
	}
	name := map[backend.TypingState]string{backend.Typing: "composing", backend.Paused: "paused",
		backend.StoppedTyping: "active"}[state]
	msg := sess.outgoing(backend.Message{Buddy: buddy})
	if msg.Type() == "groupchat" {
		return // room chat states are not bridged
	}
	c.send(msg.Append(stanza.New(stanza.NSChatStates, name), stanza.New(stanza.NSHints, "no-store")))
}

// Attention sends a XEP-0224 attention request with an optional body.
func (p *Plugin) Attention(_ context.Context, _ *backend.Sink, m backend.Message) {
	sess, c := p.live(m.User)
	if c == nil {
		return
	}
	msg := sess.outgoing(m).SetAttr("type", "headline")
	if m.Body != "" {
		msg.Append(stanza.New(stanza.NSClient, "body").AppendText(m.Body))
	}
	c.send(msg.Append(stanza.New(stanza.NSAttention, "attention")))
}

// child is Element.Child that accepts a nil parent, for paths into optional elements.
func child(el *stanza.Element, space, local string) *stanza.Element {
	if el == nil {
		return nil
	}
	return el.Child(space, local)
}
