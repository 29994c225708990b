package router

import (
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// statusKey is a legacy status as sent in STATUS_CHANGED.
type statusKey struct {
	set     bool
	status  pb.StatusType
	message string
}

// online reports whether a buddy status shows as available (spec 3.8).
func online(s pb.StatusType) bool {
	return s != pb.StatusType_STATUS_NONE && s != pb.StatusType_STATUS_INVISIBLE
}

// showOf maps StatusType 0-4 to <show/> (spec 3.8).
var showOf = map[pb.StatusType]string{
	pb.StatusType_STATUS_AWAY: "away", pb.StatusType_STATUS_FFC: "chat",
	pb.StatusType_STATUS_XA: "xa", pb.StatusType_STATUS_DND: "dnd",
}

// statusOf maps <show/> to StatusType (spec 3.6).
var statusOf = map[string]pb.StatusType{
	"": pb.StatusType_STATUS_ONLINE, "away": pb.StatusType_STATUS_AWAY,
	"chat": pb.StatusType_STATUS_FFC, "xa": pb.StatusType_STATUS_XA, "dnd": pb.StatusType_STATUS_DND,
}

// showRank orders availability for ties in priority (spec 3.5: FFC>Online>DND>Away>XA).
var showRank = map[string]int{"chat": 5, "": 4, "dnd": 3, "away": 2, "xa": 1}

// isJoinPresence: a presence to a room is a join when it carries the MUC <x/> or its
// node starts with '#' (spec 3.12).
func isJoinPresence(p *xmpp.Element, t target) bool {
	return t.kind == targetRoom || p.Child(xmpp.NSMUC, "x") != nil
}

// buddyPresence is b's presence (spec 3.8). to "" means the user's bare JID. INVISIBLE,
// undefined in Spectrum 2, shows as unavailable.
func (u *user) buddyPresence(b *buddy, to string) *xmpp.Element {
	if to == "" {
		to = u.key
	}
	p := xmpp.New(xmpp.NSClient, "presence", "from", u.buddyFull(b), "to", to)
	if !online(b.status) {
		p.SetAttr("type", "unavailable")
	} else if show := showOf[b.status]; show != "" {
		p.Append(xmpp.New(xmpp.NSClient, "show").AppendText(show))
	}
	if b.message != "" {
		p.Append(xmpp.New(xmpp.NSClient, "status").AppendText(b.message))
	}
	if online(b.status) {
		x := xmpp.New(xmpp.NSVCardUpd, "x")
		x.Append(xmpp.New(xmpp.NSVCardUpd, "photo").AppendText(b.iconHash))
		p.Append(x)
	}
	return p.Append(u.r.caps())
}

// sendBuddyPresences sends every online buddy's presence to one resource (spec 3.5;
// quirk 12 fixed: also the first resource, right after its initial presence).
func (u *user) sendBuddyPresences(rs *resource) {
	for _, b := range u.roster.buddies {
		if online(b.status) {
			u.sendContactPresence(rs, u.buddyPresence(b, ""))
		}
	}
}

// presenceFromClient dispatches a client presence by target.
func (u *user) presenceFromClient(rs *resource, p *xmpp.Element) {
	t := u.target(p.To())
	switch t.kind {
	case targetNone, targetServer, targetSelf:
		u.ownPresence(rs, p, t)
	case targetBuddy, targetRoom:
		if isJoinPresence(p, t) {
			u.muc().Presence(rs, p, t.jid) // spec 3.12
			return
		}
		u.presenceToBuddy(rs, p, t)
	default:
		u.send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeCancel, "remote-server-not-found", ""))
	}
}

// ownPresence handles broadcast presence and presence to the service (spec 3.6).
func (u *user) ownPresence(rs *resource, p *xmpp.Element, t target) {
	switch p.Type() {
	case "", "unavailable":
	case "probe", "subscribe":
		if t.kind == targetServer {
			u.serverPresence(rs, p)
		}
		return
	default:
		return
	}
	rs.apply(p)
	for k := range u.convs { // spec 3.9: reply targets reset on presence changes
		setLazy(&u.convs, k, "")
	}
	u.resourcePresenceHooks(rs, p) // features: a resource's caps (PEP notifications)
	if t.kind == targetServer {
		u.serverPresence(rs, p)
	}
	if !rs.available {
		u.muc().ResourceGone(rs) // XEP-0045 7.14: unavailable leaves every room
		if len(u.availableResources()) == 0 {
			// spec 3.5: the last available presence gone ends the legacy session.
			u.endSession()
		} else {
			u.updateStatus()
		}
		return
	}
	if u.legacyIdle() {
		if !u.r.isClosed() {
			u.startLogin()
		} // a resource comes back after its unavailable ended the session
		return
	}
	if !rs.initial {
		rs.initial = true
		u.sendBuddyPresences(rs)
		u.loginHooks(rs) // features: offline messages, after the roster, before live traffic
	}
	u.checkPhoto(rs, p)
	u.updateStatus()
	u.rawStatus(p)
}

// apply records a broadcast presence on the resource.
func (rs *resource) apply(p *xmpp.Element) {
	if p.Type() == "unavailable" {
		rs.available = false
		return
	}
	rs.available = true
	rs.show = p.ChildText(xmpp.NSClient, "show")
	rs.status = p.ChildText(xmpp.NSClient, "status")
	rs.invisible = p.Child(xmpp.NSInvisible, "invisible") != nil
	rs.priority, _ = strconv.Atoi(p.ChildText(xmpp.NSClient, "priority"))
}

