package backend

import (
	"context"
	"errors"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// session is one connection to the daemon: it turns frames into plugin calls.
type session struct {
	ctx   context.Context
	p     Plugin
	sink  *Sink
	log   zerolog.Logger
	stats stats
}

// handle dispatches one frame. Only write errors and EXIT end the connection; a frame
// that cannot be decoded or is of an unknown type is logged and skipped (spec 1.4).
func (c *session) handle(f protocol.Frame) error {
	switch f.Type {
	case pb.WrapperMessage_TYPE_PING:
		// The daemon sends a PING after a message when none is outstanding (its fence,
		// pluginserver): at a low rate one per message, so the PONG and its STATS go in one
		// write, and the memory figures are read at most once per statsEvery.
		return c.sink.w.WriteFrames(protocol.Frame{Type: pb.WrapperMessage_TYPE_PONG},
			protocol.MustEncode(pb.WrapperMessage_TYPE_STATS, c.stats.message(time.Now())))
	case pb.WrapperMessage_TYPE_EXIT:
		return errExit
	case pb.WrapperMessage_TYPE_RAW_XML:
		if h, ok := c.p.(RawXMLHandler); ok {
			h.RawXML(c.ctx, c.sink, f.Payload)
		} else {
			c.skip(f, "plugin has no raw XML handler")
		}
		return nil
	}
	m, err := protocol.Decode(f)
	if err != nil {
		ev := c.log.Warn()
		if errors.Is(err, protocol.ErrUnknownType) {
			ev = c.log.Debug()
		}
		ev.Err(err).Stringer("type", f.Type).Msg("skipping frame")
		return nil
	}
	return c.dispatch(f, m)
}

func (c *session) skip(f protocol.Frame, why string) {
	c.log.Debug().Stringer("type", f.Type).Msg("skipping frame: " + why)
}

// dispatch hands a decoded request to the plugin, or to the capability interface for it.
func (c *session) dispatch(f protocol.Frame, m proto.Message) error {
	ctx, s := c.ctx, c.sink
	switch v := m.(type) {
	case *pb.Login:
		c.log.Debug().Str("user", v.GetUser()).Str("legacy_name", v.GetLegacyName()).Msg("LOGIN")
		c.p.Login(ctx, s, loginFrom(v))
	case *pb.Logout:
		c.p.Logout(ctx, s, Logout{User: v.GetUser(), LegacyName: v.GetLegacyName()})
	case *pb.ConversationMessage:
		c.conversation(f, v)
	case *pb.Buddy:
		c.buddy(f, v)
	case *pb.Room:
		c.room(f, v)
	case *pb.Status:
		if h, ok := c.p.(StatusSetter); ok {
			h.SetStatus(ctx, s, Status{User: v.GetUserName(), Status: v.GetStatus(), Message: v.GetStatusMessage()})
		} else {
			c.skip(f, "plugin has no status handler")
		}
	case *pb.VCard:
		return c.vcard(v)
	case *pb.Buddies:
		c.buddies(f, v)
	case *pb.File:
		return c.sink.fileAnswer(f.Type, v) // files.go
	default:
		c.skip(f, "not a request a backend handles")
	}
	return nil
}

func (c *session) conversation(f protocol.Frame, v *pb.ConversationMessage) {
	m := messageFrom(v)
	switch f.Type {
	case pb.WrapperMessage_TYPE_CONV_MESSAGE:
		if h, ok := c.p.(Messenger); ok {
			h.Message(c.ctx, c.sink, m)
			return
		}
	case pb.WrapperMessage_TYPE_ATTENTION:
		if h, ok := c.p.(Attender); ok {
			h.Attention(c.ctx, c.sink, m)
			return
		}
	case pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED:
		if h, ok := c.p.(SubjectSetter); ok {
			h.SetSubject(c.ctx, c.sink, m)
			return
		}
	case pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK:
		if h, ok := c.p.(Marker); ok {
			h.Displayed(c.ctx, c.sink, m.User, m.Buddy, m.ID)
			return
		}
	case pb.WrapperMessage_TYPE_CONV_EVENT:
		if h, ok := c.p.(Eventer); ok {
			h.Event(c.ctx, c.sink, eventFrom(v))
			return
		}
	}
	c.skip(f, "plugin does not handle it")
}

func (c *session) buddy(f protocol.Frame, v *pb.Buddy) {
	b := buddyFrom(v)
	switch f.Type {
	case pb.WrapperMessage_TYPE_BUDDY_TYPING, pb.WrapperMessage_TYPE_BUDDY_TYPED,
		pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING:
		if h, ok := c.p.(Typer); ok {
			h.Typing(c.ctx, c.sink, b.User, b.Name, typingState(f.Type))
			return
		}
	case pb.WrapperMessage_TYPE_BUDDY_CHANGED:
		if h, ok := c.p.(RosterEditor); ok {
			h.BuddyChanged(c.ctx, c.sink, b)
			return
		}
	case pb.WrapperMessage_TYPE_BUDDY_REMOVED:
		if h, ok := c.p.(RosterEditor); ok {
			h.BuddyRemoved(c.ctx, c.sink, b)
			return
		}
	}
	c.skip(f, "plugin does not handle it")
}

func typingState(t pb.WrapperMessage_Type) TypingState {
	switch t {
	case pb.WrapperMessage_TYPE_BUDDY_TYPED:
		return Paused
	case pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING:
		return StoppedTyping
	}
	return Typing
}

func (c *session) room(f protocol.Frame, v *pb.Room) {
	h, ok := c.p.(RoomHandler)
	switch {
	case !ok:
		c.skip(f, "plugin has no rooms")
	case f.Type == pb.WrapperMessage_TYPE_JOIN_ROOM:
		h.JoinRoom(c.ctx, c.sink, roomFrom(v))
	case f.Type == pb.WrapperMessage_TYPE_LEAVE_ROOM:
		h.LeaveRoom(c.ctx, c.sink, roomFrom(v))
	default:
		c.skip(f, "not a request a backend handles")
	}
}

// vcard tells an update (photo present) from a request (spec 1.2). A request the plugin
// cannot answer gets an empty vCard, so the client's IQ does not wait 40 s for a timeout.
func (c *session) vcard(v *pb.VCard) error {
	if v.Photo != nil {
		if h, ok := c.p.(VCardUpdater); ok {
			h.UpdateVCard(c.ctx, c.sink, VCardUpdate{User: v.GetUserName(), Nickname: v.GetNickname(), Photo: v.Photo})
		}
		return nil
	}
	r := VCardRequest{User: v.GetUserName(), Buddy: v.GetBuddyName(), ID: v.GetId()}
	if h, ok := c.p.(VCardProvider); ok {
		h.VCard(c.ctx, c.sink, r)
		return nil
	}
	return c.sink.VCard(VCard{User: r.User, Buddy: r.Buddy, ID: r.ID})
}

func (c *session) buddies(f protocol.Frame, v *pb.Buddies) {
	h, ok := c.p.(BuddiesReceiver)
	if !ok {
		c.skip(f, "plugin does not take BUDDIES")
		return
	}
	list := make([]Buddy, 0, len(v.GetBuddy()))
	user := ""
	for _, b := range v.GetBuddy() {
		list = append(list, buddyFrom(b))
		user = b.GetUserName()
	}
	h.Buddies(c.ctx, c.sink, user, list)
}
