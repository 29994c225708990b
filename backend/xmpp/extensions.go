package xmpp

import (
	"context"
	"strconv"
	"unicode/utf8"

	"github.com/gospectrum/spectrum2/backend"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
)

// The message extensions of issue 24 pass through unchanged in meaning: both sides speak
// XMPP, and in a one-to-one chat every reference names the message's own id (XEP-0308,
// XEP-0444, XEP-0461 and XEP-0424 for chat messages), which is also the legacy id the
// daemon keeps end to end. So no id is translated and nothing is remembered here.
const (
	nsCorrect   = "urn:xmpp:message-correct:0"  // XEP-0308
	nsReactions = "urn:xmpp:reactions:0"        // XEP-0444
	nsReply     = "urn:xmpp:reply:0"            // XEP-0461
	nsFallback  = "urn:xmpp:fallback:0"         // XEP-0428
	nsFallback0 = "urn:xmpp:feature-fallback:0" // XEP-0428 before 0.2
	nsRetract   = "urn:xmpp:message-retract:1"  // XEP-0424 0.4
	nsRetract0  = "urn:xmpp:message-retract:0"  // XEP-0424 before 0.4, inside apply-to
	nsFasten    = "urn:xmpp:fasten:0"           // XEP-0422
)

// maxReactions bounds the reactions of one message that travel on (the daemon's bound).
const maxReactions = 32

// retractFallback is the body XEP-0424 asks a retraction to carry for older clients.
const retractFallback = "This person attempted to retract a previous message, but it's unsupported by your client."

// legacyID is the id a remote message is known by to its sender, which the sender's
// corrections, reactions, replies and retractions name: its XEP-0359 origin-id, else its
// id; a message without either is named by the stanza-id our account's server gave it
// (XEP-0359, by = our bare JID), else not at all.
func legacyID(el *stanza.Element, own string) string {
	if o := el.Child(stanza.NSSID, "origin-id"); o != nil && o.Attr("id") != "" {
		return o.Attr("id")
	}
	if el.ID() != "" {
		return el.ID()
	}
	for _, c := range el.Children() {
		if c.Is(stanza.NSSID, "stanza-id") && c.Attr("id") != "" && key(c.Attr("by")) == key(own) {
			return c.Attr("id")
		}
	}
	return ""
}

// readExtensions sets the correction and reply of el on m. The reply's sender is the
// legacy name of its author: "" for the user's own account (also when el does not say
// whose message it answers: in a one-to-one chat a reply most often quotes the other side).
func readExtensions(el *stanza.Element, own string, m *backend.Message) {
	if r := el.Child(nsCorrect, "replace"); r != nil && r.Attr("id") != "" {
		m.ReplaceID = r.Attr("id")
	}
	r := el.Child(nsReply, "reply")
	if r == nil || r.Attr("id") == "" {
		return
	}
	m.ReplyToID = r.Attr("id")
	if to := r.Attr("to"); to != "" && key(to) != key(own) {
		m.ReplyToSender = bareJID(to)
	}
	for _, f := range el.Children() {
		if f.Local != "fallback" || (f.Space != nsFallback && f.Space != nsFallback0) || f.Attr("for") != nsReply {
			continue
		}
		for _, b := range f.Children() {
			if b.Local != "body" {
				continue
			}
			start, _ := strconv.Atoi(b.Attr("start"))
			end, err := strconv.Atoi(b.Attr("end"))
			if err == nil && start == 0 && end > 0 && end <= utf8.RuneCountInString(m.Body) {
				m.ReplyFallbackEnd = end
			}
		}
	}
}

