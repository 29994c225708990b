package irc_test

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// logBuffer keeps what the backend logs, for a test to look for a line.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testLog writes into the test's log, as backendtest.Logger does.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

// TestRoomMemberLimit, against ngircd with irc_max_room_members = 3: of a channel whose
// NAMES list has four others, three are kept and reported, and the user's own participant
// too; the user is told once, by a message from the room naming the limit, after the own
// participant, and the backend logs it once. Past the limit a JOIN is not reported, nor is
// the PART of a member never reported; a PART of a reported member frees a place for the
// next JOIN, and the messages of a member not shown still arrive.
func TestRoomMemberLimit(t *testing.T) {
	t.Parallel()
	const limit = 3
	s := startIRCd(t, ircdOptions{})
	peers := map[string]*ircPeer{}
	for _, nick := range []string{"ma", "mb", "mc", "md"} {
		p := connectPeer(t, s, nick)
		p.Send("JOIN #big")
		p.Expect("366 " + nick + " #big")
		peers[nick] = p
	}
	var logs logBuffer
	log := zerolog.New(io.MultiWriter(zerolog.ConsoleWriter{Out: testLog{t}, NoColor: true}, &logs)).
		Level(zerolog.DebugLevel)
	d := startBackendLog(t, log, "irc_server", s.Addr(), "irc_max_room_members", fmt.Sprint(limit))
	login(t, d, "client", "")

	ps := join(t, d, "#big", "client")
	if own := ps["client"]; own.GetFlag()&int32(pb.ParticipantFlag_PARTICIPANT_FLAG_ME) == 0 {
		t.Errorf("own participant = %v, want client with ME", own)
	}
	delete(ps, "client")
	var shown []string
	for nick := range ps {
		if peers[nick] == nil {
			t.Errorf("%s reported, not in #big", nick)
		}
		shown = append(shown, nick)
	}
	sort.Strings(shown)
	if len(shown) != limit {
		t.Fatalf("members reported: %v, want %d of ma, mb, mc, md", shown, limit)
	}
	var past string // the member past the limit
	for nick := range peers {
		if ps[nick] == nil {
			past = nick
		}
	}
	notice := waitFor[*pb.ConversationMessage](t, d, pb.WrapperMessage_TYPE_CONV_MESSAGE, nil)
	if notice.GetBuddyName() != "#big" || notice.GetNickname() != "" || !strings.Contains(notice.GetMessage(), fmt.Sprintf("(%d)", limit)) {
		t.Errorf("the user was told %v, want a message from #big naming the limit", notice)
	}
	if l := logs.String(); !strings.Contains(l, "channel has more members than the gateway keeps") || !strings.Contains(l, fmt.Sprintf(`"limit":%d`, limit)) {
		t.Errorf("the backend logged no warning naming the limit:\n%s", l)
	}

	// Each step is seen by the one who takes it before the next one is taken, so that
	// ngircd relays them to the backend in this order.
	late := connectPeer(t, s, "late")
	late.Send("JOIN #big")
	late.Expect("366 late #big")
	peers[past].Send("PART #big :not shown, so not gone either")
	peers[past].Expect(" PART #big :not shown")
	gone, stays := shown[0], shown[1]
	peers[gone].Send("PART #big :bye")
	peers[gone].Expect(" PART #big :bye")
	late2 := connectPeer(t, s, "late2")
	late2.Send("JOIN #big")
	late2.Expect("366 late2 #big")
	late.Send("PRIVMSG #big :still heard")
	peers[stays].Expect("PRIVMSG #big :still heard")
	peers[stays].Send("PRIVMSG #big :end")

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
		"TYPE_PARTICIPANT_CHANGED " + gone + " STATUS_NONE",
		"TYPE_PARTICIPANT_CHANGED late2 STATUS_ONLINE",
		`TYPE_CONV_MESSAGE late "still heard"`,
		"TYPE_CONV_MESSAGE " + stays + ` "end"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the limit (%s not shown):\n%s\nwant:\n%s", past, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := strings.Count(logs.String(), "channel has more members than the gateway keeps"); n != 1 {
		t.Errorf("the limit was logged %d times, want once", n)
	}
}

// TestRoomMemberLimitBad: an irc_max_room_members that is not a positive number fails
// every login, as the other bad IRC options do.
func TestRoomMemberLimitBad(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "many"} {
		d := startBackend(t, "irc_server", "127.0.0.1:1", "irc_max_room_members", v)
		d.Login(user, "client", "")
		dis := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
		if dis.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_INVALID_SETTINGS) || !strings.Contains(dis.GetMessage(), "irc_max_room_members") {
			t.Errorf("irc_max_room_members = %q: %v, want INVALID_SETTINGS naming the option", v, dis)
		}
	}
}
