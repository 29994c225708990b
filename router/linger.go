package router

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
)

// DefaultLinger is how long messages of a session that ended unacknowledged wait for the
// user's next login when no other resource can take them (issue: sm.linger).
const DefaultLinger = 10 * time.Minute

// maxLingering bounds the messages kept for the next login (as c2s.DefaultSMMaxQueue
// bounds a hibernated session's).
const maxLingering = 1000

// UndeliverableCounter is implemented by an Ops that counts stanzas the router finally
// could not deliver (stream management, XEP-0198). *metrics.Metrics may implement it;
// without it such stanzas are only logged.
type UndeliverableCounter interface {
	// StanzaUndeliverable is called once per stanza given up; kind is its element name.
	StanzaUndeliverable(kind string)
}

// lingering is a message kept for the user's next login.
type lingering struct {
	el *xmpp.Element
}

// smUndelivered handles what a closed session never acknowledged (XEP-0198 section 5,
// called after the resource was removed): messages with a body go to another resource
// with <delay/>, or wait for the next login; IQ requests get recipient-unavailable to
// their sender; what remains (presences, chat states, receipts, room messages) is dropped,
// counted, and summed up in one log line without content.
func (u *user) smUndelivered(rs *resource, undelivered []*xmpp.Element) {
	now := time.Now()
	var t smTally
	for _, el := range undelivered {
		switch {
		case el.Local == "message" && el.Type() != "error" && el.Type() != "groupchat" &&
			el.Child(xmpp.NSClient, "body") != nil:
			// Room messages stay with the room (its history); another resource may not
			// be an occupant.
			if len(u.resources) > 0 {
				t.redelivered++
			} else {
				t.kept++
			}
			u.redeliver(markDelayed(el, u.r.cfg.Domain, now))
		case el.Local == "iq" && (el.Type() == "get" || el.Type() == "set"):
			t.answered++
			u.iqUnanswered(rs, el)
		default:
			t.drop(el)
			u.undeliverable(el)
		}
	}
	if t.lost() > 0 {
		u.log.Info().Int("stanzas", t.lost()).Int("presences", t.presences).Int("chat_states", t.chatStates).
			Int("other", t.other).Int("redelivered", t.redelivered).Int("kept", t.kept).
			Str("resource", rs.full.Resourcepart()).Msg(t.String())
	}
}

// smTally counts what smUndelivered did with a closed session's unacknowledged stanzas.
type smTally struct {
	presences, chatStates, other int // dropped
	redelivered, kept, answered  int // messages with a body; IQ requests
}

func (t *smTally) drop(el *xmpp.Element) {
	switch {
	case el.Local == "presence":
		t.presences++
	case el.Local == "message" && el.Child(xmpp.NSClient, "body") == nil:
		t.chatStates++ // chat states, receipts, markers: nothing a user wrote
	default:
		t.other++ // room messages (the room keeps them), errors, IQ results
	}
}

func (t *smTally) lost() int { return t.presences + t.chatStates + t.other }

