package router

import (
	"slices"
	"strings"
	"sync"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// roomEntry is one room of a ROOM_LIST: legacy name and display name.
type roomEntry struct {
	legacy, name string
}

// roomEntries pairs the room and name lists of a ROOM_LIST; a missing name is the room's.
func roomEntries(l *pb.RoomList) []roomEntry {
	out := make([]roomEntry, 0, len(l.GetRoom()))
	for i, room := range l.GetRoom() {
		if room == "" {
			continue
		}
		name := room
		if i < len(l.GetName()) && l.GetName()[i] != "" {
			name = l.GetName()[i]
		}
		out = append(out, roomEntry{legacy: room, name: name})
	}
	return out
}

// roomDirectory is the global room list (ROOM_LIST without user, spec 3.13), shared by
// every user's actor; its mutex is taken alone and never held while calling out.
type roomDirectory struct {
	mu    sync.Mutex
	rooms []roomEntry
}

func (d *roomDirectory) set(rooms []roomEntry) {
	d.mu.Lock()
	d.rooms = rooms
	d.mu.Unlock()
}

func (d *roomDirectory) list() []roomEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.rooms)
}

// globalRoomList handles a ROOM_LIST without user: it replaces the global list.
func (r *Router) globalRoomList(l *pb.RoomList) {
	r.roomDir.set(roomEntries(l))
	r.log.Debug().Int("rooms", len(l.GetRoom())).Msg("global room list")
}

// knownRooms is the global list capped by max_room_list_size, then the user's own list
// (spec 3.13), without duplicates.
func (u *user) knownRooms() []roomEntry {
	global := u.r.roomDir.list()
	if limit := u.r.cfg.MaxRoomListSize; limit > 0 && len(global) > limit {
		global = global[:limit]
	}
	seen := map[string]bool{}
	var out []roomEntry
	for _, e := range append(global, u.roomList...) {
		if k := jidmap.Key(e.legacy); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// roomItems answers disco#items on the service with the room list (spec 3.13). Item JIDs
// are the XEP-0106 escaped room names without the '@' to '%' replacement (spec 3.12).
func (u *user) roomItems(rs *resource, iq *xmpp.Element) {
	q := xmpp.New(xmpp.NSDiscoItems, "query")
	u.r.subdomainItems(q) // the features' services (subdomain.go)
	for _, e := range u.knownRooms() {
		q.Append(xmpp.New(xmpp.NSDiscoItems, "item",
			"jid", jidmap.EscapeNode(e.legacy)+"@"+u.r.cfg.Domain, "name", e.name))
	}
	u.send(rs, iqResult(iq).Append(q))
}

// roomName is the display name of a legacy room from the room lists, else its legacy name.
func (u *user) roomName(legacy string) string {
	for _, e := range u.knownRooms() {
		if jidmap.Key(e.legacy) == jidmap.Key(legacy) {
			return e.name
		}
	}
	return legacy
}

// roomDiscoInfo answers disco#info on a room JID: conference identity and the MUC
// features (spec 3.13; Spectrum 2 lists only the muc feature).
func (u *user) roomDiscoInfo(rs *resource, iq, p *xmpp.Element, t target) {
	if p.Attr("node") != "" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
		return
	}
	legacy, _ := roomFromNode(t.jid.Localpart())
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "conference", "type", "text",
		"name", u.roomName(legacy)))
	feats := append([]string{xmpp.NSDiscoInfo, xmpp.NSMUC}, u.r.feats.discoFeatures(feature.Room)...)
	feats = append(feats, u.roomFeatures()...) // issue 24: what the backends carry (muc_ext.go)
	for _, f := range feats {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	q.Append(u.roomInfoForms(legacy)...)
	u.send(rs, iqResult(iq).Append(q))
}

// nsRoomInfo is the FORM_TYPE of a room's extended disco#info (XEP-0045 15.5.4).
const nsRoomInfo = "http://jabber.org/protocol/muc#roominfo"

