package demo_test

import (
	"testing"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	"github.com/gospectrum/spectrum2/backend/demo"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const (
	flagModerator = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR)
	flagConflict  = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_CONFLICT)
	flagMe        = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME)
	flagKicked    = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED)
)

func join(d *backendtest.Daemon, room, nick string) {
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(room), Nickname: ptr(nick), Password: ptr("")})
}

func say(d *backendtest.Daemon, to, body string) {
	d.Send(pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(to),
		Message: ptr(body), Xhtml: ptr("")})
}

func participant(t *testing.T, d *backendtest.Daemon) *pb.Participant {
	t.Helper()
	p := d.Expect(pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED).(*pb.Participant)
	if p.GetUserName() != user || p.GetRoom() != demo.Lobby {
		t.Fatalf("participant %v", p)
	}
	return p
}

func message(t *testing.T, d *backendtest.Daemon) *pb.ConversationMessage {
	t.Helper()
	return d.Expect(pb.WrapperMessage_TYPE_CONV_MESSAGE).(*pb.ConversationMessage)
}

// joinLobby joins #lobby as nick and checks the bots, the self presence and the subject.
func joinLobby(t *testing.T, d *backendtest.Daemon, nick string) {
	t.Helper()
	join(d, demo.Lobby, nick)
	for _, want := range []struct {
		nick string
		flag int32
	}{{"Ada", flagModerator}, {"Babbage", 0}, {"Turing", 0}, {nick, flagMe}} {
		p := participant(t, d)
		if p.GetNickname() != want.nick || p.GetFlag() != want.flag || p.GetStatus() != pb.StatusType_STATUS_ONLINE {
			t.Errorf("participant %v, want %s flag %d", p, want.nick, want.flag)
		}
	}
	s := d.Expect(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED).(*pb.ConversationMessage)
	if s.GetBuddyName() != demo.Lobby || s.GetMessage() != demo.LobbySubject || s.GetNickname() == "" {
		t.Errorf("subject %v", s)
	}
}

func TestLobby(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	joinLobby(t, d, "al")

	say(d, demo.Lobby, "hello all")
	if m := message(t, d); m.GetBuddyName() != demo.Lobby || m.GetNickname() != "al" || m.GetMessage() != "hello all" {
		t.Errorf("room echo %v", m)
	}
	if m := message(t, d); m.GetNickname() != "Babbage" || m.GetMessage() != "al: you said hello all" {
		t.Errorf("bot answer %v", m)
	}

	say(d, demo.Lobby+"/Ada", "psst")
	if m := message(t, d); m.GetBuddyName() != demo.Lobby || m.GetNickname() != "Ada" || !m.GetPm() ||
		m.GetMessage() != "you said privately: psst" {
		t.Errorf("private answer %v", m)
	}

	say(d, demo.Lobby, "/topic New topic")
	if s := d.Expect(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED).(*pb.ConversationMessage); s.GetMessage() != "New topic" || s.GetNickname() != "al" {
		t.Errorf("topic %v", s)
	}
	d.Send(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr(demo.Lobby), Message: ptr("Via subject")})
	if s := d.Expect(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED).(*pb.ConversationMessage); s.GetMessage() != "Via subject" {
		t.Errorf("subject %v", s)
	}

	say(d, demo.Lobby, "/rename Hopper")
	if p := participant(t, d); p.GetNickname() != "Babbage" || p.GetNewname() != "Hopper" {
		t.Errorf("rename %v", p)
	}
	say(d, demo.Lobby, "/leave")
	if p := participant(t, d); p.GetNickname() != "Hopper" || p.GetStatus() != pb.StatusType_STATUS_NONE {
		t.Errorf("leave %v", p)
	}
	say(d, demo.Lobby, "/kick")
	if p := participant(t, d); p.GetNickname() != "al" || p.GetFlag() != flagKicked || p.GetStatus() != pb.StatusType_STATUS_NONE {
		t.Errorf("kick %v", p)
	}
	say(d, demo.Lobby, "anyone?") // no longer in the room: nothing comes back
	joinLobby(t, d, "al")         // the room is fresh again
}

func TestLobbyNicknameConflict(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	join(d, demo.Lobby, "ada")
	p := participant(t, d)
	if p.GetNickname() != "ada" || p.GetFlag() != flagConflict {
		t.Errorf("conflict %v", p)
	}
	say(d, demo.Lobby, "hello") // not joined
	joinLobby(t, d, "alice")
}

func TestOtherRoomIsEmptyAndLeaveWorks(t *testing.T) {
	d := start(t, "contacts", "0")
	login(t, d, "alice")
	join(d, "#empty", "al")
	p := d.Expect(pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED).(*pb.Participant)
	if p.GetRoom() != "#empty" || p.GetNickname() != "al" || p.GetFlag() != flagMe {
		t.Errorf("self %v", p)
	}
	say(d, "#empty", "echo?")
	if m := message(t, d); m.GetNickname() != "al" || m.GetMessage() != "echo?" {
		t.Errorf("room echo %v", m)
	}
	d.Send(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: ptr(user), Room: ptr("#empty"), Nickname: ptr(""), Password: ptr("")})
	say(d, "#empty", "gone")
	d.Handshake() // nothing came back for the room after leaving
}
