package irc_test

import (
	"net"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/backend/backendtest"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestPerRoomNotAllowed: in per-room mode a room may only name a server of allowed_servers
// (none by default), and "*" still refuses loopback addresses: no connection is made, the
// join is answered NOT_AUTHORIZED or ROOM_NOT_FOUND "IRC server not allowed".
func TestPerRoomNotAllowed(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan string, 10) // remote addresses, in accept order
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c.RemoteAddr().String()
			c.Close()
		}
	}()
	room := "#test@" + ln.Addr().String()
	for _, tc := range []struct {
		name string
		kv   []string
		flag pb.ParticipantFlag
	}{
		{"default", nil, pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED},
		{"other server listed", []string{"allowed_servers", "irc.example.org"}, pb.ParticipantFlag_PARTICIPANT_FLAG_NOT_AUTHORIZED},
		{"any public server", []string{"allowed_servers", "*"}, pb.ParticipantFlag_PARTICIPANT_FLAG_ROOM_NOT_FOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := startBackend(t, tc.kv...)
			d.Login(user, "client", "")
			waitFor[*pb.Connected](t, d, pb.WrapperMessage_TYPE_CONNECTED, nil)
			d.Send(pb.WrapperMessage_TYPE_JOIN_ROOM, &pb.Room{UserName: ptr(user), Room: ptr(room), Nickname: ptr("client")})
			p := waitFor[*pb.Participant](t, d, pb.WrapperMessage_TYPE_PARTICIPANT_CHANGED, nil)
			if p.GetRoom() != room || p.GetFlag() != int32(tc.flag) || p.GetStatusMessage() != "IRC server not allowed" {
				t.Errorf("join answered %v, want flag %v", p, tc.flag)
			}
		})
	}
	// Accepts come in order: a connection of the backend would come before this probe's.
	probe, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer probe.Close()
	select {
	case from := <-accepted:
		if from != probe.LocalAddr().String() {
			t.Errorf("the backend connected (from %s) to a server that is not allowed", from)
		}
	case <-time.After(backendtest.Timeout):
		t.Fatal("the probe was not accepted")
	}
}
