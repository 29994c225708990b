package router

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
)

// The XEPs of issue 24 between a client's chat message and the backend's frames
// (docs/protocol-extensions.md). In a one-to-one chat every id is the message's id kept
// end to end (messageID: the client's origin-id or id, the backend's CONV_MESSAGE id);
// only a client that names a message by the stanza-id the archive gave it (read from
// MAM) needs it mapped to the legacy id (legacyRef). In a room a client names messages
// by the room's stanza-ids both ways (router/muc/ext.go).
const (
	nsCorrect   = "urn:xmpp:message-correct:0"  // XEP-0308
	nsReactions = "urn:xmpp:reactions:0"        // XEP-0444
	nsReply     = "urn:xmpp:reply:0"            // XEP-0461
	nsFallback  = "urn:xmpp:fallback:0"         // XEP-0428
	nsFallback0 = "urn:xmpp:feature-fallback:0" // XEP-0428 before 0.2 (slixmpp 1.8)
	nsRetract   = "urn:xmpp:message-retract:1"  // XEP-0424 0.4
	nsRetract0  = "urn:xmpp:message-retract:0"  // XEP-0424 before 0.4, inside apply-to
	nsFasten    = "urn:xmpp:fasten:0"           // XEP-0422
)

// maxReactions bounds the reactions of one sender to one message that travel on.
const maxReactions = 32

// referenceFields sets m's XEP-0308 correction and XEP-0461 reply on conv, the message
// to the backend, for the keys the backends announced, with the ids of the legacy network
// (legacyRef in room, "" for the user's own archive). Without features.corrections a
// correction goes as correctionFallback says (correction.go). senderOf maps
// the reply's to (a JID) to the legacy sender, "" for the user.
func (u *user) referenceFields(m *xmpp.Element, conv *pb.ConversationMessage, room string, senderOf func(to string) string) {
	f := u.r.backends.Features()
	if r := m.Child(nsCorrect, "replace"); r != nil && r.Attr("id") != "" {
		if f.Corrections {
			conv.ReplaceId = proto.String(u.legacyRef(room, r.Attr("id")))
		} else {
			u.correctionFallback(conv, conv.GetBuddyName(), r.Attr("id"), conv.GetMessage()) // correction.go
		}
	} else {
		u.rememberSent(m, conv.GetBuddyName(), conv.GetMessage())
	}
	if f.Replies {
		replyFields(m, conv, senderOf)
		if conv.ReplyToId != nil {
			conv.ReplyToId = proto.String(u.legacyRef(room, conv.GetReplyToId()))
		}
	}
}

// legacyRef is the legacy id of the message a client names by id in room (its bare JID,
// "" for the user's own conversations): the one kept with the archive entry whose
// stanza-id is id (feature.MessageIDs), else id itself (the message's own id, kept end
// to end).
func (u *user) legacyRef(room, id string) string {
	for _, f := range u.r.cfg.Features {
		if x, ok := f.(feature.MessageIDs); ok {
			if l, ok := x.LegacyID(u.handle(), room, id); ok {
				return l
			}
		}
	}
	return id
}

// clientRef is the stanza-id by which the client knows the message of room that the
// legacy network names legacyID (feature.MessageIDs), else legacyID itself: without an
// archive the message went out with the legacy id as its id.
func (u *user) clientRef(room, legacyID string) string {
	for _, f := range u.r.cfg.Features {
		if x, ok := f.(feature.MessageIDs); ok {
			if sid, ok := x.StanzaID(u.handle(), room, legacyID); ok {
				return sid
			}
		}
	}
	return legacyID
}

// replyFields sets the XEP-0461 reply of m on conv when the backends announced
// features.replies; the body keeps the XEP-0428 fallback quote, whose length in
// characters from the body's start goes as replyFallbackEnd.
func replyFields(m *xmpp.Element, conv *pb.ConversationMessage, legacyOf func(string) string) {
	r := m.Child(nsReply, "reply")
	if r == nil || r.Attr("id") == "" {
		return
	}
	conv.ReplyToId = proto.String(r.Attr("id"))
	if to := r.Attr("to"); to != "" {
		conv.ReplyToSender = proto.String(legacyOf(to))
	}
	for _, c := range m.Children() {
		if c.Local != "fallback" || (c.Space != nsFallback && c.Space != nsFallback0) || c.Attr("for") != nsReply {
			continue
		}
		for _, b := range c.Children() {
			if b.Local != "body" {
				continue
			}
			start, _ := strconv.Atoi(b.Attr("start"))
			end, err := strconv.Atoi(b.Attr("end"))
			body := conv.GetMessage()
			if err == nil && start == 0 && end > 0 && end <= utf8.RuneCountInString(body) {
				conv.ReplyFallbackEnd = proto.Uint32(uint32(end))
			}
		}
	}
}

