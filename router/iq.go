package router

import (
	"github.com/gospectrum/spectrum2/internal/xmpp"
)

// iqFromClient answers or routes a client IQ (spec 3.7, 3.11, 3.13, 3.18, 3.22).
func (u *user) iqFromClient(rs *resource, iq *xmpp.Element) {
	t := u.target(iq.To())
	if t.kind == targetSelf && t.jid.Resourcepart() != "" {
		u.iqToResource(rs, iq, t) // RFC 6121 8.5.3.1: to one of the user's own resources
		return
	}
	if iq.Type() == "result" || iq.Type() == "error" {
		u.iqResponse(rs, iq, t)
		return
	}
	if iq.Type() != "get" && iq.Type() != "set" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
		return
	}
	if t.kind == targetService {
		u.subdomainIQ(rs, iq, t) // a feature's service (subdomain.go)
		return
	}
	if t.kind == targetForeign {
		// RFC 6120 8.3.3.15: we have no server-to-server connections, as for messages
		// and presences (message.go, presence.go).
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, "remote-server-not-found", ""))
		return
	}
	kids := iq.Children()
	if len(kids) != 1 {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "one payload expected"))
		return
	}
	if u.peerIQ(rs, iq, kids[0], t) {
		return // another user of this server: its PEP service (features_peer.go)
	}
	if t.kind == targetBuddy && u.rawMode() {
		u.rawOut(rs, iq, t) // spec 3.21: IQs to buddies go to the backend
		return
	}
	if !u.iqHandled(rs, iq, kids[0], t) {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}

// iqHandled runs the handler for payload p at target t; false means nobody handles it.
func (u *user) iqHandled(rs *resource, iq, p *xmpp.Element, t target) bool {
	get := iq.Type() == "get"
	own := t.kind == targetNone || t.kind == targetSelf && t.jid.Resourcepart() == ""
	if u.featureIQ(rs, iq, p, t) {
		return true // a server feature's namespace (features.go)
	}
	switch {
	case p.Is(xmpp.NSRoster, "query") && own:
		if get {
			u.rosterGet(rs, iq)
		} else {
			u.rosterSet(rs, iq)
		}
	case p.Is(xmpp.NSVCard, "vCard") && (own || t.kind == targetBuddy):
		u.vcardFromClient(rs, iq, t)
	case p.Is(xmpp.NSDiscoInfo, "query") && get && own && u.r.accountDisco():
		u.accountDiscoInfo(rs, iq, p)
	case p.Is(xmpp.NSDiscoInfo, "query") && get && (t.kind == targetServer || t.kind == targetBuddy):
		u.discoInfo(rs, iq, p, t)
	case p.Is(xmpp.NSDiscoInfo, "query") && get && t.kind == targetRoom && t.jid.Resourcepart() != "":
		q, cond := u.muc().OccupantDiscoInfo(rs, t.jid, p.Attr("node"))
		u.answerIQ(rs, iq, q, cond)
	case p.Is(xmpp.NSDiscoInfo, "query") && get && t.kind == targetRoom:
		u.roomDiscoInfo(rs, iq, p, t)
	case p.Is(xmpp.NSPing, "ping") && get && t.kind == targetRoom && t.jid.Resourcepart() != "":
		u.answerIQ(rs, iq, nil, u.muc().OccupantPing(rs, t.jid))
	case p.Is(xmpp.NSDiscoItems, "query") && get && t.kind == targetServer && p.Attr("node") == "":
		u.roomItems(rs, iq) // spec 3.13: the room list
	case p.Is(xmpp.NSDiscoItems, "query") && get && t.kind == targetServer:
		// A node's items are the features' (the ad-hoc commands of package admin, spec 3.14).
		u.send(rs, iqResult(iq).Append(u.r.feats.discoItems(p.Attr("node"))))
	case p.Is(xmpp.NSDiscoItems, "query") && get && (t.kind == targetServer || t.kind == targetBuddy || t.kind == targetRoom):
		u.send(rs, iqResult(iq).Append(xmpp.New(xmpp.NSDiscoItems, "query", "node", p.Attr("node"))))
	case p.Is(xmpp.NSVersion, "query") && get && t.kind == targetServer:
		q := xmpp.New(xmpp.NSVersion, "query").Append(
			xmpp.New(xmpp.NSVersion, "name").AppendText("Spectrum 2"),
			xmpp.New(xmpp.NSVersion, "version").AppendText(u.r.cfg.Version))
		u.send(rs, iqResult(iq).Append(q))
	case p.Is(xmpp.NSPing, "ping") && get && (t.kind == targetServer || own):
		// XEP-0199: the server answers for itself and for the account. Buddies do not
		// advertise ping (spec 3.13), so theirs is service-unavailable.
		u.send(rs, iqResult(iq))
	case p.Space == xmpp.NSCarbons && !get && (own || t.kind == targetServer):
		u.carbonsIQ(rs, iq, p)
	default:
		return false
	}
	return true
}

// carbonsIQ enables or disables XEP-0280 carbons for the resource (spec 3.18; disable
// works here, Spectrum 2 answered feature-not-implemented).
func (u *user) carbonsIQ(rs *resource, iq, p *xmpp.Element) {
	switch p.Local {
	case "enable":
		rs.carbons = true
	case "disable":
		rs.carbons = false
	default:
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, ""))
		return
	}
	u.send(rs, iqResult(iq))
}

// iqResponse routes a client's IQ result or error: answers to our own vCard request
// (spec 3.6 avatar flow), to raw-mode IQs of the backend, or roster push acks (dropped).
func (u *user) iqResponse(rs *resource, iq *xmpp.Element, t target) {
	if (t.kind == targetNone || t.kind == targetSelf || t.kind == targetServer) && u.iqResponseHooks(rs, iq) {
		return // a feature's own request (features_account.go)
	}
	if full, ok := u.ownVCard[iq.ID()]; ok && full == rs.key {
		delete(u.ownVCard, iq.ID())
		u.ownVCardResult(iq)
		return
	}
	if t.kind == targetBuddy && u.rawMode() {
		u.rawOut(rs, iq, t)
	}
}

// iqToResource forwards an IQ to another resource of the same user, or answers
// service-unavailable when there is no such resource (RFC 6121 8.5.3.2.1).
func (u *user) iqToResource(rs *resource, iq *xmpp.Element, t target) {
	if dst := u.resources[t.jid.String()]; dst != nil {
		u.send(dst, iq)
		return
	}
	if iq.Type() == "get" || iq.Type() == "set" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}
