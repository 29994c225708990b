package router

import (
	"errors"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// Messages between users of this server. A user's JID looks like a legacy contact's
// (name%host@domain), so a message to it would go to the sender's legacy network (and,
// for a gateway to XMPP, come back through the recipient's legacy session). While the
// recipient is known to the router (a legacy session, a login, or a linger that keeps
// messages for the next login) it is delivered here instead, through the recipient's
// features (offline storage when no resource can take it). A user the router does not
// know is offered to the Absent features (absent.go: the offline store keeps what is sent
// to an account that logged in before); if none knows the JID, it is a legacy contact.

// messageToLocal delivers a message to another known user; false if to is not one.
func (u *user) messageToLocal(rs *resource, m *xmpp.Element, t target) bool {
	bare := t.jid.Bare().String()
	if bare == u.key || m.Type() == "groupchat" {
		return false
	}
	v := u.r.lookup(bare)
	if v == nil {
		if u.knownLegacy(t.legacy) {
			// A roster buddy or an open conversation: the legacy network's, with no store
			// query per message (it cost some 16 % of a core in the archive bench).
			return false
		}
		return u.messageToAbsent(rs, m, t.jid.Bare()) // perhaps a logged-out account (absent.go)
	}
	if v.mb.full() {
		// The recipient's actor is behind (Limits.Mailbox); the sender's actor must not
		// wait for it, so the sender is told to try again.
		u.refuse(rs, m, "stanzas queued for the recipient", u.r.cfg.Limits.Mailbox)
		return true
	}
	el := m.Clone()
	v.post(func() { v.localMessage(el, u, rs) })
	return true
}

// localMessage runs on the recipient's actor: the message goes to the resource it names,
// else like any message to the bare JID; a refusal goes back to the sender.
func (v *user) localMessage(m *xmpp.Element, from *user, rs *resource) {
	if v.removed() {
		from.post(func() {
			from.bounceLocal(rs, m, &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaRecipientUnavailable})
		})
		return
	}
	if !v.inboundHooks(m, feature.Local) {
		return // the hooks run before a full JID's delivery too: a blocked sender names one
	}
	if dst := v.resources[m.To()]; dst != nil && dst.available {
		v.send(dst, m)
		return
	}
	if err := v.routeMessage(m, "", feature.Local); err != nil {
		from.post(func() { from.bounceLocal(rs, m, err) })
	}
}

// bounceLocal answers a message another user refused, on the sender's actor.
func (u *user) bounceLocal(rs *resource, m *xmpp.Element, err error) {
	if u.resources[rs.key] != rs {
		return // the sending resource is gone
	}
	fe := &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaRecipientUnavailable}
	errors.As(err, &fe)
	reply := xmpp.ErrorReply(m, fe.Type, fe.Condition, fe.Text)
	if reply != nil {
		reply.SetAttr("to", rs.key)
		u.send(rs, reply)
	}
}

// knownLegacy reports whether legacy names a roster buddy or a conversation the user has
// open: a contact of the legacy network rather than a logged-out user of this server.
func (u *user) knownLegacy(legacy string) bool {
	if _, ok := u.convs[jidmap.Key(legacy)]; ok {
		return true
	}
	return u.roster.get(legacy) != nil
}