// clientEvent is the reaction or retraction m carries, as a CONV_EVENT payload
// (without user and buddy), and which feature key it needs; nil when it carries neither.
func clientEvent(m *xmpp.Element) (ev *pb.ConversationMessage, key string) {
	if r := m.Child(nsReactions, "reactions"); r != nil && r.Attr("id") != "" {
		ev = &pb.ConversationMessage{Message: proto.String(""), ReactToId: proto.String(r.Attr("id"))}
		for _, c := range r.Children() {
			if c.Space == nsReactions && c.Local == "reaction" && c.Text() != "" && len(ev.Reaction) < maxReactions {
				ev.Reaction = append(ev.Reaction, c.Text())
			}
		}
		return ev, "reactions"
	}
	if r := m.Child(nsRetract, "retract"); r != nil && r.Attr("id") != "" {
		return &pb.ConversationMessage{Message: proto.String(""), RetractId: proto.String(r.Attr("id"))}, "retractions"
	}
	if a := m.Child(nsFasten, "apply-to"); a != nil && a.Attr("id") != "" && a.Child(nsRetract0, "retract") != nil {
		return &pb.ConversationMessage{Message: proto.String(""), RetractId: proto.String(a.Attr("id"))}, "retractions"
	}
	return nil, ""
}

// eventToBackend sends a client's reaction or retraction to legacy (a contact, a room or
// "room/nick") as CONV_EVENT when the backends announced its key, the id it names mapped
// to the legacy network's (legacyRef with room, the room's bare JID or ""); otherwise
// the client learns that it did not go (feature-not-implemented) rather than losing it
// in silence. handled is false when m carries neither.
func (u *user) eventToBackend(rs *resource, m *xmpp.Element, legacy, room string) (handled bool) {
	ev, key := clientEvent(m)
	if ev == nil {
		return false
	}
	if ev.ReactToId != nil {
		ev.ReactToId = proto.String(u.legacyRef(room, ev.GetReactToId()))
	}
	if ev.RetractId != nil {
		ev.RetractId = proto.String(u.legacyRef(room, ev.GetRetractId()))
	}
	f := u.r.backends.Features()
	if key == "reactions" && !f.Reactions {
		switch u.r.cfg.ReactionFallback {
		case "drop":
			return true
		case "text":
			if len(ev.Reaction) == 0 {
				return true // removing reactions says nothing worth a line
			}
			line := &pb.ConversationMessage{UserName: proto.String(u.key), BuddyName: proto.String(legacy),
				Message: proto.String("reacted " + strings.Join(ev.Reaction, " "))}
			if err := u.toBackend(pb.WrapperMessage_TYPE_CONV_MESSAGE, line); err != nil {
				u.bounceNotSent(rs, m, err)
				return true
			}
			u.sentCarbons(rs, m)
			return true
		}
	}
	if (key == "reactions" && !f.Reactions) || (key == "retractions" && !f.Retractions) {
		u.send(rs, xmpp.ErrorReply(m, xmpp.ErrTypeCancel, xmpp.StanzaFeatureNotImplemented,
			"the legacy network's backend does not carry "+key))
		return true
	}
	ev.UserName, ev.BuddyName = proto.String(u.key), proto.String(legacy)
	if err := u.toBackend(pb.WrapperMessage_TYPE_CONV_EVENT, ev); err != nil {
		u.bounceNotSent(rs, m, err)
		return true
	}
	u.sentCarbons(rs, m)
	return true
}

// bare is the JID text without its resource.
func bare(j string) string {
	b, _, _ := strings.Cut(j, "/")
	return strings.ToLower(b)
}

