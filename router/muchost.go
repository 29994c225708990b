package router

import (
	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/muc"
)

// Group chats (XEP-0045, spec 3.12, 3.13) live in router/muc; the user's rooms are state
// of its actor like the roster (user.rooms), and mucHost is what they see of the user.

// muc is the user's group chats for one call on its actor.
func (u *user) muc() muc.User { return u.r.muc.For(mucHost{u}, &u.rooms) }

// JID and Seq implement muc.Resource.
func (rs *resource) JID() string { return rs.key }
func (rs *resource) Seq() int    { return rs.seq }

// mucHost implements muc.Host for u; valid on the actor only. The resources it gets
// back are the user's own (*resource).
type mucHost struct{ u *user }

func (h mucHost) User() string { return h.u.key }

func (h mucHost) Send(rs muc.Resource, el *xmpp.Element) { h.u.send(rs.(*resource), el) }

func (h mucHost) Refuse(rs muc.Resource, el *xmpp.Element, what string, n int) {
	h.u.refuse(rs.(*resource), el, what, n)
}

func (h mucHost) Online() bool { return h.u.legacyOnline() }

func (h mucHost) ToBackend(t pb.WrapperMessage_Type, m proto.Message) error {
	return h.u.toBackend(t, m)
}

func (h mucHost) BounceOffline(rs muc.Resource, el *xmpp.Element) {
	h.u.bounceOffline(rs.(*resource), el)
}

func (h mucHost) BounceNotSent(rs muc.Resource, el *xmpp.Element, err error) {
	h.u.bounceNotSent(rs.(*resource), el, err)
}

func (h mucHost) Post(f func()) { h.u.post(f) }

func (h mucHost) Debug() *zerolog.Event { return h.u.log.Debug() }

func (h mucHost) Show(s pb.StatusType) (show string, available bool) {
	return showOf[s], online(s)
}

func (h mucHost) Delay(ts string) *xmpp.Element { return delay(ts) }

// Conversation is as in one-to-one chats: the OOB URLs are attachments (attachmentsFor).
func (h mucHost) Conversation(m *xmpp.Element, buddy string) *pb.ConversationMessage {
	conv := &pb.ConversationMessage{UserName: proto.String(h.u.key), BuddyName: proto.String(buddy),
		Message: proto.String(m.ChildText(xmpp.NSClient, "body")), Xhtml: proto.String(xhtmlOf(m))}
	conv.Attachment = h.u.attachmentsFor(m, conv)
	if conv.GetMessage() == "" && conv.GetXhtml() == "" && len(conv.Attachment) == 0 {
		return nil
	}
	if id := messageID(m); id != "" {
		conv.Id = proto.String(id)
	}
	return conv
}

func (h mucHost) References(m *xmpp.Element, conv *pb.ConversationMessage, room string, senderOf func(to string) string) {
	h.u.referenceFields(m, conv, room, senderOf)
}

func (h mucHost) EventToBackend(rs muc.Resource, m *xmpp.Element, legacy, room string) bool {
	return h.u.eventToBackend(rs.(*resource), m, legacy, room) // msgext.go
}

func (h mucHost) MarkerToBackend(m *xmpp.Element, legacy, room string) error {
	return h.u.markerToBackend(m, legacy, room)
}

func (h mucHost) ToClient(msg *xmpp.Element, m *pb.ConversationMessage, room string, senderJID func(nick string) string) {
	if h.u.r.cfg.EnableXHTML && m.GetXhtml() != "" {
		if html := parseXHTML(m.GetXhtml()); html != nil {
			msg.Append(xmpp.New(xmpp.NSXHTMLIM, "html").Append(html))
		}
	}
	for _, a := range m.GetAttachment() {
		msg.Append(oobX(a.GetUrl(), a.GetDescription()))
	}
	h.u.markable(msg)
	reply := ""
	if id := m.GetReplyToId(); id != "" {
		reply = h.u.clientRef(room, id)
	}
	appendExtensions(msg, m, reply, senderJID)
}

func (h mucHost) EventToClient(msg *xmpp.Element, m *pb.ConversationMessage, room string) bool {
	if room == "" {
		return appendEvent(msg, m, func(id string) string { return id })
	}
	return appendEvent(msg, m, func(id string) string { return h.u.clientRef(room, id) })
}

// RoomMessage runs the features' RoomMessages hooks. The features are few: a type
// assertion each is cheaper than the message's serialisation.
func (h mucHost) RoomMessage(room string, msg *xmpp.Element, legacyID string) {
	for _, f := range h.u.r.cfg.Features {
		if x, ok := f.(feature.RoomMessages); ok {
			x.RoomMessage(h.u.handle(), room, msg, legacyID)
		}
	}
}

// RoomPrivate runs the features' RoomPrivates hooks on a private message with a body.
func (h mucHost) RoomPrivate(occupant string, msg *xmpp.Element, out bool, legacyID string) {
	if msg.Child(xmpp.NSClient, "body") == nil {
		return
	}
	for _, f := range h.u.r.cfg.Features {
		if x, ok := f.(feature.RoomPrivates); ok {
			x.RoomPrivate(h.u.handle(), occupant, msg, out, legacyID)
		}
	}
}

// roomFeatures are the disco#info features of issue 24 that a room has: those of the
// keys the backends announced.
func (u *user) roomFeatures() []string {
	f := u.r.backends.Features()
	var out []string
	if f.Corrections {
		out = append(out, nsCorrect)
	}
	if f.Replies {
		out = append(out, nsReply)
	}
	if f.Reactions {
		out = append(out, nsReactions)
	}
	if f.Retractions {
		out = append(out, nsRetract, nsRetract0)
	}
	if f.Markers {
		out = append(out, xmpp.NSMarkers)
	}
	return out
}

// roomDiscoInfo answers disco#info on a room JID with the features' additions for rooms
// and what the backends carry (issue 24).
func (u *user) roomDiscoInfo(rs *resource, iq, p *xmpp.Element, t target) {
	feats := append(u.r.feats.discoFeatures(feature.Room), u.roomFeatures()...)
	var forms []*xmpp.Element
	for _, d := range u.r.feats.forms {
		forms = append(forms, d.DiscoForms(feature.Room)...)
	}
	q, cond := u.muc().DiscoInfo(t.jid, p.Attr("node"), feats, forms)
	u.answerIQ(rs, iq, q, cond)
}

// roomItems answers disco#items on the service: the features' services, then the room
// list (spec 3.13).
func (u *user) roomItems(rs *resource, iq *xmpp.Element) {
	q := xmpp.New(xmpp.NSDiscoItems, "query")
	u.r.subdomainItems(q) // subdomain.go
	u.muc().AppendItems(q)
	u.send(rs, iqResult(iq).Append(q))
}

// answerIQ answers iq with q, or with a cancel error of condition cond when set.
func (u *user) answerIQ(rs *resource, iq, q *xmpp.Element, cond string) {
	if cond != "" {
		u.send(rs, xmpp.ErrorReply(iq, xmpp.ErrTypeCancel, cond, ""))
		return
	}
	u.send(rs, iqResult(iq).Append(q))
}
