package router

import (
	"crypto/rand"
	"encoding/hex"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// buddy is one legacy contact. Small on purpose: 10,000 of them fit in a few MB.
type buddy struct {
	name     string // legacy name, original case
	node     string // localpart of the buddy JID
	alias    string
	groups   []string
	status   pb.StatusType
	message  string
	iconHash string
	blocked  bool
}

// roster is the in-memory legacy contact list of one user, keyed case-insensitively
// (spec 3.7). It is owned by the user's actor.
type roster struct {
	buddies map[string]*buddy // jidmap.Key(name) -> buddy
	nonce   string            // per legacy session, so a ver never matches another session
	version uint64
}

func newRoster() *roster {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &roster{buddies: make(map[string]*buddy), nonce: hex.EncodeToString(b[:])}
}

// ver is the XEP-0237 roster version.
func (ro *roster) ver() string { return ro.nonce + "-" + itoa(ro.version) }

// get returns the buddy of a legacy name, any case.
func (ro *roster) get(name string) *buddy { return ro.buddies[jidmap.Key(name)] }

// bareJID of a buddy.
func (u *user) buddyBare(b *buddy) string { return b.node + "@" + u.r.cfg.Domain }

// buddyResource is the resource of every buddy JID (spec 3.7: Buddy.h "bot").
const buddyResource = "bot"

// buddyFull is the buddy JID with resource "bot" (spec 3.7).
func (u *user) buddyFull(b *buddy) string { return u.buddyBare(b) + "/" + buddyResource }

// item is the roster item of b (spec 3.7: subscription both, never ask).
func (u *user) item(b *buddy, remove bool) *xmpp.Element {
	it := xmpp.New(xmpp.NSRoster, "item", "jid", u.buddyBare(b))
	if remove {
		return it.SetAttr("subscription", "remove")
	}
	it.SetAttr("name", b.alias)
	it.SetAttr("subscription", "both")
	for _, g := range b.groups {
		it.Append(xmpp.New(xmpp.NSRoster, "group").AppendText(g))
	}
	return it
}

// push sends a roster push for b to every resource that asked for the roster, from the
// user's bare JID (RFC 6121 2.1.6; quirk 12 fixed: Spectrum 2 uses the service JID).
func (u *user) push(b *buddy, remove bool) {
	u.roster.version++
	ver := u.roster.ver()
	for _, rs := range u.resources {
		if !rs.rosterReq {
			continue
		}
		iq := xmpp.New(xmpp.NSClient, "iq", "type", "set", "id", u.r.nextID("push"),
			"from", u.key, "to", rs.key)
		iq.Append(xmpp.New(xmpp.NSRoster, "query", "ver", ver).Append(u.item(b, remove)))
		u.send(rs, iq)
	}
}

// addBuddy creates a buddy for a legacy name; nil if its JID would be invalid (spec 3.7).
func (u *user) addBuddy(name string) *buddy {
	if name == "" || jidmap.Key(name) == jidmap.Key(u.legacy) {
		return nil
	}
	j, err := jidmap.BuddyJID(name, u.r.cfg.Domain, u.r.escaping())
	if err != nil {
		u.log.Debug().Str("buddy", name).Msg("legacy name gives no valid JID; buddy dropped")
		return nil
	}
	b := &buddy{name: name, node: j.Localpart(), status: pb.StatusType_STATUS_NONE}
	u.roster.buddies[jidmap.Key(name)] = b
	return b
}

// buddyChanged handles BUDDY_CHANGED (spec 3.7).
func (u *user) buddyChanged(m *pb.Buddy) {
	name := m.GetBuddyName()
	b := u.roster.get(name)
	isNew := b == nil
	if isNew {
		if b = u.addBuddy(name); b == nil {
			return
		}
	}
	changed := isNew
	if a := m.GetAlias(); a != "" && a != b.alias {
		b.alias, changed = a, true
	}
	if g := m.GetGroup(); len(g) > 0 && !slices.Equal(g, b.groups) {
		b.groups, changed = slices.Clone(g), true
	}
	if m.Blocked != nil { // absent: a backend that does not report the flag
		u.setBlocked(b, m.GetBlocked(), isNew)
	}
	if changed {
		u.push(b, false)
	}
	presence := false
	if m.Status != nil && (m.GetStatus() != b.status || m.GetStatusMessage() != b.message) {
		b.status, b.message, presence = m.GetStatus(), m.GetStatusMessage(), true
	}
	if m.IconHash != nil && m.GetIconHash() != b.iconHash {
		b.iconHash, presence = m.GetIconHash(), true
	}
	if presence && (online(b.status) || !isNew) { // a new offline buddy needs no unavailable
		u.contactPresence(u.buddyPresence(b, ""))
	}
}

// buddyRemoved handles BUDDY_REMOVED: a push with subscription remove; unlike Spectrum 2
// (spec 3.7) an online buddy also goes unavailable, so clients do not keep a ghost.
func (u *user) buddyRemoved(m *pb.Buddy) {
	b := u.roster.get(m.GetBuddyName())
	if b == nil {
		return
	}
	delete(u.roster.buddies, jidmap.Key(b.name))
	if online(b.status) {
		b.status = pb.StatusType_STATUS_NONE
		u.contactPresence(u.buddyPresence(b, ""))
	}
	u.push(b, true)
}

// sendBuddies sends BUDDIES with the roster (features.send_buddies_on_login, spec 1.3).
func (u *user) sendBuddies() {
	if len(u.roster.buddies) == 0 {
		return
	}
	all := &pb.Buddies{}
	for _, b := range u.roster.buddies {
		all.Buddy = append(all.Buddy, u.pbBuddy(b))
	}
	if err := u.r.backends.Send(u.key, pb.WrapperMessage_TYPE_BUDDIES, all); err != nil {
		u.log.Debug().Err(err).Msg("BUDDIES not sent")
	}
}

// pbBuddy is the Buddy message M sends about b (spec 1.3: status NONE).
func (u *user) pbBuddy(b *buddy) *pb.Buddy {
	return &pb.Buddy{
		UserName: proto.String(u.key), BuddyName: proto.String(b.name),
		Alias: proto.String(b.alias), Group: b.groups,
		Status: pb.StatusType_STATUS_NONE.Enum(),
	}
}

// rosterGet answers a roster get from memory with XEP-0237 versioning.
func (u *user) rosterGet(rs *resource, iq *xmpp.Element) {
	rs.rosterReq = true
	ver := u.roster.ver()
	res := iqResult(iq)
	if q := iq.Child(xmpp.NSRoster, "query"); q.Attr("ver") == ver {
		u.send(rs, res) // RFC 6121 2.6.3: unchanged, empty result; pushes follow
		return
	}
	q := xmpp.New(xmpp.NSRoster, "query", "ver", ver)
	q.Nodes = make([]xmpp.Node, 0, len(u.roster.buddies))
	for _, b := range u.roster.buddies {
		q.Append(u.item(b, false))
	}
	u.send(rs, res.Append(q))
}

// rosterSet handles a client roster set (spec 3.7, RFC 6121 2.3 and 2.5).
func (u *user) rosterSet(rs *resource, iq *xmpp.Element) {
	q := iq.Child(xmpp.NSRoster, "query")
	items := q.Children()
	if len(items) != 1 || items[0].Local != "item" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "exactly one item expected"))
		return
	}
	it := items[0]
	name, ok := u.legacyOf(it.Attr("jid"))
	if !ok {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaBadRequest, "not a contact of this gateway"))
		return
	}
	b := u.roster.get(name)
	if it.Attr("subscription") == "remove" {
		if b == nil {
			u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
			return
		}
		if u.toBackend(pb.WrapperMessage_TYPE_BUDDY_REMOVED, u.pbBuddy(b)) != nil {
			u.send(rs, rosterSetFailed(iq))
			return
		}
		u.send(rs, iqResult(iq))
		delete(u.roster.buddies, jidmap.Key(b.name))
		u.push(b, true)
		return
	}
	isNew := b == nil
	if isNew && u.rosterFull() {
		u.refuse(rs, iq, "contacts on the roster", u.r.cfg.Limits.Roster)
		return
	}
	if isNew {
		if b = u.addBuddy(name); b == nil {
			u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, ""))
			return
		}
	}
	changed := *b
	changed.alias = it.Attr("name")
	changed.groups = nil
	for _, g := range it.Children() {
		if g.Is(xmpp.NSRoster, "group") && g.Text() != "" {
			changed.groups = append(changed.groups, g.Text())
		}
	}
	// The change is the user's only once the backend has it (RFC 6121 2.3.2: the result
	// says it was processed); otherwise the roster stays as it was.
	if u.toBackend(pb.WrapperMessage_TYPE_BUDDY_CHANGED, u.pbBuddy(&changed)) != nil {
		if isNew {
			delete(u.roster.buddies, jidmap.Key(b.name))
		}
		u.send(rs, rosterSetFailed(iq))
		return
	}
	*b = changed
	u.send(rs, iqResult(iq))
	u.push(b, false)
}

