package router

import (
	"slices"
	"sync"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
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
		if k := legacyKey(e.legacy); !seen[k] {
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
	for _, e := range u.knownRooms() {
		q.Append(xmpp.New(xmpp.NSDiscoItems, "item",
			"jid", EscapeNode(e.legacy)+"@"+u.r.cfg.Domain, "name", e.name))
	}
	u.send(rs, iqResult(iq).Append(q))
}

// roomName is the display name of a legacy room from the room lists, else its legacy name.
func (u *user) roomName(legacy string) string {
	for _, e := range u.knownRooms() {
		if legacyKey(e.legacy) == legacyKey(legacy) {
			return e.name
		}
	}
	return legacy
}

// roomDiscoInfo answers disco#info on a room JID: conference identity and the MUC
// features (spec 3.13; Spectrum 2 lists only the muc feature).
func (u *user) roomDiscoInfo(rs *resource, iq, p *xmpp.Element, t target) {
	if p.Attr("node") != "" || t.jid.Resourcepart() != "" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound, ""))
		return
	}
	legacy, _ := roomFromNode(t.jid.Localpart())
	q := xmpp.New(xmpp.NSDiscoInfo, "query")
	q.Append(xmpp.New(xmpp.NSDiscoInfo, "identity", "category", "conference", "type", "text",
		"name", u.roomName(legacy)))
	for _, f := range []string{xmpp.NSDiscoInfo, xmpp.NSMUC} {
		q.Append(xmpp.New(xmpp.NSDiscoInfo, "feature", "var", f))
	}
	u.send(rs, iqResult(iq).Append(q))
}
