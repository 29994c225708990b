package muc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// XEP-0045 status codes the group chats send.
const (
	statusSelf       = "110"
	statusBanned     = "301"
	statusRenamed    = "303"
	statusKicked     = "307"
	statusNickForced = "210"
	statusShutdown   = "332"
)

// Participant flags (pbnetwork.ParticipantFlag) as bits.
const (
	flagModerator    = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR)
	flagConflict     = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT)
	flagBanned       = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_BANNED)
	flagNotAuth      = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED)
	flagMe           = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME)
	flagKicked       = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED)
	flagRoomNotFound = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND)
)

// mucUserX builds <x xmlns='muc#user'/> from status codes (strings) and child elements.
func mucUserX(parts ...any) *xmpp.Element {
	x := xmpp.New(xmpp.NSMUCUser, "x")
	var codes []*xmpp.Element
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			codes = append(codes, xmpp.New(xmpp.NSMUCUser, "status", "code", v))
		case *xmpp.Element:
			x.Append(v)
		}
	}
	return x.Append(codes...)
}

// mucItem is <item affiliation role/>.
func mucItem(affiliation, role string) *xmpp.Element {
	return xmpp.New(xmpp.NSMUCUser, "item", "affiliation", affiliation, "role", role)
}

// itemFor maps participant flags to affiliation and role (spec 3.12: moderators are
// admin/moderator, everybody else member/participant); unavailable occupants have role none.
func itemFor(flags int32, available bool) *xmpp.Element {
	return itemWith(flags, "", available)
}

// affiliations are the XEP-0045 affiliations a backend may name (Participant.affiliation,
// our extension field).
var affiliations = map[string]bool{"owner": true, "admin": true, "member": true, "none": true, "outcast": true}

// itemWith is itemFor with the backend's affiliation, when it named a valid one (a Matrix
// room's power level 100 is an owner, which the moderator flag cannot say).
func itemWith(flags int32, aff string, available bool) *xmpp.Element {
	a, role := "member", "participant"
	if flags&flagModerator != 0 {
		a, role = "admin", "moderator"
	}
	if affiliations[aff] {
		a = aff
	}
	if !available {
		role = "none"
	}
	return mucItem(a, role)
}

// Participant handles PARTICIPANT_CHANGED (spec 3.12). Frames for rooms the user
// is not in are ignored, as in Spectrum 2.
func (u User) Participant(p *pb.Participant) {
	rm := u.room(p.GetRoom())
	if u.staleLeave(p.GetRoom(), rm, p) {
		u.h.Debug().Str("room", p.GetRoom()).Msg("the network confirmed our earlier leave")
		return
	}
	if rm == nil {
		u.h.Debug().Str("room", p.GetRoom()).Msg("participant of an unknown room ignored")
		return
	}
	nick, flags := p.GetNickname(), p.GetFlag()
	self := strings.EqualFold(nick, rm.nick) || flags&flagMe != 0
	if !self {
		u.otherParticipant(rm, p)
		return
	}
	if nick != rm.nick {
		// Quirk 16 fixed: the ME flag names our own participant even under a nick the
		// network chose; it counts as a forced nick change (code 210).
		rm.nick, rm.renamed = nick, true
	}
	if u.selfError(rm, p) {
		return
	}
	u.selfParticipant(rm, p)
}

// selfError turns the error flags of our own participant into an error presence for the
// joining resources and leaves the room (spec 3.12).
func (u User) selfError(rm *room, p *pb.Participant) bool {
	flags := p.GetFlag()
	var typ, cond string
	switch {
	case flags&flagConflict != 0:
		typ, cond = xmpp.ErrTypeCancel, xmpp.StanzaConflict
	case flags&flagNotAuth != 0:
		typ, cond = xmpp.ErrTypeAuth, xmpp.StanzaNotAuthorized
	case flags&flagRoomNotFound != 0:
		typ, cond = xmpp.ErrTypeCancel, xmpp.StanzaItemNotFound
	default:
		return false
	}
	for _, occ := range rm.occupants {
		pres := xmpp.New(xmpp.NSClient, "presence", "type", "error",
			"from", u.occupantJID(rm, occ.nick), "to", occ.rs.JID())
		pres.Append(xmpp.New(xmpp.NSMUC, "x"), xmpp.StanzaError(typ, cond, p.GetStatusMessage()))
		u.h.Send(occ.rs, pres)
	}
	u.dropRoom(rm, true)
	return true
}

