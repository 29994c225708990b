package router

import (
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// A resource whose session is closing stays in u.resources until its Closed arrives, and
// its Send fails meanwhile (c2s.ErrSessionClosed, or ErrQueueFull once it overflowed).
// What it refuses was never queued, so c2s will not hand it back as undelivered: the
// router must place it itself. A message with a body goes to the user's other resources
// (RFC 6121 8.5.3.2.1: a message to a full JID that is gone is treated as one to the
// bare JID); when none takes it, it waits for the next login like the messages a
// closed XEP-0198 session never acknowledged (linger.go).

// trySend queues el for rs and reports whether the session took it.
func (u *user) trySend(rs *resource, el *xmpp.Element) bool {
	err := rs.res.Send(el)
	u.r.observeSend(el, err)
	if err != nil {
		u.log.Debug().Err(err).Str("to", rs.key).Str("kind", el.Local).Msg("send to closing session refused")
		return false
	}
	return true
}

// notSent places a stanza that the closing session of rs refused.
func (u *user) notSent(rs *resource, el *xmpp.Element) {
	switch {
	case keepable(el):
		if !u.deliverToTop(el, []*resource{rs}) {
			u.keepUndelivered(el)
		}
	case el.Local == "iq" && (el.Type() == "get" || el.Type() == "set"):
		u.iqUnanswered(rs, el) // the sender gets recipient-unavailable, not a timeout
	case el.Local == "message" && el.Child(xmpp.NSClient, "body") != nil:
		u.undeliverable(el) // a room message (the room keeps it) or an error: traced, counted
	}
	// Presences, chat states, receipts and IQ answers to a session that is going away
	// matter to nobody else.
}

// keepable reports whether el is a message a user wrote that another resource or the
// next login can take: it has a body and is neither an error nor a room message (those
// belong to their room; another resource may not be an occupant).
func keepable(el *xmpp.Element) bool {
	return el.Local == "message" && el.Type() != "error" && el.Type() != "groupchat" &&
		el.Child(xmpp.NSClient, "body") != nil
}

// deliverToTop sends msg, addressed to the user's bare JID, to the highest-priority
// resources that are not in refused (topResources), going down to the next ones as long
// as every session refuses it. It reports whether one took it.
func (u *user) deliverToTop(msg *xmpp.Element, refused []*resource) bool {
	msg.SetAttr("to", u.key)
	for {
		dst := u.topResourcesExcept(refused)
		switch {
		case len(dst) == 0:
			return false
		case len(dst) == 1:
			if u.sendWithCarbons(dst[0], msg) {
				return true
			}
			refused = append(refused, dst[0])
			continue
		}
		taken := false
		for _, rs := range dst {
			el := msg
			if taken {
				el = msg.Clone() // msg belongs to the session that took it
			}
			if u.trySend(rs, el) {
				taken = true
			} else {
				refused = append(refused, rs)
			}
		}
		if taken {
			return true
		}
	}
}

// sendWithCarbons sends msg to rs and, once rs took it, <received/> carbons (XEP-0280) to
// the user's other resources that enabled them. The carbons are built before the send,
// since the session may annotate msg from then on, and sent only after it, so that a
// refused message is not both carbon-copied and redelivered to the same client.
func (u *user) sendWithCarbons(rs *resource, msg *xmpp.Element) bool {
	var to []*resource
	var carbons []*xmpp.Element
	if carbonable(msg) {
		for _, o := range u.resources {
			if o != rs && o.carbons {
				to, carbons = append(to, o), append(carbons, u.carbon("received", msg, o.key))
			}
		}
	}
	if !u.trySend(rs, msg) {
		return false
	}
	for i, o := range to {
		u.send(o, carbons[i])
	}
	return true
}

// keepUndelivered handles a message with a body that no resource of the user could take:
// it waits, marked delayed, for the next resource to bind, as long as the linger lasts
// (linger.go), and is traced and counted if nobody comes.
func (u *user) keepUndelivered(msg *xmpp.Element) {
	if !keepable(msg) {
		u.log.Debug().Str("kind", msg.Local).Msg("message for a user without resources dropped")
		return
	}
	// TODO(offline store): hand msg to the offline store (next issue) here instead of the
	// in-memory linger, so that it survives the linger and a restart.
	u.keepForNextLogin(markDelayed(msg, u.r.cfg.Domain, time.Now()))
}