// extensionsToClient adds the backend's correction and reply fields of m to msg, the
// message from the contact: XEP-0308 <replace/>, XEP-0461 <reply/> with the XEP-0428
// fallback range of the quote the body starts with.
func (u *user) extensionsToClient(msg *xmpp.Element, m *pb.ConversationMessage) {
	if m.GetId() != "" {
		u.markable(msg)
	}
	appendExtensions(msg, m, m.GetReplyToId(), func(s string) string {
		if s == "" {
			return u.jid.String() // the user's own message
		}
		return u.buddyFrom(s)
	})
}

// appendExtensions adds m's correction and its reply to replyID (the id the client
// knows the message by) to msg; senderJID maps the reply's legacy sender to its JID.
func appendExtensions(msg *xmpp.Element, m *pb.ConversationMessage, replyID string, senderJID func(string) string) {
	if id := m.GetReplaceId(); id != "" {
		msg.Append(xmpp.New(nsCorrect, "replace", "id", id))
	}
	if id := replyID; id != "" {
		r := xmpp.New(nsReply, "reply", "id", id)
		if m.ReplyToSender != nil {
			r.SetAttr("to", senderJID(m.GetReplyToSender()))
		}
		msg.Append(r)
		if end := m.GetReplyFallbackEnd(); end > 0 && int(end) <= utf8.RuneCountInString(m.GetMessage()) {
			msg.Append(xmpp.New(nsFallback, "fallback", "for", nsReply).Append(
				xmpp.New(nsFallback, "body", "start", "0", "end", strconv.Itoa(int(end)))))
		}
	}
}

// convEvent delivers a backend's CONV_EVENT from a contact: its reactions (XEP-0444, the
// full set), the retraction of its message (XEP-0424, in the current namespace and in
// the older XEP-0422 form, with the fallback body the XEP asks for), or its displayed
// marker (XEP-0333).
func (u *user) convEvent(m *pb.ConversationMessage) {
	msg := u.newMessage(m.GetBuddyName(), "chat")
	if m.GetId() != "" {
		msg.SetAttr("id", m.GetId())
	}
	if !appendEvent(msg, m, func(id string) string { return id }) {
		u.log.Debug().Str("buddy", m.GetBuddyName()).Msg("CONV_EVENT without a reaction, retraction or marker dropped")
		return
	}
	u.deliverMessage(msg, jidmap.Key(m.GetBuddyName()))
}

// appendEvent adds the reactions, retraction or displayed marker of the CONV_EVENT m to
// msg, naming the message by ref of its legacy id; false when m carries none of them.
func appendEvent(msg *xmpp.Element, m *pb.ConversationMessage, ref func(string) string) bool {
	switch {
	case m.GetReactToId() != "":
		r := xmpp.New(nsReactions, "reactions", "id", ref(m.GetReactToId()))
		for i, x := range m.GetReaction() {
			if i == maxReactions {
				break
			}
			r.Append(xmpp.New(nsReactions, "reaction").AppendText(x))
		}
		msg.Append(r, xmpp.New(xmpp.NSHints, "store"))
	case m.GetRetractId() != "":
		id := ref(m.GetRetractId())
		msg.Append(xmpp.New(nsRetract, "retract", "id", id),
			xmpp.New(nsFasten, "apply-to", "id", id).Append(xmpp.New(nsRetract0, "retract")),
			xmpp.New(nsFallback, "fallback", "for", nsRetract),
			xmpp.New(xmpp.NSClient, "body").AppendText("This person attempted to retract a previous message, but it's unsupported by your client."),
			xmpp.New(xmpp.NSHints, "store"))
	case m.GetDisplayedId() != "":
		msg.Append(xmpp.New(xmpp.NSMarkers, "displayed", "id", ref(m.GetDisplayedId())))
	default:
		return false
	}
	return true
}

// markable asks the client for XEP-0333 markers on msg, a message with a body, when the
// backends read them (features.markers): clients send displayed only for such messages.
func (u *user) markable(msg *xmpp.Element) {
	if u.r.backends.Features().Markers && msg.Child(xmpp.NSClient, "body") != nil {
		msg.Append(xmpp.New(xmpp.NSMarkers, "markable"))
	}
}
