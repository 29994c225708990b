package backend_test

import (
	"testing"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestSinkEvents covers the Sink methods the demo network does not use.
func TestSinkEvents(t *testing.T) {
	const u = "u@localhost"
	hash := "abc"
	r := replayer{events: []func(*backend.Sink){
		func(s *backend.Sink) { s.AuthRequest(u, "bob") },
		func(s *backend.Sink) { s.RoomNicknameChanged(u, "#r", "me_") },
		func(s *backend.Sink) { s.RoomList("", []backend.RoomListEntry{{Room: "#a", Name: "A"}}) },
		func(s *backend.Sink) { s.RawXML([]byte("<presence/>")) },
		func(s *backend.Sink) { s.SendFrame(protocol.Frame{Type: pb.WrapperMessage_TYPE_PONG}) },
		func(s *backend.Sink) { s.Buddy(backend.Buddy{User: u, Name: "bob", IconHash: &hash}) },
		func(s *backend.Sink) {
			s.Message(backend.Message{User: u, Buddy: "#r", Nickname: "x", PM: true, ID: "7"})
		},
	}}
	d := backendtest.Start(t, r)
	d.Login(u, "u", "")
	if b := d.Expect(pb.WrapperMessage_TYPE_AUTH_REQUEST).(*pb.Buddy); b.GetBuddyName() != "bob" {
		t.Errorf("auth request %v", b)
	}
	if m := d.Expect(pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED).(*pb.Room); m.GetRoom() != "#r" || m.GetNickname() != "me_" {
		t.Errorf("nickname changed %v", m)
	}
	if l := d.Expect(pb.WrapperMessage_TYPE_ROOM_LIST).(*pb.RoomList); l.User != nil || l.GetName()[0] != "A" {
		t.Errorf("global room list %v", l)
	}
	if f, _ := d.Next(); f.Type != pb.WrapperMessage_TYPE_RAW_XML || string(f.Payload) != "<presence/>" {
		t.Errorf("raw XML %v %q", f.Type, f.Payload)
	}
	d.Expect(pb.WrapperMessage_TYPE_PONG)
	if b := d.Expect(pb.WrapperMessage_TYPE_BUDDY_CHANGED).(*pb.Buddy); b.GetIconHash() != "abc" || b.Blocked != nil {
		t.Errorf("buddy %v: blocked must stay absent", b)
	}
	if m := d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE).(*pb.ConversationMessage); !m.GetPm() || m.GetId() != "7" {
		t.Errorf("message %v", m)
	}
}
