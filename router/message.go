package router

import (
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
)

// chatStateFrames maps XEP-0085 states to frames (spec 3.9 step 2; inactive/gone ignored).
var chatStateFrames = map[string]pb.WrapperMessage_Type{
	"composing": pb.WrapperMessage_TYPE_BUDDY_TYPING,
	"paused":    pb.WrapperMessage_TYPE_BUDDY_TYPED,
	"active":    pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING,
}

// messageFromClient routes a client message by target.
func (u *user) messageFromClient(rs *resource, m *xmpp.Element) {
	if m.Type() == "error" {
		return // spec 3.9: errors are dropped
	}
	t := u.target(m.To())
	switch t.kind {
	case targetBuddy:
		u.messageToBuddy(rs, m, t)
	case targetSelf:
		u.messageToSelf(rs, m, t)
	case targetRoom:
		u.muc().Message(rs, m, t.jid) // spec 3.9, 3.12
	case targetServer, targetNone, targetService:
		// spec 3.22: messages to the service are dropped; we say so instead.
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable, ""))
	case targetForeign:
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, "remote-server-not-found", ""))
	default:
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeModify, xmpp.StanzaJIDMalformed, ""))
	}
}

// messageToSelf delivers a message between the user's own resources (RFC 6121 8.5).
func (u *user) messageToSelf(rs *resource, m *xmpp.Element, t target) {
	if t.jid.Resourcepart() != "" {
		if dst := u.resources[t.jid.String()]; dst != nil {
			u.send(dst, m)
			return
		}
	}
	if !u.inboundHooks(m, feature.Local) {
		return
	}
	u.routeMessage(m, "", feature.Local)
}

// messageToBuddy turns a client message into frames (spec 3.9).
func (u *user) messageToBuddy(rs *resource, m *xmpp.Element, t target) {
	if !u.outboundHooks(rs, m) {
		return // a feature answered it (features.go)
	}
	if u.rawMode() {
		u.rawOut(rs, m, t)
		return
	}
	if u.messageToLocal(rs, m, t) {
		return // another user of this server (local.go)
	}
	// Spec 3.9: a message to a name that is not on the roster opens a conversation, as in
	// Spectrum 2; whether the name exists is the legacy network's call (an IRC nick or an
	// XMPP stranger is never on the roster).
	if !u.openConv(t.legacy, rs.key) {
		u.refuse(rs, m, "open conversations", u.r.cfg.Limits.Conversations)
		return
	}
	if !u.legacyOnline() {
		u.bounceOffline(rs, m)
		return
	}
	if err := u.chatStatesToBackend(m, t.legacy); err != nil {
		u.bounceNotSent(rs, m, err)
		return
	}
	if u.eventToBackend(rs, m, t.legacy, "") {
		return // a reaction or retraction (msgext.go), its fallback body not sent
	}
	body := m.ChildText(xmpp.NSClient, "body")
	conv := &pb.ConversationMessage{UserName: proto.String(u.key), BuddyName: proto.String(t.legacy),
		Message: proto.String(body)}
	ft := pb.WrapperMessage_TYPE_CONV_MESSAGE
	switch {
	case m.Child(xmpp.NSAttention, "attention") != nil:
		ft = pb.WrapperMessage_TYPE_ATTENTION
	default:
		conv.Xhtml = proto.String(xhtmlOf(m))
		conv.Attachment = u.attachmentsFor(m, conv)
		if conv.GetMessage() == "" && conv.GetXhtml() == "" && len(conv.Attachment) == 0 {
			// Chat state or receipt only (spec 3.9); a read marker goes on to a backend
			// that reads them.
			if err := u.markerToBackend(m, t.legacy, ""); err != nil {
				u.bounceNotSent(rs, m, err)
			}
			return
		}
		u.referenceFields(m, conv, "", func(to string) string {
			// the contact's message, else the user's own (empty sender)
			if bare(to) == bare(m.To()) {
				return t.legacy
			}
			return ""
		})
		if id := messageID(m); id != "" {
			conv.Id = proto.String(id)
			if m.Child(xmpp.NSReceipts, "request") != nil {
				u.receipts.add(id)
			}
		}
	}
	if err := u.toBackend(ft, conv); err != nil {
		u.bounceNotSent(rs, m, err)
		return
	}
	u.sentCarbons(rs, m)
}

