package xmpp

import (
	"slices"
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	stanza "github.com/gospectrum/spectrum2/internal/xmpp"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const testRoom = "group@" + muc

// joinDirect makes a peer join testRoom as nick and waits for its self-presence (110).
func joinDirect(pr *peer, room, nick string) {
	pr.t.Helper()
	pr.send(el("presence", "to", room+"/"+nick).Append(stanza.New(nsMUC, "x")))
	pr.expect(nick+" joined", func(e *stanza.Element) bool {
		return e.Local == "presence" && e.From() == room+"/"+nick && slices.Contains(statusCodes(e.Child(nsMUCUser, "x")), "110")
	})
}

// joinGateway sends JOIN_ROOM and returns the participants up to the user's own (ME).
func joinGateway(t *testing.T, d *backendtest.Daemon, room, nick string) map[string]*pb.Participant {
	t.Helper()
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(room), Nickname: ptr(nick)})
	got := map[string]*pb.Participant{}
	for {
		p := waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool { return p.GetRoom() == room })
		got[p.GetNickname()] = p
		if p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) != 0 || p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT) != 0 {
			return got
		}
	}
}

func isRoomMessage(body string) func(*pb.ConversationMessage) bool {
	return func(m *pb.ConversationMessage) bool { return m.GetBuddyName() == testRoom && m.GetMessage() == body }
}

// TestMUC follows spec 5.3's jabber scenarios: muc_topic, join/leave, echo, PM, change
// topic; plus a nickname conflict.
func TestMUC(t *testing.T) {
	p := startProsody(t, "alice", pass, "bob", "bob-secret", "carol", "carol-secret")
	d := startBackend(t, p)
	login(t, d)
	resp := connectPeer(t, p, "bob", "bob-secret", "xr")
	joinDirect(resp, testRoom, "resp")

	parts := joinGateway(t, d, testRoom, "client")
	if r := parts["resp"]; r == nil || r.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR) == 0 ||
		r.GetStatus() != pb.StatusType_STATUS_ONLINE {
		t.Errorf("participants %v", parts)
	}
	resp.expect("client joined", func(e *stanza.Element) bool { return e.Local == "presence" && e.From() == testRoom+"/client" })

	t.Run("muc_topic", func(t *testing.T) {
		resp.send(el("message", "to", testRoom, "type", "groupchat").Append(text(stanza.NSClient, "subject", "New subject")))
		s := waitFor(t, d, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, func(m *pb.ConversationMessage) bool {
			return m.GetMessage() == "New subject"
		})
		if s.GetBuddyName() != testRoom || s.GetNickname() != "resp" {
			t.Errorf("subject %v", s)
		}
	})
	t.Run("muc_join_leave", func(t *testing.T) {
		carol := connectPeer(t, p, "carol", "carol-secret", "web")
		joinDirect(carol, testRoom, "carol")
		waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(m *pb.Participant) bool {
			return m.GetNickname() == "carol" && m.GetStatus() == pb.StatusType_STATUS_ONLINE
		})
		carol.send(el("presence", "to", testRoom+"/carol", "type", "unavailable"))
		waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(m *pb.Participant) bool {
			return m.GetNickname() == "carol" && m.GetStatus() == pb.StatusType_STATUS_NONE
		})
	})
	t.Run("muc_echo", func(t *testing.T) {
		d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom), Message: ptr("hi testRoom")})
		resp.expect("groupchat", func(e *stanza.Element) bool {
			return e.Type() == "groupchat" && e.From() == testRoom+"/client" && e.ChildText(stanza.NSClient, "body") == "hi testRoom"
		})
		if m := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, isRoomMessage("hi testRoom")); m.GetNickname() != "client" {
			t.Errorf("echo %v", m)
		}
		resp.send(el("message", "to", testRoom, "type", "groupchat").Append(text(stanza.NSClient, "body", "hello client")))
		if m := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, isRoomMessage("hello client")); m.GetNickname() != "resp" || m.GetPm() {
			t.Errorf("reply %v", m)
		}
	})
	t.Run("muc_pm", func(t *testing.T) {
		d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom + "/resp"), Message: ptr("psst")})
		resp.expect("PM", func(e *stanza.Element) bool {
			return e.Type() == "chat" && e.From() == testRoom+"/client" && e.ChildText(stanza.NSClient, "body") == "psst"
		})
		resp.send(el("message", "to", testRoom+"/client", "type", "chat").Append(text(stanza.NSClient, "body", "psst back")))
		if m := waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, isRoomMessage("psst back")); m.GetNickname() != "resp" || !m.GetPm() {
			t.Errorf("PM %v", m)
		}
	})
	t.Run("muc_change_topic", func(t *testing.T) {
		d.Send(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(testRoom), Message: ptr("Gateway topic")})
		resp.expect("subject", func(e *stanza.Element) bool { return e.ChildText(stanza.NSClient, "subject") == "Gateway topic" })
		waitFor(t, d, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, func(m *pb.ConversationMessage) bool {
			return m.GetMessage() == "Gateway topic" && m.GetNickname() == "client"
		})
	})
	t.Run("nick_conflict", func(t *testing.T) {
		joinDirect(resp, "other@"+muc, "taken")
		got := joinGateway(t, d, "other@"+muc, "taken")
		if m := got["taken"]; m == nil || m.GetFlag() != int32(pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT) {
			t.Errorf("conflict %v", got)
		}
	})
	t.Run("rejoin_at_once", func(t *testing.T) {
		// LEAVE_ROOM and JOIN_ROOM back to back: the room's answer to the leave comes
		// after the new join was sent, and must not end it.
		d.Send(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(testRoom)})
		got := joinGateway(t, d, testRoom, "client")
		if me := got["client"]; me == nil || me.GetStatus() != pb.StatusType_STATUS_ONLINE {
			t.Fatalf("own participant after the re-join: %v", me)
		}
		resp.send(el("message", "to", testRoom, "type", "groupchat").Append(text(stanza.NSClient, "body", "after rejoin")))
		waitFor(t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, isRoomMessage("after rejoin"))
	})
	t.Run("leave", func(t *testing.T) {
		d.Send(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(testRoom)})
		resp.expect("client left", func(e *stanza.Element) bool { return e.From() == testRoom+"/client" && e.Type() == "unavailable" })
	})
}
