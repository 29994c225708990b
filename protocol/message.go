package protocol

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// ErrUnknownType is wrapped by Decode for a type with no payload mapping. The frame can be
// reported and skipped; it never stalls the frames behind it (spec 1.4 quirk fixed).
var ErrUnknownType = errors.New("protocol: unknown message type")

// NewPayload returns an empty message of the payload type for t, or nil for types without a
// protobuf payload (PING, PONG, EXIT, RAW_XML) or unknown ones.
func NewPayload(t pb.WrapperMessage_Type) proto.Message {
	switch t {
	case pb.WrapperMessage_TYPE_CONNECTED:
		return new(pb.Connected)
	case pb.WrapperMessage_TYPE_DISCONNECTED:
		return new(pb.Disconnected)
	case pb.WrapperMessage_TYPE_LOGIN:
		return new(pb.Login)
	case pb.WrapperMessage_TYPE_LOGOUT:
		return new(pb.Logout)
	case pb.WrapperMessage_TYPE_BUDDY_CHANGED, pb.WrapperMessage_TYPE_BUDDY_REMOVED,
		pb.WrapperMessage_TYPE_BUDDY_TYPING, pb.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING,
		pb.WrapperMessage_TYPE_BUDDY_TYPED, pb.WrapperMessage_TYPE_AUTH_REQUEST:
		return new(pb.Buddy)
	case pb.WrapperMessage_TYPE_CONV_MESSAGE, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED,
		pb.WrapperMessage_TYPE_ATTENTION, pb.WrapperMessage_TYPE_CONV_MESSAGE_ACK,
		pb.WrapperMessage_TYPE_CONV_EVENT:
		return new(pb.ConversationMessage)
	case pb.WrapperMessage_TYPE_JOIN_ROOM, pb.WrapperMessage_TYPE_LEAVE_ROOM,
		pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED:
		return new(pb.Room)
	case pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED:
		return new(pb.Participant)
	case pb.WrapperMessage_TYPE_VCARD:
		return new(pb.VCard)
	case pb.WrapperMessage_TYPE_STATUS_CHANGED:
		return new(pb.Status)
	case pb.WrapperMessage_TYPE_STATS:
		return new(pb.Stats)
	case pb.WrapperMessage_TYPE_BACKEND_CONFIG, pb.WrapperMessage_TYPE_QUERY:
		return new(pb.BackendConfig)
	case pb.WrapperMessage_TYPE_ROOM_LIST:
		return new(pb.RoomList)
	case pb.WrapperMessage_TYPE_BUDDIES:
		return new(pb.Buddies)
	case pb.WrapperMessage_TYPE_API_VERSION:
		return new(pb.APIVersion)
	case pb.WrapperMessage_TYPE_FT_START, pb.WrapperMessage_TYPE_FT_FINISH,
		pb.WrapperMessage_TYPE_FT_CONTINUE, pb.WrapperMessage_TYPE_FT_PAUSE:
		return new(pb.File) // our extension (pbnetwork.proto, "File transfers")
	case pb.WrapperMessage_TYPE_FT_DATA:
		return new(pb.FileTransferData)
	}
	return nil
}

// hasNoPayload reports the types Spectrum 2 sends without a payload field (spec 1.2).
func hasNoPayload(t pb.WrapperMessage_Type) bool {
	return t == pb.WrapperMessage_TYPE_PING || t == pb.WrapperMessage_TYPE_PONG ||
		t == pb.WrapperMessage_TYPE_EXIT
}

var unmarshal = proto.UnmarshalOptions{AllowPartial: true, DiscardUnknown: false}

// Decode returns the typed payload of f: a pointer to a pbnetwork message, or nil for
// PING, PONG and EXIT, and for RAW_XML, whose payload is XML text in f.Payload (spec 1.3).
func Decode(f Frame) (proto.Message, error) {
	if hasNoPayload(f.Type) {
		return nil, nil
	}
	if f.Type == pb.WrapperMessage_TYPE_RAW_XML {
		return nil, nil
	}
	m := NewPayload(f.Type)
	if m == nil {
		return nil, fmt.Errorf("%w: %d", ErrUnknownType, int32(f.Type))
	}
	if err := unmarshal.Unmarshal(f.Payload, m); err != nil {
		return nil, fmt.Errorf("protocol: decode %v: %w", f.Type, err)
	}
	return m, nil
}

// marshal keeps field order deterministic, as the C++ side writes it.
var marshal = proto.MarshalOptions{AllowPartial: true, Deterministic: true}

// Encode builds the frame for a message of type t. m is nil for PING, PONG and EXIT and the
// matching pbnetwork message otherwise. RAW_XML frames come from EncodeRawXML.
func Encode(t pb.WrapperMessage_Type, m proto.Message) (Frame, error) {
	f := Frame{Type: t}
	if m == nil {
		if !hasNoPayload(t) {
			return Frame{}, fmt.Errorf("protocol: %v needs a payload", t)
		}
		return f, nil
	}
	want := NewPayload(t)
	if want == nil || want.ProtoReflect().Descriptor() != m.ProtoReflect().Descriptor() {
		return Frame{}, fmt.Errorf("protocol: %T is not the payload of %v", m, t)
	}
	b, err := marshal.Marshal(m)
	if err != nil {
		return Frame{}, fmt.Errorf("protocol: encode %v: %w", t, err)
	}
	f.Payload, f.HasPayload = b, true
	return f, nil
}

// EncodeRawXML builds a RAW_XML frame carrying XML text (spec 3.21).
func EncodeRawXML(xml []byte) Frame {
	return Frame{Type: pb.WrapperMessage_TYPE_RAW_XML, Payload: xml, HasPayload: true}
}

// MustEncode is Encode for messages built by our own code, where a mismatch is a bug.
func MustEncode(t pb.WrapperMessage_Type, m proto.Message) Frame {
	f, err := Encode(t, m)
	if err != nil {
		panic(err)
	}
	return f
}

// User returns the user a payload is about: the field Spectrum 2 uses to find the user
// (user, userName), or "" when the message names none (spec 1.3).
func User(m proto.Message) string {
	switch v := m.(type) {
	case *pb.Connected:
		return v.GetUser()
	case *pb.Disconnected:
		return v.GetUser()
	case *pb.Login:
		return v.GetUser()
	case *pb.Logout:
		return v.GetUser()
	case *pb.Buddy:
		return v.GetUserName()
	case *pb.ConversationMessage:
		return v.GetUserName()
	case *pb.Room:
		return v.GetUserName()
	case *pb.Participant:
		return v.GetUserName()
	case *pb.VCard:
		return v.GetUserName()
	case *pb.Status:
		return v.GetUserName()
	case *pb.RoomList:
		return v.GetUser()
	case *pb.File:
		return v.GetUserName()
	case *pb.FileTransferData:
		return v.GetUserName()
	}
	return ""
}
