package router

import (
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// undeliveredText is the text of the error that answers a message a dead backend never
// read (spec 2.6 changed: Spectrum 2 loses such a message in silence).
const undeliveredText = "The legacy network connection was lost before the message was delivered; please send it again."

var _ pluginserver.UndeliveredHandler = (*Router)(nil)

// HandleUndelivered implements pluginserver.UndeliveredHandler: a frame that a backend
// never confirmed before it died comes back here, before the user's DISCONNECTED. Like
// every frame it is only posted to the user's actor.
func (r *Router) HandleUndelivered(user string, t pb.WrapperMessage_Type, m proto.Message) {
	u := r.lookup(user)
	if u == nil {
		r.log.Info().Stringer("type", t).Str("user", user).Msg("undelivered frame for a user who is gone")
		return
	}
	u.postFrame(func() { u.undelivered(t, m) }, proto.Size(m), false)
}

// undelivered answers a client stanza that never reached the legacy network: a message
// (or attention) comes back to its sender as an error, so that nothing is lost silently.
// The other kinds are answered elsewhere: a vCard request by its timeout, roster sets
// were already acknowledged, rooms are joined again after the re-login.
func (u *user) undelivered(t pb.WrapperMessage_Type, m proto.Message) {
	if u.removed() {
		return
	}
	conv, ok := m.(*pb.ConversationMessage)
	if !ok || (t != pb.WrapperMessage_TYPE_CONV_MESSAGE && t != pb.WrapperMessage_TYPE_ATTENTION) {
		u.log.Info().Stringer("type", t).Msg("a request to the legacy network was lost with its backend")
		return
	}
	orig := u.lostMessage(t, conv)
	reply := xmpp.ErrorReply(orig, xmpp.ErrTypeWait, xmpp.StanzaRecipientUnavailable, undeliveredText)
	u.log.Info().Str("id", conv.GetId()).Msg("message lost with its backend bounced")
	if pm, occupants, ok := u.muc().LostSenders(conv.GetBuddyName()); ok {
		u.bounceToRoomSenders(pm, occupants, reply)
		return
	}
	u.deliverMessage(reply, jidmap.Key(conv.GetBuddyName()))
}

// lostMessage rebuilds, as far as the frame tells, the message the client sent: from the
// user to the buddy's (or room's) bare JID, with its id, body and attention.
func (u *user) lostMessage(t pb.WrapperMessage_Type, conv *pb.ConversationMessage) *xmpp.Element {
	to, typ := u.lostTarget(conv.GetBuddyName())
	m := xmpp.New(xmpp.NSClient, "message", "from", u.key, "to", to, "type", typ, "id", conv.GetId())
	if body := conv.GetMessage(); body != "" {
		m.Append(xmpp.New(xmpp.NSClient, "body").AppendText(body))
	}
	if t == pb.WrapperMessage_TYPE_ATTENTION {
		m.Append(xmpp.New(xmpp.NSAttention, "attention"))
	}
	return m
}

// lostTarget is the JID and type of the lost message: a joined room ("#room") or a
// private message in it ("#room/nick"), else a buddy's bare JID.
func (u *user) lostTarget(buddy string) (to, typ string) {
	if to, typ, ok := u.muc().LostTarget(buddy); ok {
		return to, typ
	}
	from := u.buddyFrom(buddy)
	if i := strings.IndexByte(from, '/'); i >= 0 {
		from = from[:i]
	}
	return from, "chat"
}

// bounceToRoomSenders gives a lost room message back to the user's resources in the room
// (muc.User.LostSenders): for a private message the resource that last wrote to the
// nick, pm, else every occupant.
func (u *user) bounceToRoomSenders(pm string, occupants []string, reply *xmpp.Element) {
	var dst []*resource
	if rs := u.resources[pm]; rs != nil {
		dst = append(dst, rs)
	}
	if len(dst) == 0 {
		for _, key := range occupants {
			if rs := u.resources[key]; rs != nil {
				dst = append(dst, rs)
			}
		}
	}
	if len(dst) == 0 {
		u.deliverMessage(reply, "")
		return
	}
	for i, rs := range dst {
		el := copyFor(i, reply)
		el.SetAttr("to", rs.key)
		u.send(rs, el)
	}
}