// serverPresence answers presence addressed to the service itself (spec 3.7).
func (u *user) serverPresence(rs *resource, p *xmpp.Element) {
	reply := xmpp.New(xmpp.NSClient, "presence", "from", u.r.cfg.Domain, "to", rs.key)
	switch p.Type() {
	case "subscribe":
		reply.SetAttr("type", "subscribed")
	case "unavailable":
		reply.SetAttr("type", "unavailable")
	}
	u.send(rs, reply)
}

// best returns the highest-priority available resource (spec 3.5), or nil.
func (u *user) best() *resource {
	var top *resource
	for _, rs := range u.resources {
		if !rs.available {
			continue
		}
		if top == nil || rs.priority > top.priority ||
			rs.priority == top.priority && showRank[rs.show] > showRank[top.show] ||
			rs.priority == top.priority && showRank[rs.show] == showRank[top.show] && rs.seq > top.seq {
			top = rs
		}
	}
	return top
}

// updateStatus sends STATUS_CHANGED for the highest-priority presence if it changed
// (spec 3.6). Before any presence the status is ONLINE (spec 3.3 step 3).
func (u *user) updateStatus() {
	if !u.loginOnWire() {
		return
	}
	s := statusKey{set: true, status: pb.StatusType_STATUS_ONLINE}
	if top := u.best(); top != nil {
		s.status, s.message = statusOf[top.show], top.status
		if top.invisible {
			s.status = pb.StatusType_STATUS_INVISIBLE
		}
	} else if len(u.resources) > 0 && u.status.set {
		return // resources bound but none available yet: keep what we said
	}
	if s == u.status {
		return
	}
	u.status = s
	_ = u.toBackend(pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{
		UserName: proto.String(u.key), Status: s.status.Enum(), StatusMessage: proto.String(s.message),
	})
}

// presenceToBuddy handles probes, subscriptions and directed presence (spec 3.6, 3.7).
func (u *user) presenceToBuddy(rs *resource, p *xmpp.Element, t target) {
	b := u.roster.get(t.legacy)
	switch p.Type() {
	case "probe":
		if b == nil {
			u.send(rs, xmpp.New(xmpp.NSClient, "presence", "type", "unavailable",
				"from", t.jid.Bare().String(), "to", rs.key))
			return
		}
		u.sendContactPresence(rs, u.buddyPresence(b, rs.key))
	case "subscribe", "subscribed":
		u.subscribeBuddy(rs, p, t, b)
	case "unsubscribe":
		if b != nil {
			u.removeBuddy(b)
		}
		u.sendAvailable(xmpp.New(xmpp.NSClient, "presence", "type", "unsubscribed",
			"from", t.jid.Bare().String(), "to", u.key))
	case "", "unavailable":
		// Quirk 18 fixed: a directed unavailable to a buddy sends no LEAVE_ROOM. Directed
		// presence has no legacy meaning except in raw-XML mode.
		u.rawOut(rs, p, t)
	}
	// unsubscribed: ignored, as in Spectrum 2 (spec 3.7).
}

// subscribeBuddy sends the client's subscribe, or subscribed (accepting an AUTH_REQUEST),
// to the legacy network as BUDDY_CHANGED for b (nil: not on the roster). Quirk 21 fixed:
// subscribed for an unknown buddy adds it. Only a frame the backend took adds the buddy
// (with a roster push) and answers subscribe with subscribed; one it did not take leaves
// the roster as it was and is answered with an error presence (issue 18).
func (u *user) subscribeBuddy(rs *resource, p *xmpp.Element, t target, b *buddy) {
	isNew := b == nil
	if isNew && u.rosterFull() {
		u.refuse(rs, p, "contacts on the roster", u.r.cfg.Limits.Roster)
		return
	}
	if isNew {
		if b = u.addBuddy(t.legacy); b == nil {
			u.send(rs, xmpp.ErrorReply(p, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, ""))
			return
		}
	}
	if err := u.toBackend(pb.WrapperMessage_TYPE_BUDDY_CHANGED, u.pbBuddy(b)); err != nil {
		if isNew {
			delete(u.roster.buddies, jidmap.Key(b.name))
		}
		u.bounceNotSent(rs, p, err)
		return
	}
	if isNew {
		u.push(b, false)
	}
	if p.Type() == "subscribe" {
		u.sendAvailable(xmpp.New(xmpp.NSClient, "presence", "type", "subscribed",
			"from", t.jid.Bare().String(), "to", u.key))
		u.send(rs, u.buddyPresence(b, ""))
	}
}

// authRequest handles AUTH_REQUEST: a subscription request from the buddy (spec 3.7).
func (u *user) authRequest(m *pb.Buddy) {
	node := jidmap.LegacyNode(m.GetBuddyName(), u.r.escaping())
	if b := u.roster.get(m.GetBuddyName()); b != nil {
		node = b.node
	}
	p := xmpp.New(xmpp.NSClient, "presence", "type", "subscribe",
		"from", node+"@"+u.r.cfg.Domain, "to", u.key)
	u.contactPresence(p.Append(u.r.caps()))
}
