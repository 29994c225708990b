package router

import (
	"slices"
	"time"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/jidmap"
	"github.com/gospectrum/spectrum2/router/muc"
)

// handleBackend dispatches one frame about this user (spec 1.3), on the actor.
func (u *user) handleBackend(t pb.WrapperMessage_Type, m any) {
	if u.removed() {
		return
	}
	switch v := m.(type) {
	case *pb.Connected:
		u.onConnected()
	case *pb.Disconnected:
		u.onDisconnected(v.GetError(), v.GetMessage())
	case *pb.Buddy:
		u.buddyFrame(t, v)
	case *pb.Buddies:
		for _, b := range v.GetBuddy() {
			u.buddyChanged(b)
		}
	case *pb.ConversationMessage:
		u.conversationFrame(t, v)
	case *pb.VCard:
		u.vcardFromBackend(v)
	case *pb.Participant:
		u.muc().Participant(v)
	case *pb.Room:
		if t == pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED {
			u.muc().NicknameChanged(v)
		}
	case *pb.RoomList:
		u.muc().SetList(v) // spec 3.13: the user's room list
	case *pb.File:
		u.fileFrame(t, v) // subdomain.go
	case *pb.FileTransferData:
		u.fileData(v)
	default:
		u.log.Debug().Stringer("type", t).Msg("frame ignored")
	}
}

func (u *user) buddyFrame(t pb.WrapperMessage_Type, b *pb.Buddy) {
	switch t {
	case pb.WrapperMessage_TYPE_BUDDY_CHANGED:
		u.buddyChanged(b)
	case pb.WrapperMessage_TYPE_BUDDY_REMOVED:
		u.buddyRemoved(b)
	case pb.WrapperMessage_TYPE_AUTH_REQUEST:
		u.authRequest(b)
	case pb.WrapperMessage_TYPE_BUDDY_TYPING:
		u.chatState(b.GetBuddyName(), "composing")
	case pb.WrapperMessage_TYPE_BUDDY_TYPED:
		u.chatState(b.GetBuddyName(), "paused")
	case pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING:
		u.chatState(b.GetBuddyName(), "active")
	}
}

func (u *user) conversationFrame(t pb.WrapperMessage_Type, m *pb.ConversationMessage) {
	if u.muc().Conversation(t, m) {
		return
	}
	if isRoomName(m.GetBuddyName()) || m.GetNickname() != "" && u.roster.get(m.GetBuddyName()) == nil {
		u.log.Debug().Stringer("type", t).Msg("message for a room the user is not in dropped")
		return
	}
	switch t {
	case pb.WrapperMessage_TYPE_CONV_MESSAGE:
		u.convMessage(m)
	case pb.WrapperMessage_TYPE_ATTENTION:
		msg := u.newMessage(m.GetBuddyName(), "chat")
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetMessage()))
		u.deliverMessage(msg.Append(xmpp.New(xmpp.NSAttention, "attention")), jidmap.Key(m.GetBuddyName()))
	case pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK:
		u.receiptAck(m)
	case pb.WrapperMessage_TYPE_CONV_EVENT:
		u.convEvent(m) // msgext.go
	}
}

// isRoomName reports whether a legacy name is a room (spec 3.6: '#').
func isRoomName(name string) bool { return len(name) > 0 && name[0] == '#' }

// buddyFrom is the from of stanzas from a legacy name (spec 3.10): the roster JID, else
// the escaped name, with resource bot.
func (u *user) buddyFrom(name string) string {
	if b := u.roster.get(name); b != nil {
		return u.buddyFull(b)
	}
	return jidmap.LegacyNode(name, u.r.escaping()) + "@" + u.r.cfg.Domain + "/" + buddyResource
}

// newMessage starts a message from a legacy name; to is filled in on delivery.
func (u *user) newMessage(name, typ string) *xmpp.Element {
	if _, ok := u.convs[jidmap.Key(name)]; !ok && !u.openConv(name, "") {
		// Past Limits.Conversations the message is still delivered, to the bare JID; only
		// the conversation is not remembered (chat states from name need the roster).
		u.log.Debug().Str("buddy", name).Msg("conversation not recorded: too many open")
	}
	return xmpp.New(xmpp.NSClient, "message", "from", u.buddyFrom(name), "type", typ)
}

// convMessage handles CONV_MESSAGE (spec 3.10).
func (u *user) convMessage(m *pb.ConversationMessage) {
	typ := "chat"
	if m.GetHeadline() {
		typ = "headline"
	}
	msg := u.newMessage(m.GetBuddyName(), typ)
	msg.SetAttr("id", m.GetId()) // ids kept end to end (Spectrum 2 sets none)
	if room := m.GetInviteRoom(); room != "" {
		u.deliverInvite(msg, m)
		return
	}
	switch {
	case m.GetMessage() != "":
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetMessage()))
	case len(m.GetAttachment()) > 0:
		// An attachment alone: the body is its URL, which clients (Conversations, Dino)
		// show inline when it is the OOB URL, and others show as a link.
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(m.GetAttachment()[0].GetUrl()))
	}
	var html *xmpp.Element
	if u.r.cfg.EnableXHTML && m.GetXhtml() != "" {
		html = parseXHTML(m.GetXhtml())
		if html != nil {
			msg.Append(xmpp.New(xmpp.NSXHTMLIM, "html").Append(html))
		}
	}
	for _, a := range m.GetAttachment() {
		msg.Append(oobX(a.GetUrl(), a.GetDescription())) // quirk 14 fixed: desc kept
	}
	u.extensionsToClient(msg, m) // msgext.go
	if d := delay(m.GetTimestamp()); d != nil {
		msg.Append(d)
	}
	// Quirk 22 fixed: no <active/> is added; the backend's chat-state frames carry states.
	if m.GetCarbon() {
		u.carbonFromBackend(msg)
		return
	}
	for _, out := range u.r.wrapMedia(msg, html) {
		u.deliverMessage(out, jidmap.Key(m.GetBuddyName()))
	}
}

