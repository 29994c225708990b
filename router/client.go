package router

import (
	"strings"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// targetKind classifies the `to` of a client stanza.
type targetKind int

const (
	targetNone    targetKind = iota // no to: the user's own account
	targetServer                    // the service domain
	targetSelf                      // the user's bare JID or one of its resources
	targetBuddy                     // node@service: a legacy contact
	targetRoom                      // #node@service or a joined room: a legacy room (router/muc)
	targetForeign                   // another domain: we have no s2s
	targetInvalid                   // not a JID
	targetService                   // a feature's service at label.domain (subdomain.go)
)

// target is a classified `to`.
type target struct {
	kind   targetKind
	jid    jid.JID
	legacy string // legacy name for buddies and rooms (roster case when known)
}

// target classifies to (spec 3.6, 3.9: the node maps to a legacy name; quirk 11 fixed:
// the domain must be ours).
func (u *user) target(to string) target {
	if to == "" {
		return target{kind: targetNone}
	}
	j, err := jid.Parse(to)
	if err != nil {
		return target{kind: targetInvalid}
	}
	t := target{jid: j}
	switch {
	case j.Bare().String() == u.key:
		t.kind = targetSelf
	case j.Localpart() == "" && u.r.subs.byHost[j.Domainpart()] != nil:
		t.kind = targetService
	case j.Domainpart() != u.r.cfg.Domain:
		t.kind = targetForeign
	case j.Localpart() == "":
		t.kind = targetServer
	case strings.HasPrefix(j.Localpart(), "#"):
		// spec 3.6: a node starting with '#' is a room, never a buddy.
		t.kind, t.legacy = targetRoom, jidmap.NodeToLegacy(j.Localpart())
	case u.muc().HasNode(j.Localpart()):
		t.kind, t.legacy = targetRoom, jidmap.NodeToLegacy(j.Localpart()) // a joined room without '#'
	default:
		t.kind, t.legacy = targetBuddy, u.legacyName(j.Localpart())
	}
	return t
}

// legacyName is Buddy::JIDToLegacyName (spec 3.7) with the roster's original case. That
// mapping is ambiguous: "a%b" is the node of the legacy names "a@b" and (escaping on, or
// off and without '@') "a%b", and with escaping off "a\20b" is both "a b" and itself.
// A roster buddy whose own node it is wins (Spectrum 2 differs: it may pick another
// buddy, or a name the legacy network does not know).
func (u *user) legacyName(node string) string {
	name := jidmap.NodeToLegacy(node)
	b := u.roster.get(name)
	if b != nil && b.node == node {
		return b.name
	}
	if strings.ContainsAny(node, `%\`) {
		for _, o := range u.roster.buddies { // ambiguous nodes only: rare, and the roster is in memory
			if o.node == node {
				return o.name
			}
		}
	}
	if b != nil {
		return b.name
	}
	return name
}

// legacyOf maps a buddy JID string to its legacy name.
func (u *user) legacyOf(s string) (string, bool) {
	t := u.target(s)
	if t.kind != targetBuddy {
		return "", false
	}
	return t.legacy, true
}

// fromClient handles one stanza of a bound resource, on the actor.
func (u *user) fromClient(rs *resource, el *xmpp.Element) {
	if u.resources[rs.key] != rs {
		return // closed meanwhile
	}
	switch el.Local {
	case "presence":
		u.presenceFromClient(rs, el)
	case "message":
		u.messageFromClient(rs, el)
	case "iq":
		u.iqFromClient(rs, el)
	}
}
