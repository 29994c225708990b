package irc_test

import (
	"strings"
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

const moderator = int32(pb.ParticipantFlag_PARTICIPANT_FLAG_MODERATOR)

// TestMUCJoinLeave is spec 5.3 muc_join_leave, plus op -> moderator and quits.
func TestMUCJoinLeave(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	ps := join(t, d, "#test", "client")
	if ps["resp"].GetFlag()&moderator == 0 || ps["resp"].GetStatus() != pb.StatusType_STATUS_ONLINE {
		t.Errorf("resp (channel op) = %v, want an online moderator", ps["resp"])
	}
	if ps["client"] == nil {
		t.Fatalf("no own participant in %v", ps)
	}
	resp.Expect(":client!")
	d.Send(pb.WrapperMessage_TYPE_LEAVE_ROOM, &pb.Room{UserName: ptr(user), Room: ptr("#test"), Nickname: ptr("client")})
	resp.Expect("PART #test")

	join(t, d, "#test", "client")
	other := connectPeer(t, s, "other")
	other.Send("JOIN #test")
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "other" && p.GetStatus() == pb.StatusType_STATUS_ONLINE
	})
	resp.Send("MODE #test +o other")
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "other" && p.GetFlag()&moderator != 0
	})
	other.Send("NICK other2")
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "other" && p.GetNewname() == "other2"
	})
	other.Send("QUIT :bye now")
	p := waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "other2"
	})
	if p.GetStatus() != pb.StatusType_STATUS_NONE || !strings.Contains(p.GetStatusMessage(), "bye now") {
		t.Errorf("quit = %v", p)
	}
	resp.Send("KICK #test client :out")
	p = waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "client"
	})
	if p.GetStatus() != pb.StatusType_STATUS_NONE || p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_KICKED) == 0 {
		t.Errorf("kick = %v", p)
	}
}

// TestMUCEcho is spec 5.3 muc_echo, with CTCP ACTION and formatting both ways.
func TestMUCEcho(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	join(t, d, "#test", "client")
	send(d, "#test", "abc")
	if m := message(t, d, "abc"); m.GetNickname() != "client" || m.GetBuddyName() != "#test" {
		t.Errorf("echo = %v", m)
	}
	resp.Expect("PRIVMSG #test :abc")
	resp.Send("PRIVMSG #test :echo abc")
	if m := message(t, d, "echo abc"); m.GetNickname() != "resp" || m.GetMessage() != "echo abc" || m.GetPm() {
		t.Errorf("room message = %v", m)
	}
	send(d, "#test", "/me waves")
	resp.Expect("PRIVMSG #test :\x01ACTION waves\x01")
	resp.Send("PRIVMSG #test :\x01ACTION nods\x01")
	if m := message(t, d, "nods"); m.GetMessage() != "/me nods" {
		t.Errorf("action = %q", m.GetMessage())
	}
	resp.Send("PRIVMSG #test :\x02bold\x02 and \x0304,01red\x03")
	m := message(t, d, "bold")
	if m.GetMessage() != "bold and red" || !strings.Contains(m.GetXhtml(), "bold</span>") {
		t.Errorf("formatted = %q / %q", m.GetMessage(), m.GetXhtml())
	}
	long := strings.Repeat("0123456789", 100)
	send(d, "#test", long+"\nsecond line")
	var got strings.Builder
	for got.Len() < len(long) {
		line := resp.Expect("PRIVMSG #test :")
		got.WriteString(strings.TrimSpace(line[strings.Index(line, " :")+2:]))
	}
	if got.String() != long {
		t.Errorf("long message arrived as %d bytes, want %d unchanged", got.Len(), len(long))
	}
	resp.Expect("PRIVMSG #test :second line")
}

// TestMUCPM is spec 5.3 muc_pm: private messages inside a room, twice.
func TestMUCPM(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	join(t, d, "#test", "client")
	for _, body := range []string{"abc", "def"} {
		send(d, "#test/resp", body)
		resp.Expect("PRIVMSG resp :" + body)
		resp.Send("PRIVMSG client :echo " + body)
		m := message(t, d, "echo "+body)
		if !m.GetPm() || m.GetBuddyName() != "#test" || m.GetNickname() != "resp" || m.GetMessage() != "echo "+body {
			t.Errorf("pm = %v", m)
		}
	}
}

// TestMUCChangeTopic is spec 5.3 muc_change_topic, and the user's own topic change.
func TestMUCChangeTopic(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Send("TOPIC #test :First topic")
	resp.Expect("TOPIC #test")
	login(t, d, "client", "")
	join(t, d, "#test", "client")
	first := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, nil)
	if first.GetMessage() != "First topic" {
		t.Errorf("topic on join = %v", first)
	}
	resp.Send("TOPIC #test :The new subject")
	m := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, nil)
	if m.GetMessage() != "The new subject" || m.GetNickname() != "resp" || m.GetBuddyName() != "#test" {
		t.Errorf("topic = %v", m)
	}
	d.Send(pb.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED, &pb.ConversationMessage{UserName: ptr(user), BuddyName: ptr("#test"), Message: ptr("From XMPP")})
	resp.Expect("TOPIC #test :From XMPP")
	send(d, "#test/client", "/topic typed topic")
	resp.Expect("TOPIC #test :typed topic")
}