// selfParticipant handles our own participant: kicked, banned, gone, renamed, or the
// self-presence with 110 that completes a join.
func (u User) selfParticipant(rm *room, p *pb.Participant) {
	flags := p.GetFlag()
	if flags&(flagKicked|flagBanned) != 0 || p.GetStatus() == pb.StatusType_STATUS_NONE {
		// Quirk 16 fixed: KICKED and BANNED become 307 and 301 (XEP-0045 9.1, 9.2).
		codes := []any{statusSelf}
		if flags&flagBanned != 0 {
			codes = append(codes, statusBanned)
		} else if flags&flagKicked != 0 {
			codes = append(codes, statusKicked)
		}
		item := mucItem("none", "none")
		if flags&flagBanned != 0 {
			item = mucItem("outcast", "none")
		}
		if msg := p.GetStatusMessage(); msg != "" {
			item.Append(xmpp.New(xmpp.NSMUCUser, "reason").AppendText(msg))
		}
		pres := xmpp.New(xmpp.NSClient, "presence", "type", "unavailable")
		u.toOccupants(rm, rm.nick, pres.Append(mucUserX(append(codes, item)...)))
		u.dropRoom(rm, true)
		return
	}
	if nn := p.GetNewname(); nn != "" && nn != rm.nick {
		u.renamePresence(rm, rm.nick, nn, flags, true)
		rm.nick, rm.renamed = nn, true
	}
	u.sendSelfPresence(rm, p)
}

// sendSelfPresence records our own participant and sends its presence, held while a
// join is in progress until the occupant list has settled (join.go).
func (u User) sendSelfPresence(rm *room, p *pb.Participant) {
	rm.self = participant{nick: rm.nick, aff: p.GetAffiliation(), flags: p.GetFlag(), status: p.GetStatus(),
		message: p.GetStatusMessage(), iconHash: p.GetIconHash()}
	if rm.joining() {
		u.holdSelf(rm)
		return
	}
	u.dropHold(rm)
	u.flushSelf(rm)
}

// flushSelf sends the self-presence (110, and 210 after a forced nick change) to every
// occupant, then, to those that had not joined yet, the history and the subject held
// back until now (spec 3.12).
func (u User) flushSelf(rm *room) {
	for _, occ := range sortedOccupants(rm) {
		codes := []any{statusSelf}
		if rm.renamed || !occ.joined && occ.nick != rm.nick {
			codes = append(codes, statusNickForced) // not the nick this resource asked for
		}
		out := u.participantPresence(rm, &rm.self, codes...)
		out.SetAttr("to", occ.rs.JID())
		u.h.Send(occ.rs, out)
		if !occ.joined {
			occ.joined = true
			u.sendRoomBacklog(rm, occ)
		}
	}
	rm.selfSent, rm.renamed = true, false
}

// otherParticipant updates another member and tells every occupant (spec 3.12).
func (u User) otherParticipant(rm *room, p *pb.Participant) {
	key := jidmap.Key(p.GetNickname())
	pt := &participant{nick: p.GetNickname(), alias: p.GetAlias(), aff: p.GetAffiliation(), flags: p.GetFlag(),
		status: p.GetStatus(), message: p.GetStatusMessage(), iconHash: p.GetIconHash()}
	if nn := p.GetNewname(); nn != "" && nn != pt.nick {
		u.renamePresence(rm, pt.display(), nn, pt.flags, false)
		rm.parts.remove(key)
		pt.nick, pt.alias, key = nn, "", jidmap.Key(nn)
	}
	var codes []any
	if _, available := u.h.Show(pt.status); !available || pt.flags&(flagKicked|flagBanned) != 0 {
		rm.parts.remove(key)
		pt.status = pb.StatusType_STATUS_NONE
		if pt.flags&flagBanned != 0 {
			codes = append(codes, statusBanned)
		} else if pt.flags&flagKicked != 0 {
			codes = append(codes, statusKicked)
		}
	} else if !rm.parts.put(key, *pt, u.s.cfg.MaxMembers) {
		u.memberLimit(rm)
	}
	u.toOccupants(rm, pt.display(), u.participantPresence(rm, pt, codes...))
	u.settling(rm)
}

