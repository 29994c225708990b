package irc_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend/irc"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// scriptedIRC is the one connection of a scripted IRC server on 127.0.0.1: it plays a
// network that ngircd cannot, one whose channel is larger than the gateway keeps.
type scriptedIRC struct {
	t     *testing.T
	c     net.Conn
	lines chan string // what the client sent
}

// acceptIRC accepts the backend's connection on ln and welcomes it as nick.
func acceptIRC(t *testing.T, ln net.Listener, nick string) *scriptedIRC {
	t.Helper()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedIRC{t: t, c: c, lines: make(chan string, 1024)}
	done := make(chan struct{})
	t.Cleanup(func() { c.Close(); <-done })
	go func() {
		defer close(done)
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			select {
			case s.lines <- strings.TrimRight(line, "\r\n"):
			default: // the test looks for a few lines only
			}
		}
	}()
	s.expect("USER ")
	s.send(":srv 001 " + nick + " :Welcome")
	return s
}

func (s *scriptedIRC) send(lines ...string) {
	s.t.Helper()
	_ = s.c.SetWriteDeadline(time.Now().Add(20 * time.Second))
	if _, err := s.c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n")); err != nil {
		s.t.Fatal(err)
	}
}

// expect waits for a line from the client that starts with prefix.
func (s *scriptedIRC) expect(prefix string) {
	s.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line := <-s.lines:
			if strings.HasPrefix(line, prefix) {
				return
			}
		case <-timeout:
			s.t.Fatalf("the client never sent %q", prefix)
		}
	}
}

// TestRoomMemberLimit: a channel whose NAMES list is longer than maxRoomMembers is kept,
// and reported, up to the limit (and the user's own nick, though it comes later); the user
// is told once, by a message from the room. Past the limit a JOIN is not reported, nor is
// the PART of a member never reported; a PART frees a place for the next JOIN, and the
// messages of members not shown still arrive.
func TestRoomMemberLimit(t *testing.T) {
	t.Parallel()
	const over = 10
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d := startBackend(t, "irc_server", ln.Addr().String())
	d.Login(user, "client", "")
	s := acceptIRC(t, ln, "client")
	waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
	d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr("#big"), Nickname: ptr("client")})
	s.expect("JOIN #big")

	s.send(":client!u@h JOIN #big")
	var names []string
	for i := range irc.MaxRoomMembers + over {
		names = append(names, fmt.Sprintf("m%d", i))
	}
	names = append(names, "@client")
	for len(names) > 0 {
		k := min(len(names), 60)
		s.send(":srv 353 client = #big :" + strings.Join(names[:k], " "))
		names = names[k:]
	}
	s.send(":srv 366 client #big :End of NAMES list")

	shown := map[string]bool{}
	for {
		p := waitFor[*pb.Participant](t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, nil)
		if p.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) != 0 {
			if p.GetNickname() != "client" || p.GetFlag()&moderator == 0 {
				t.Errorf("own participant = %v, want client, a moderator", p)
			}
			break
		}
		shown[p.GetNickname()] = true
	}
	if len(shown) != irc.MaxRoomMembers {
		t.Errorf("%d members reported, want %d", len(shown), irc.MaxRoomMembers)
	}
	for i := range over {
		if nick := fmt.Sprintf("m%d", irc.MaxRoomMembers+i); shown[nick] {
			t.Errorf("%s, past the limit, was reported", nick)
		}
	}
	notice := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)
	if notice.GetBuddyName() != "#big" || notice.GetNickname() != "" || !strings.Contains(notice.GetMessage(), fmt.Sprint(irc.MaxRoomMembers)) {
		t.Errorf("the user was told %v, want a message from #big naming the limit", notice)
	}

	past := fmt.Sprintf("m%d", irc.MaxRoomMembers)
	s.send(":late!u@h JOIN #big",
		":"+past+"!u@h PART #big :not shown, so not gone either",
		":m0!u@h PART #big :bye",
		":late2!u@h JOIN #big",
		":"+past+"!u@h PRIVMSG #big :still heard",
		":m1!u@h PRIVMSG #big :end")
	var got []string
	for {
		f, m := d.Next()
		switch v := m.(type) {
		case *pb.Participant:
			got = append(got, fmt.Sprintf("%v %s %v", f.Type, v.GetNickname(), v.GetStatus()))
		case *pb.ConversationMessage:
			got = append(got, fmt.Sprintf("%v %s %q", f.Type, v.GetNickname(), v.GetMessage()))
		}
		if len(got) > 0 && strings.HasSuffix(got[len(got)-1], `"end"`) {
			break
		}
	}
	want := []string{
		"TYPE_PARTICIPANT_CHANGED m0 STATUS_NONE",
		"TYPE_PARTICIPANT_CHANGED late2 STATUS_ONLINE",
		"TYPE_CONV_MESSAGE " + past + ` "still heard"`,
		`TYPE_CONV_MESSAGE m1 "end"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the limit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