// String says what was dropped and what happened to the messages with a body, e.g.
// "the closed session's unacknowledged stanzas: dropped 2 presences, 1 chat state or
// receipt; 1 message with a body redelivered to another resource".
func (t *smTally) String() string {
	var dropped []string
	for _, c := range []struct {
		n          int
		one, other string
	}{
		{t.presences, "presence", "presences"},
		{t.chatStates, "chat state or receipt", "chat states or receipts"},
		{t.other, "other stanza (room message, error or IQ result)", "other stanzas (room messages, errors or IQ results)"},
	} {
		if c.n == 1 {
			dropped = append(dropped, "1 "+c.one)
		} else if c.n > 1 {
			dropped = append(dropped, strconv.Itoa(c.n)+" "+c.other)
		}
	}
	msg := "the closed session's unacknowledged stanzas: dropped " + strings.Join(dropped, ", ")
	switch {
	case t.redelivered > 0 && t.kept > 0:
		msg += fmt.Sprintf("; %d messages with a body redelivered, %d kept for the next login", t.redelivered, t.kept)
	case t.redelivered > 0:
		msg += "; " + plural(t.redelivered, "message") + " with a body redelivered to another resource"
	case t.kept > 0:
		msg += "; " + plural(t.kept, "message") + " with a body kept for the next login"
	default:
		msg += "; no message with a body was lost"
	}
	return msg
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// redeliver gives a message to another resource, else keeps it for the next login
// (deliverMessage does both).
// The features' Inbound hooks saw it when it was first routed.
func (u *user) redeliver(msg *xmpp.Element) { _ = u.routeMessage(msg, "", feature.Legacy) }

// keepForNextLogin keeps a message with a body that no resource could take until the
// next resource binds, for the linger at most (closing.go decides what is kept).
func (u *user) keepForNextLogin(msg *xmpp.Element) {
	if len(u.linger) >= maxLingering {
		u.log.Warn().Int("messages", len(u.linger)).Msg("too many messages kept for the next login; one more dropped")
		u.undeliverable(msg)
		return
	}
	u.linger = append(u.linger, lingering{el: msg})
	u.armLinger()
}

// holdLinger keeps the legacy session up for the linger after a feature stored a message
// for the next login, as keepForNextLogin does for the ones it keeps in memory.
func (u *user) holdLinger() {
	u.lingerHeld = true
	u.armLinger()
}

// armLinger starts the linger's timer unless it runs.
func (u *user) armLinger() {
	if u.lingerTimer == nil {
		d := u.r.cfg.Linger
		if d <= 0 {
			d = DefaultLinger
		}
		u.lingerGen++
		gen := u.lingerGen
		u.lingerTimer = time.AfterFunc(d, func() { u.post(func() { u.lingerExpired(gen) }) })
		u.log.Info().Dur("linger", d).Msg("keeping unacknowledged messages for the next login")
	}
}

// markDelayed adds <delay/> (XEP-0203) unless the message carries one already.
func markDelayed(msg *xmpp.Element, domain string, at time.Time) *xmpp.Element {
	if msg.Child(xmpp.NSDelay, "delay") == nil {
		msg.Append(xmpp.New(xmpp.NSDelay, "delay", "from", domain,
			"stamp", at.UTC().Format("2006-01-02T15:04:05Z")))
	}
	return msg
}

// iqUnanswered answers an IQ request the client never got with recipient-unavailable
// (RFC 6120 section 8.3.3.13), routed as if the client had answered it.
func (u *user) iqUnanswered(rs *resource, iq *xmpp.Element) {
	reply := xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaRecipientUnavailable, "")
	if reply == nil {
		return
	}
	reply.SetAttr("from", rs.key)
	t := u.target(reply.To())
	switch {
	case t.kind == targetSelf && t.jid.Resourcepart() != "":
		if dst := u.resources[t.jid.String()]; dst != nil {
			u.send(dst, reply)
		}
	default:
		u.iqResponse(rs, reply, t)
	}
}

// undeliverable logs a stanza given up, without its content, and counts it.
func (u *user) undeliverable(el *xmpp.Element) {
	u.log.Debug().Str("kind", el.Local).Str("type", el.Type()).Str("id", el.ID()).
		Msg("undeliverable stanza dropped")
	if c, ok := u.r.ops().(UndeliverableCounter); ok {
		c.StanzaUndeliverable(el.Local)
	}
}

// dropUndelivered traces what a session that the router had already removed never
// acknowledged.
func (u *user) dropUndelivered(undelivered []*xmpp.Element) {
	if len(undelivered) == 0 {
		return
	}
	for _, el := range undelivered {
		u.undeliverable(el)
	}
	u.log.Info().Int("stanzas", len(undelivered)).Msg("stanzas of a removed session were dropped")
}

// lingering reports whether messages wait for the next login; they keep the legacy
// session up meanwhile.
func (u *user) lingering() bool { return len(u.linger) > 0 || u.lingerHeld }

// lingerDeliver hands the waiting messages to a newly bound resource, in order.
func (u *user) lingerDeliver(rs *resource) {
	if u.lingerHeld {
		u.lingerHeld = false // the stored messages wait for the initial presence (features)
		u.stopLinger()
	}
	if len(u.linger) == 0 {
		return
	}
	u.stopLinger()
	kept := u.linger
	u.linger = nil // a message rs refuses is kept again (closing.go)
	for _, l := range kept {
		l.el.SetAttr("to", rs.key)
		u.send(rs, l.el)
	}
	u.log.Info().Int("messages", len(kept)).Msg("messages kept since the last session delivered")
}

// lingerExpired gives up the waiting messages and ends the legacy session if nothing
// else holds it.
func (u *user) lingerExpired(gen int) {
	if u.removed() || gen != u.lingerGen {
		return // delivered or dropped meanwhile
	}
	u.lingerTimer = nil
	u.lingerDrop("nobody logged in in time")
	u.maybeEnd()
}

// lingerDrop gives up the waiting messages with a trace.
func (u *user) lingerDrop(why string) {
	u.stopLinger()
	u.lingerHeld = false // what features stored stays stored
	if len(u.linger) == 0 {
		return
	}
	u.log.Warn().Int("messages", len(u.linger)).Str("reason", why).
		Msg("unacknowledged messages could not be delivered")
	for _, l := range u.linger {
		u.undeliverable(l.el)
	}
	u.linger = nil
}

func (u *user) stopLinger() {
	u.lingerGen++ // an expiry already posted is stale
	if u.lingerTimer != nil {
		u.lingerTimer.Stop()
		u.lingerTimer = nil
	}
}