// TestMUCAway is spec 5.3 muc_away: away both ways, seen through WHO polling.
func TestMUCAway(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	join(t, d, "#test", "client")
	resp.Send("AWAY :lunch")
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "resp" && p.GetStatus() == pb.StatusType_STATUS_AWAY
	})
	resp.Send("AWAY")
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "resp" && p.GetStatus() == pb.StatusType_STATUS_ONLINE
	})
	d.Send(pb.WrapperMessage_TYPE_STATUS_CHANGED, &pb.Status{UserName: ptr(user), Status: pb.StatusType_STATUS_AWAY.Enum(), StatusMessage: ptr("brb")})
	for range 50 {
		resp.Send("WHO #test")
		if line := resp.Expect(" 352 "); strings.Contains(line, " client G") {
			return
		}
	}
	t.Fatal("the user never showed as away")
}

// TestMUCJoinNicknameUsed is spec 5.3 muc_join_nickname_used in single-network mode: the
// room nick is the session nick.
func TestMUCJoinNicknameUsed(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "respond")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr("#test"), Nickname: ptr("respond")})
	r := waitFor[*pb.Room](t, d, pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED, nil)
	if r.GetNickname() != "client" || r.GetRoom() != "#test" {
		t.Errorf("ROOM_NICKNAME_CHANGED %v", r)
	}
	waitFor(t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, func(p *pb.Participant) bool {
		return p.GetNickname() == "client" && p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) != 0
	})
	resp.Expect(":client!")
	resp.Send("PRIVMSG #test :disconnect please :)")
	message(t, d, "disconnect please")
	d.Send(pb.WrapperMessage_TYPE_LOGOUT, &pb.Logout{User: ptr(user), LegacyName: ptr("client")})
	resp.Expect(":client!")
	send(d, "#test", "after logout") // ignored: no session
}

// TestMUCWhois is spec 5.3 muc_whois: /whois typed to one's own room nick.
func TestMUCWhois(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #test")
	resp.Expect("366")
	login(t, d, "client", "")
	join(t, d, "#test", "client")
	send(d, "#test/client", "/whois resp")
	if m := message(t, d, "resp is"); m.GetBuddyName() != "whois" {
		t.Errorf("whois answer from %q", m.GetBuddyName())
	}
	send(d, "#test/client", "/whois nonexisting")
	message(t, d, "No such client")
	send(d, "#test/client", "/nick client2")
	r := waitFor[*pb.Room](t, d, pb.WrapperMessage_TYPE_ROOM_NICKNAME_CHANGED, nil)
	if r.GetNickname() != "client2" {
		t.Errorf("after /nick: %v", r)
	}
	resp.Expect("NICK")
}

// TestNickRenamesPerRoom: a NICK is reported once in each joined room the nick is in and
// in no other, so what onNick collects is bounded by the user's rooms on the connection;
// the user's own NICK renames it in every room.
func TestNickRenamesPerRoom(t *testing.T) {
	t.Parallel()
	s, d := single(t)
	resp := connectPeer(t, s, "resp")
	resp.Send("JOIN #a,#b,#c")
	resp.Expect("366 resp #c")
	other := connectPeer(t, s, "other")
	other.Send("JOIN #a,#b")
	other.Expect("366 other #b")
	login(t, d, "client", "")
	for _, room := range []string{"#a", "#b", "#c"} {
		join(t, d, room, "client")
	}
	// renames collects the renames reported until resp's marker message in #c: resp
	// sends it once it has seen the NICK itself, so the marker comes after every rename.
	renames := func(nick, marker string) map[string]int {
		resp.Expect(" NICK ")
		resp.Send("PRIVMSG #c :" + marker)
		got := map[string]int{}
		for {
			f, m := d.Next()
			switch v := m.(type) {
			case *pb.Participant:
				if v.GetNickname() == nick && v.GetNewname() != "" {
					got[v.GetRoom()]++
				}
			case *pb.ConversationMessage:
				if f.Type == pb.WrapperMessage_TYPE_CONV_MESSAGE && v.GetMessage() == marker {
					return got
				}
			}
		}
	}
	other.Send("NICK other2")
	if got := renames("other", "m1"); len(got) != 2 || got["#a"] != 1 || got["#b"] != 1 {
		t.Errorf("other's renames by room: %v, want one in #a and one in #b", got)
	}
	send(d, "#a/client", "/nick client2")
	if got := renames("client", "m2"); len(got) != 3 || got["#a"] != 1 || got["#b"] != 1 || got["#c"] != 1 {
		t.Errorf("own renames by room: %v, want one in each of #a, #b, #c", got)
	}
}