// deliverInvite sends a backend's invitation (CONV_MESSAGE with our extension field
// inviteRoom) as a XEP-0249 direct invitation from the buddy: the room's JID as the
// router names it for a join (muc.Node), the message as the reason and the body.
func (u *user) deliverInvite(msg *xmpp.Element, m *pb.ConversationMessage) {
	msg.SetAttr("type", "normal")
	room := muc.Node(m.GetInviteRoom(), false) + "@" + u.r.cfg.Domain
	x := xmpp.New(xmpp.NSConference, "x", "jid", room)
	if reason := m.GetMessage(); reason != "" {
		x.SetAttr("reason", reason)
		msg.Append(xmpp.New(xmpp.NSClient, "body").AppendText(reason))
	}
	u.deliverMessage(msg.Append(x), jidmap.Key(m.GetBuddyName()))
}

// carbonFromBackend: a message the user sent from another legacy client becomes a <sent/>
// carbon from the user to the buddy (spec 3.10), for the resources that enabled carbons.
func (u *user) carbonFromBackend(msg *xmpp.Element) {
	buddy := msg.From()
	msg.SetAttr("from", u.key+"/"+buddyResource)
	msg.SetAttr("to", buddy)
	msg.Append(xmpp.New(xmpp.NSHints, "no-copy"))
	for _, rs := range u.resources {
		if rs.carbons {
			u.send(rs, u.carbon("sent", msg, rs.key))
		}
	}
}

// delay converts the backend's timestamp (YYYYMMDDTHHMMSS UTC, spec 3.10; RFC 3339
// accepted too) to <delay/> (XEP-0203).
func delay(ts string) *xmpp.Element {
	if ts == "" {
		return nil
	}
	t, err := time.Parse("20060102T150405", ts)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, ts); err != nil {
			return nil
		}
	}
	return xmpp.New(xmpp.NSDelay, "delay", "stamp", t.UTC().Format("2006-01-02T15:04:05Z"))
}

// chatState handles the typing frames: a message with the state alone, only in an
// existing conversation or for a roster buddy (spec 3.10).
func (u *user) chatState(name, state string) {
	if _, ok := u.convs[jidmap.Key(name)]; !ok && u.roster.get(name) == nil {
		return
	}
	msg := u.newMessage(name, "chat").Append(xmpp.New(xmpp.NSChatStates, state))
	u.deliverMessage(msg, jidmap.Key(name))
}

// receiptAck handles CONV_MESSAGE_ACK (spec 3.10): <received/> only for ids whose
// message asked for a receipt (XEP-0184 section 5.4 forbids unrequested receipts).
func (u *user) receiptAck(m *pb.ConversationMessage) {
	id := m.GetId()
	if id == "" || !u.receipts.take(id) {
		return
	}
	msg := u.newMessage(m.GetBuddyName(), "chat")
	msg.Append(xmpp.New(xmpp.NSReceipts, "received", "id", id))
	u.deliverMessage(msg, jidmap.Key(m.GetBuddyName()))
}

// deliverMessage sends a message for the user (RFC 6121 8.5): to the conversation's last
// resource if it is still there (with <received/> carbons to the others), else to the
// highest-priority available resources, else to every bound resource. Resources whose
// closing session refuses it are passed over; a message with a body that none takes
// waits for the next login (closing.go). The features' Inbound hooks see it first.
func (u *user) deliverMessage(msg *xmpp.Element, conv string) {
	if !u.inboundHooks(msg, feature.Legacy) {
		return
	}
	_ = u.routeMessage(msg, conv, feature.Legacy) // a legacy sender is told nothing: logged
}

// routeMessage is deliverMessage after the hooks. Its error is a feature's refusal to
// keep a message no resource took (feature.NoResource), for a local sender.
func (u *user) routeMessage(msg *xmpp.Element, conv string, src feature.Source) error {
	var refused []*resource
	if target := u.convs[conv]; conv != "" && target != "" {
		if rs := u.resources[target]; rs != nil {
			msg.SetAttr("to", rs.key)
			if u.sendWithCarbons(rs, msg) {
				return nil
			}
			refused = append(refused, rs)
		}
	}
	if !u.deliverToTop(msg, refused) {
		return u.keepUndeliveredFrom(msg, src)
	}
	return nil
}

// topResources are the available resources with the highest non-negative priority, or
// every bound resource when none is available.
func (u *user) topResources() []*resource { return u.topResourcesExcept(nil) }

// topResourcesExcept is topResources without the resources in skip.
func (u *user) topResourcesExcept(skip []*resource) []*resource {
	var top, avail []*resource
	for _, rs := range u.availableResources() {
		if !slices.Contains(skip, rs) {
			avail = append(avail, rs)
		}
	}
	for _, rs := range avail {
		switch {
		case rs.priority < 0:
		case len(top) == 0 || rs.priority > top[0].priority:
			top = append(top[:0], rs)
		case rs.priority == top[0].priority:
			top = append(top, rs)
		}
	}
	if len(top) > 0 || len(avail) > 0 {
		return top
	}
	for _, rs := range u.resources {
		if !slices.Contains(skip, rs) {
			top = append(top, rs)
		}
	}
	return top
}