// eventOf reads the reactions, retraction or displayed marker el carries as an Event
// (without user and buddy); false when it carries none. A retraction's fallback body is
// not a message of its own.
func eventOf(el *stanza.Element) (backend.Event, bool) {
	if r := el.Child(nsReactions, "reactions"); r != nil && r.Attr("id") != "" {
		ev := backend.Event{ReactTo: r.Attr("id"), Reactions: []string{}}
		for _, c := range r.Children() {
			if c.Is(nsReactions, "reaction") && c.Text() != "" && len(ev.Reactions) < maxReactions {
				ev.Reactions = append(ev.Reactions, c.Text())
			}
		}
		return ev, true
	}
	if r := el.Child(nsRetract, "retract"); r != nil && r.Attr("id") != "" {
		return backend.Event{Retract: r.Attr("id")}, true
	}
	if a := el.Child(nsFasten, "apply-to"); a != nil && a.Attr("id") != "" && a.Child(nsRetract0, "retract") != nil {
		return backend.Event{Retract: a.Attr("id")}, true
	}
	if d := el.Child(stanza.NSMarkers, "displayed"); d != nil && d.Attr("id") != "" {
		return backend.Event{Displayed: d.Attr("id")}, true
	}
	return backend.Event{}, false
}

// writeExtensions adds the user's correction and reply of m to msg: XEP-0308 <replace/>,
// XEP-0461 <reply/> naming the author (the contact, or the user's own account for "")
// with the XEP-0428 fallback range of the quote the body starts with.
func writeExtensions(msg *stanza.Element, m backend.Message, own string) {
	if m.ReplaceID != "" {
		msg.Append(stanza.New(nsCorrect, "replace", "id", m.ReplaceID))
	}
	if m.ReplyToID == "" {
		return
	}
	to := own
	if m.ReplyToSender != "" {
		to = m.ReplyToSender // a contact's JID (an occupant's room/nick in a PM)
	}
	msg.Append(stanza.New(nsReply, "reply", "id", m.ReplyToID, "to", to))
	if end := m.ReplyFallbackEnd; end > 0 && end <= utf8.RuneCountInString(m.Body) {
		msg.Append(stanza.New(nsFallback, "fallback", "for", nsReply).Append(
			stanza.New(nsFallback, "body", "start", "0", "end", strconv.Itoa(end))))
	}
}

// Event sends the user's reactions (XEP-0444, the full set) or retraction (XEP-0424, in
// the current namespace and the older XEP-0422 form, with the fallback body) to a
// contact.
func (p *Plugin) Event(_ context.Context, _ *backend.Sink, e backend.Event) {
	sess, c := p.live(e.User)
	if c == nil {
		return
	}
	// In a room (groupchat) the ids are the room's stanza-ids the daemon gave, as the XEPs
	// name room messages.
	msg := sess.outgoing(backend.Message{Buddy: e.Buddy})
	msg.SetAttr("id", c.nextID())
	switch {
	case e.ReactTo != "":
		r := stanza.New(nsReactions, "reactions", "id", e.ReactTo)
		for i, x := range e.Reactions {
			if i == maxReactions {
				break
			}
			r.Append(stanza.New(nsReactions, "reaction").AppendText(x))
		}
		msg.Append(r, stanza.New(stanza.NSHints, "store"))
	case e.Retract != "":
		msg.Append(stanza.New(nsRetract, "retract", "id", e.Retract),
			stanza.New(nsFasten, "apply-to", "id", e.Retract).Append(stanza.New(nsRetract0, "retract")),
			stanza.New(nsFallback, "fallback", "for", nsRetract),
			stanza.New(stanza.NSClient, "body").AppendText(retractFallback),
			stanza.New(stanza.NSHints, "store"))
	default:
		return
	}
	c.send(msg)
}

// Displayed sends the user's XEP-0333 displayed marker for a contact's message.
func (p *Plugin) Displayed(_ context.Context, _ *backend.Sink, user, buddy, id string) {
	sess, c := p.live(user)
	if c == nil || id == "" {
		return
	}
	msg := sess.outgoing(backend.Message{Buddy: buddy}) // a room's marker names its stanza-id
	c.send(msg.SetAttr("id", c.nextID()).Append(stanza.New(stanza.NSMarkers, "displayed", "id", id),
		stanza.New(stanza.NSHints, "store")))
}