// rosterSetFailed answers a roster set whose frame no backend took (the user's backend is
// gone or restarting): internal-server-error of type wait (RFC 6120 8.3.3.8), a temporary
// failure the client may retry. Not service-unavailable, which a client reads as "this
// server has no roster management" (RFC 6120 8.3.3.19).
func rosterSetFailed(iq *xmpp.Element) *xmpp.Element {
	return xmpp.ErrorReply(iq, xmpp.ErrTypeWait, xmpp.StanzaInternalServerError,
		"The legacy network could not be reached; the roster was not changed. Try again later.")
}

// removeBuddy removes b at the user's request: BUDDY_REMOVED and a push (spec 3.7).
func (u *user) removeBuddy(b *buddy) {
	u.toBackend(pb.WrapperMessage_TYPE_BUDDY_REMOVED, u.pbBuddy(b))
	delete(u.roster.buddies, jidmap.Key(b.name))
	u.push(b, true)
}

// offline sends unavailable for every online buddy and forgets the roster: it belongs to
// the legacy session, which has ended.
func (ro *roster) offline(u *user) {
	for _, b := range ro.buddies {
		if online(b.status) {
			b.status = pb.StatusType_STATUS_NONE
			u.contactPresence(u.buddyPresence(b, ""))
		}
	}
	clear(ro.buddies)
	ro.version++
}

// toBackend sends a frame about this user, logging failures.
func (u *user) toBackend(t pb.WrapperMessage_Type, m proto.Message) error {
	err := u.r.backends.Send(u.key, t, m)
	if err != nil {
		u.log.Debug().Err(err).Stringer("type", t).Msg("frame not sent")
	}
	return err
}

// iqResult is the empty result to iq.
func iqResult(iq *xmpp.Element) *xmpp.Element {
	r := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", iq.ID())
	r.SetAttr("from", iq.To())
	r.SetAttr("to", iq.From())
	return r
}