// chatStatesToBackend sends the typing frames for m's chat states; the error if the
// backend could not take them.
func (u *user) chatStatesToBackend(m *xmpp.Element, legacy string) error {
	buddy := &pb.Buddy{UserName: proto.String(u.key), BuddyName: proto.String(legacy)}
	for _, c := range m.Children() {
		if ft, ok := chatStateFrames[c.Local]; ok && c.Space == xmpp.NSChatStates {
			if err := u.toBackend(ft, buddy); err != nil {
				return err
			}
		}
	}
	return nil
}

// markerToBackend sends the XEP-0333 displayed (else the XEP-0184 received) marker of m
// as CONV_MESSAGE_ACK with the marked message's id, when the backends announced
// features.markers (ours; Spectrum 2 sends no CONV_MESSAGE_ACK to a backend). The id is
// the one the backend gave the message (CONV_MESSAGE's id, kept end to end; in room, a
// room's bare JID, the stanza-id the client names is mapped back to it: legacyRef).
func (u *user) markerToBackend(m *xmpp.Element, legacy, room string) error {
	if !u.r.backends.Features().Markers {
		return nil
	}
	id := ""
	if d := m.Child(xmpp.NSMarkers, "displayed"); d != nil {
		id = d.Attr("id")
	} else if r := m.Child(xmpp.NSReceipts, "received"); r != nil {
		id = r.Attr("id")
	}
	if id == "" {
		return nil
	}
	id = u.legacyRef(room, id)
	return u.toBackend(pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK, &pb.ConversationMessage{UserName: proto.String(u.key),
		BuddyName: proto.String(legacy), Message: proto.String(""), Id: proto.String(id)})
}

// messageID is the id kept end to end: the XEP-0359 origin-id, else the stanza id.
func messageID(m *xmpp.Element) string {
	if o := m.Child(xmpp.NSSID, "origin-id"); o != nil && o.Attr("id") != "" {
		return o.Attr("id")
	}
	return m.ID()
}

// bounceOffline returns m with the condition for a legacy session that is not there:
// recipient-unavailable (wait) while a re-login runs, service-unavailable otherwise.
func (u *user) bounceOffline(rs *resource, m *xmpp.Element) {
	if u.legacyLoggingIn() {
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeWait, xmpp.StanzaRecipientUnavailable,
			"reconnecting to the legacy network"))
		return
	}
	u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, xmpp.StanzaServiceUnavailable,
		"not connected to the legacy network"))
}

// bounceNotSent returns el, whose frame the backend did not take (err from toBackend).
// A full outbound queue (pluginserver.ErrBackendBusy) is resource-constraint (wait): the
// backend is there but slower than what is sent to it, so the client may retry later
// (issue 18); otherwise the backend does not have the user (bounceOffline).
func (u *user) bounceNotSent(rs *resource, el *xmpp.Element, err error) {
	if errors.Is(err, pluginserver.ErrBackendBusy) {
		u.send(rs, xmpp.ErrorReply(el, xmpp.ErrTypeWait, xmpp.StanzaResourceConstraint,
			"the legacy network's backend is busy; try again later"))
		return
	}
	u.bounceOffline(rs, el)
}

// sentCarbons copies a message the user sent to its other resources that enabled carbons
// (XEP-0280 section 6; spec 3.18 generates none: fixed).
func (u *user) sentCarbons(from *resource, m *xmpp.Element) {
	if !carbonable(m) {
		return
	}
	for _, rs := range u.resources {
		if rs == from || !rs.carbons {
			continue
		}
		u.send(rs, u.carbon("sent", m, rs.key))
	}
}

// carbonable: chat messages (and normal ones with a body) without a private/no-copy hint.
func carbonable(m *xmpp.Element) bool {
	if m.Child(xmpp.NSCarbons, "private") != nil || m.Child(xmpp.NSHints, "no-copy") != nil {
		return false
	}
	switch m.Type() {
	case "chat":
		return true
	case "", "normal":
		return m.Child(xmpp.NSClient, "body") != nil
	}
	return false
}

// carbon wraps m as <sent/> or <received/> for resource to.
func (u *user) carbon(kind string, m *xmpp.Element, to string) *xmpp.Element {
	out := xmpp.New(xmpp.NSClient, "message", "from", u.key, "to", to)
	out.SetAttr("type", m.Type())
	fwd := xmpp.New(xmpp.NSForward, "forwarded").Append(m.Clone())
	return out.Append(xmpp.New(xmpp.NSCarbons, kind).Append(fwd))
}
