package muc

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// entry is one room of a ROOM_LIST: legacy name and display name.
type entry struct {
	legacy, name string
}

// entries pairs the room and name lists of a ROOM_LIST; a missing name is the room's.
func entries(l *pb.RoomList) []entry {
	out := make([]entry, 0, len(l.GetRoom()))
	for i, room := range l.GetRoom() {
		if room == "" {
			continue
		}
		name := room
		if i < len(l.GetName()) && l.GetName()[i] != "" {
			name = l.GetName()[i]
		}
		out = append(out, entry{legacy: room, name: name})
	}
	return out
}

// directory is the global room list (ROOM_LIST without user, spec 3.13), shared by
// every user's actor; its mutex is taken alone and never held while calling out.
type directory struct {
	mu    sync.Mutex
	rooms []entry
}

func (d *directory) set(rooms []entry) {
	d.mu.Lock()
	d.rooms = rooms
	d.mu.Unlock()
}

func (d *directory) list() []entry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.rooms)
}

// SetList replaces the user's own room list with a ROOM_LIST for the user (spec 3.13).
func (u User) SetList(l *pb.RoomList) { u.st.list = entries(l) }

// knownRooms is the global list capped by max_room_list_size, then the user's own list
// (spec 3.13), without duplicates.
func (u User) knownRooms() []entry {
	global := u.s.dir.list()
	if limit := u.s.cfg.MaxRoomList; limit > 0 && len(global) > limit {
		global = global[:limit]
	}
	seen := map[string]bool{}
	var out []entry
	for _, e := range append(global, u.st.list...) {
		if k := jidmap.Key(e.legacy); !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

// AppendItems adds the room list to q, the disco#items answer on the service (spec 3.13).
// Item JIDs are the XEP-0106 escaped room names without the '@' to '%' replacement (spec
// 3.12).
func (u User) AppendItems(q *xmpp.Element) {
	for _, e := range u.knownRooms() {
		q.Append(xmpp.New(xmpp.NSDiscoItems, "item",
			"jid", jidmap.EscapeNode(e.legacy)+"@"+u.s.cfg.Domain, "name", e.name))
	}
}

// roomName is the display name of a legacy room from the room lists, else its legacy name.
func (u User) roomName(legacy string) string {
	for _, e := range u.knownRooms() {
		if jidmap.Key(e.legacy) == jidmap.Key(legacy) {
			return e.name
		}
	}
	return legacy
}

// DiscoInfo is the disco#info query answering one on the room JID to with node: the
// conference identity, the MUC features and then features, the muc#roominfo form merged
// with forms (spec 3.13; Spectrum 2 lists only the muc feature). features and forms are
// what the router adds for rooms (its features' and what the backends carry); forms are
// not changed. With cond set the answer is that error instead.
func (u User) DiscoInfo(to jid.JID, node string, features []string, forms []*xmpp.Element) (q *xmpp.Element, cond string) {
	if node != "" {
		return nil, xmpp.StanzaItemNotFound
	}
	legacy, _ := roomFromNode(to.Localpart())
	q = xmpp.New(xmpp.NSDiscoInfo, "query")
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "conference", "type", "text",
		"name", u.roomName(legacy)))
	for _, f := range append([]string{xmpp.NSDiscoInfo, xmpp.NSMUC}, features...) {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	q.Append(u.roomInfoForms(legacy, forms)...)
	return q, ""
}

// nsRoomInfo is the FORM_TYPE of a room's extended disco#info (XEP-0045 15.5.4).
const nsRoomInfo = "http://jabber.org/protocol/muc#roominfo"

// nsData is XEP-0004's namespace, of the XEP-0128 forms in disco#info.
const nsData = xmpp.NSDataForms

// roomInfoForms is the room's muc#roominfo form (XEP-0128): the number of occupants
// while the user is in the room, and the fields of forms (the features' forms for rooms:
// a form of the same FORM_TYPE is merged into this one, as XEP-0128 allows one form per
// FORM_TYPE; others are added as they are, copied).
func (u User) roomInfoForms(legacy string, forms []*xmpp.Element) []*xmpp.Element {
	form := xmpp.New(nsData, "x", "type", "result").Append(dataField("FORM_TYPE", "hidden", nsRoomInfo))
	if rm := u.st.rooms[jidmap.Key(legacy)]; rm != nil && rm.selfSent {
		form.Append(dataField("muc#roominfo_occupants", "", strconv.Itoa(rm.parts.len()+1)))
	}
	out := []*xmpp.Element{form}
	for _, x := range forms {
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
// for the user's own occupant, or the condition to answer: we answer on an
// occupant JID for the legacy member, who has no XMPP client to forward the IQ to.
// Only an occupant that has joined may ask (not-acceptable otherwise, as XEP-0045 7.5
// for private messages and XEP-0410); an unknown nick is item-not-found. Spectrum 2
// answered disco#info item-not-found for every occupant, and pings service-unavailable,
// which XEP-0410 clients read as "still joined".
func (u User) occupantOf(rs Resource, to jid.JID) (pt *participant, self bool, cond string) {
	rm := u.roomOfNode(to.Localpart())
	if rm == nil || rm.occupants[rs.JID()] == nil || !rm.occupants[rs.JID()].joined {
		return nil, false, "not-acceptable"
	}
	display := to.Resourcepart()
	if strings.EqualFold(display, rm.nick) {
		return &rm.self, true, ""
	}
	p, ok := rm.parts.get(jidmap.Key(rm.nickOf(display)))
	if !ok || p.display() != display {
		return nil, false, xmpp.StanzaItemNotFound
	}
	return &p, false, ""
}

// OccupantPing is the answer to a ping of rs to the occupant JID to, as the condition of
// an error, "" for a result: XEP-0410 self-ping gets a result while the resource is
// joined under that nick, not-acceptable when it is not in the room (the client then
// joins again). A ping to another member cannot reach its legacy client:
// service-unavailable, which XEP-0410 also reads as joined.
func (u User) OccupantPing(rs Resource, to jid.JID) (cond string) {
	_, self, cond := u.occupantOf(rs, to)
	switch {
	case cond != "":
		return cond
	case self:
		return ""
	default:
		return xmpp.StanzaServiceUnavailable
	}
}

// OccupantDiscoInfo is the disco#info query answering one of rs on the occupant JID to
// with node, like a room member's client: identity client/pc, and ping for the user's
// own occupant (XEP-0410). With cond set the answer is that error instead.
func (u User) OccupantDiscoInfo(rs Resource, to jid.JID, node string) (q *xmpp.Element, cond string) {
	pt, self, cond := u.occupantOf(rs, to)
	if cond == "" && node != "" {
		cond = xmpp.StanzaItemNotFound
	}
	if cond != "" {
		return nil, cond
	}
	q = xmpp.New(xmpp.NSDiscoInfo, "query")
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "client", "type", "pc",
		"name", pt.display()))
	feats := []string{xmpp.NSDiscoInfo}
	if self {
		feats = append(feats, xmpp.NSPing)
	}
	for _, f := range feats {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	return q, ""
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