// memberLimit tells the occupants once that the room has more members than the gateway
// keeps (Config.MaxMembers). The presences of those past the bound still reach them, and
// their messages too; what they miss is those members in a later resource's join, the
// occupant count and aliases.
func (u User) memberLimit(rm *room) {
	if rm.full {
		return
	}
	rm.full = true
	text := fmt.Sprintf("This room has more members than the gateway keeps (%d): the members who joined later are not listed to resources that join after them.", u.s.cfg.MaxMembers)
	for _, occ := range sortedOccupants(rm) {
		u.h.Send(occ.rs, xmpp.New(xmpp.NSClient, "message", "type", "groupchat", "from", u.roomBare(rm), "to", occ.rs.JID()).
			Append(xmpp.New(xmpp.NSClient, "body").AppendText(text)))
	}
	if ev := u.h.Debug(); ev != nil {
		ev.Str("room", u.roomBare(rm)).Int("max_members", u.s.cfg.MaxMembers).Msg("room member bound reached")
	}
}

// renamePresence sends the 303 unavailable presence of a nick change (spec 3.12).
func (u User) renamePresence(rm *room, old, nn string, flags int32, self bool) {
	item := itemFor(flags, true)
	item.SetAttr("nick", nn)
	codes := []any{statusRenamed, item}
	if self {
		codes = append([]any{statusSelf}, codes...)
	}
	pres := xmpp.New(xmpp.NSClient, "presence", "type", "unavailable")
	u.toOccupants(rm, old, pres.Append(mucUserX(codes...)))
}

// participantPresence is the occupant presence of pt (spec 3.12; show and status as 3.8),
// without from's resource and to, which the callers set.
func (u User) participantPresence(rm *room, pt *participant, codes ...any) *xmpp.Element {
	show, available := u.h.Show(pt.status)
	p := xmpp.New(xmpp.NSClient, "presence", "from", u.occupantJID(rm, pt.display()))
	if !available {
		p.SetAttr("type", "unavailable")
	} else if show != "" {
		p.Append(xmpp.New(xmpp.NSClient, "show").AppendText(show))
	}
	if pt.message != "" {
		p.Append(xmpp.New(xmpp.NSClient, "status").AppendText(pt.message))
	}
	p.Append(mucUserX(append([]any{itemWith(pt.flags, pt.aff, available)}, codes...)...))
	if available && pt.iconHash != "" {
		p.Append(xmpp.New(xmpp.NSVCardUpd, "x").Append(xmpp.New(xmpp.NSVCardUpd, "photo").AppendText(pt.iconHash)))
	}
	return p
}

// toOccupants sends el from room/nick to every occupant of the room.
func (u User) toOccupants(rm *room, nick string, el *xmpp.Element) {
	el.SetAttr("from", u.occupantJID(rm, nick))
	for i, occ := range sortedOccupants(rm) {
		out := copyFor(i, el)
		out.SetAttr("to", occ.rs.JID())
		u.h.Send(occ.rs, out)
	}
}

// sortedOccupants lists the occupants in the order their resources were bound, so that
// what every resource sees does not depend on map order.
func sortedOccupants(rm *room) []*occupant {
	out := make([]*occupant, 0, len(rm.occupants))
	for _, occ := range rm.occupants {
		out = append(out, occ)
	}
	slices.SortFunc(out, func(a, b *occupant) int { return a.rs.Seq() - b.rs.Seq() })
	return out
}

// NicknameChanged handles ROOM_NICKNAME_CHANGED: the network chose our nickname; the
// next self-presence carries it with code 210 (spec 1.3, 3.12).
func (u User) NicknameChanged(m *pb.Room) {
	rm := u.room(m.GetRoom())
	if rm == nil || m.GetNickname() == "" || m.GetNickname() == rm.nick {
		return
	}
	rm.nick, rm.renamed = m.GetNickname(), true
}
