package router

import (
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
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

// keepUndelivered handles a message with a body that no resource of the user could take
// (keepUndeliveredFrom) as one from the legacy network.
func (u *user) keepUndelivered(msg *xmpp.Element) { _ = u.keepUndeliveredFrom(msg, feature.Legacy) }

// keepUndeliveredFrom handles a message that no resource of the user could take. One with
// a body goes to the features (feature.NoResource: the offline store) and, when none
// keeps it, waits in memory, marked delayed, for the next resource to bind, as long as
// the linger lasts (linger.go), and is traced and counted if nobody comes. Either way
// the linger holds the legacy session meanwhile, so that the contacts' next messages are
// kept too. A feature's refusal (the user's store is full) is returned for a local
// sender, and logged and counted for the legacy network, which cannot be told.
func (u *user) keepUndeliveredFrom(msg *xmpp.Element, src feature.Source) error {
	if !keepable(msg) {
		u.log.Debug().Str("kind", msg.Local).Msg("message for a user without resources dropped")
		return nil
	}
	kept, err := u.offerNoResource(msg, src)
	switch {
	case err != nil:
		if src == feature.Legacy {
			u.log.Warn().Err(err).Str("from", msg.From()).Msg("message for an offline user refused")
			u.undeliverable(msg)
		}
		return err
	case kept:
		u.holdLinger()
		return nil
	}
	u.keepForNextLogin(markDelayed(msg, u.r.cfg.Domain, time.Now()))
	return nil
}
