package irc_test

import (
	"fmt"
	"strconv"
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestLoginBurst: 300 users of one backend log in at once, as after a backend restart,
// and all get on ngircd. ngircd listens with a backlog of 10 and accepts between its
// writes; unbounded, such a burst overflowed it and connections were reset once they sent
// NICK, or timed out in the dial (issue 26). The backend now registers a few at a time
// per server (gate.go).
func TestLoginBurst(t *testing.T) {
	const users = 300
	s := startIRCd(t, ircdOptions{})
	d := startBackend(t, "irc_server", "127.0.0.1:"+strconv.Itoa(s.Port))
	wait := map[string]bool{}
	for i := range users {
		u := fmt.Sprintf("b%d@localhost", i)
		d.Login(u, fmt.Sprintf("b%d", i), "")
		wait[u] = true
	}
	for len(wait) > 0 {
		_, msg := d.Next()
		switch m := msg.(type) {
		case *pb.Connected:
			delete(wait, m.GetUser())
		case *pb.Disconnected:
			t.Fatalf("%s lost its IRC connection while logging in: %s (%d still waiting)", m.GetUser(), m.GetMessage(), len(wait))
		}
	}
}