// roomInfoForms is the room's muc#roominfo form (XEP-0128): the number of occupants
// while the user is in the room, and the fields the features add for rooms
// (feature.DiscoForms with scope Room: a form of the same FORM_TYPE is merged into this
// one, as XEP-0128 allows one form per FORM_TYPE; others are added as they are).
func (u *user) roomInfoForms(legacy string) []*xmpp.Element {
	form := xmpp.New(nsData, "x", "type", "result").Append(dataField("FORM_TYPE", "hidden", nsRoomInfo))
	if rm := u.rooms[jidmap.Key(legacy)]; rm != nil && rm.selfSent {
		form.Append(dataField("muc#roominfo_occupants", "", itoa(len(rm.parts)+1)))
	}
	out := []*xmpp.Element{form}
	for _, d := range u.r.feats.forms {
		for _, x := range d.DiscoForms(feature.Room) {
			if formType(x) != nsRoomInfo {
				out = append(out, x.Clone())
				continue
			}
			for _, f := range x.Children() {
				if f.Is(nsData, "field") && f.Attr("var") != "FORM_TYPE" {
					form.Append(f.Clone())
				}
			}
		}
	}
	return out
}

// dataField is a data form field with one value; typ "" leaves the type out.
func dataField(name, typ, value string) *xmpp.Element {
	f := xmpp.New(nsData, "field", "var", name)
	if typ != "" {
		f.SetAttr("type", typ)
	}
	return f.Append(xmpp.New(nsData, "value").AppendText(value))
}

// occupantOf returns the participant that rs addresses as room/display, with self set
// for the user's own occupant, or the condition to answer: the router answers on an
// occupant JID for the legacy member, who has no XMPP client to forward the IQ to.
// Only an occupant that has joined may ask (not-acceptable otherwise, as XEP-0045 7.5
// for private messages and XEP-0410); an unknown nick is item-not-found. Spectrum 2
// answered disco#info item-not-found for every occupant, and pings service-unavailable,
// which XEP-0410 clients read as "still joined".
func (u *user) occupantOf(rs *resource, t target) (pt *participant, self bool, cond string) {
	rm := u.roomOfNode(t.jid.Localpart())
	if rm == nil || rm.occupants[rs.key] == nil || !rm.occupants[rs.key].joined {
		return nil, false, "not-acceptable"
	}
	display := t.jid.Resourcepart()
	if strings.EqualFold(display, rm.nick) {
		return &rm.self, true, ""
	}
	if pt = rm.parts[jidmap.Key(rm.nickOf(display))]; pt == nil || pt.display() != display {
		return nil, false, xmpp.StanzaItemNotFound
	}
	return pt, false, ""
}

// occupantPing answers XEP-0410 self-ping: result while the resource is joined under
// that nick, not-acceptable when it is not in the room (the client then joins again).
// A ping to another member cannot reach its legacy client: service-unavailable, which
// XEP-0410 also reads as joined.
func (u *user) occupantPing(rs *resource, iq *xmpp.Element, t target) {
	_, self, cond := u.occupantOf(rs, t)
	switch {
	case cond != "":
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, cond, ""))
	case self:
		u.send(rs, iqResult(iq))
	default:
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	}
}

// occupantDiscoInfo answers disco#info on an occupant JID like a room member's client:
// identity client/pc, and ping for the user's own occupant (XEP-0410).
func (u *user) occupantDiscoInfo(rs *resource, iq, p *xmpp.Element, t target) {
	pt, self, cond := u.occupantOf(rs, t)
	if cond == "" && p.Attr("node") != "" {
		cond = xmpp.StanzaItemNotFound
	}
	if cond != "" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, cond, ""))
		return
	}
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "client", "type", "pc",
		"name", pt.display()))
	feats := []string{xmpp.NSDiscoInfo}
	if self {
		feats = append(feats, xmpp.NSPing)
	}
	for _, f := range feats {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	u.send(rs, iqResult(iq).Append(q))
}

// formType is the value of a data form's FORM_TYPE field ("" without one).
func formType(x *xmpp.Element) string {
	for _, f := range x.Children() {
		if f.Is(nsData, "field") && f.Attr("var") == "FORM_TYPE" {
			return f.ChildText(nsData, "value")
		}
	}
	return ""
}
