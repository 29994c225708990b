package pluginserver

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestSlowSpawnBlocksNothing: while a fork/exec hangs, the Server goes on: Stats,
// Features, Send to a user of another backend and its echo, Logout. fork/exec used to
// run under Server.mu, so every one of them waited for it.
func TestSlowSpawnBlocksNothing(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	h := startWith(t, Config{UsersPerBackend: 1}, func(s *Server) {
		n := 0
		s.start = func(c *exec.Cmd) error {
			n++         // under no lock, but spawns are one at a time
			if n == 2 { // the warm spawn after alice filled the first backend
				close(entered)
				<-release
			}
			return c.Start()
		}
	})
	t.Cleanup(func() { once.Do(func() { close(release) }) }) // before the harness stops
	h.login(t, "alice@localhost", "x")
	select {
	case <-entered:
	case <-time.After(wait):
		t.Fatal("the second spawn never started")
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = h.s.Stats()
		_ = h.s.Features()
		user, buddy, text := "alice@localhost", "bob", "during the spawn"
		if err := h.s.Send(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: &user, BuddyName: &buddy, Message: &text}); err != nil {
			t.Errorf("Send: %v", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("Stats/Features/Send waited for a fork/exec")
	}
	// The echo went through the backend's reader, which takes Server.mu for every frame.
	e := h.next(t, "the echo during the spawn", is(pb.WrapperMessage_TYPE_CONV_MESSAGE, "alice@localhost"))
	if got := e.m.(*pb.ConversationMessage).GetMessage(); got != "during the spawn" {
		t.Errorf("echo %q", got)
	}
	if st := h.s.Stats(); len(st.Backends) != 1 || st.Spawns != 1 {
		t.Errorf("during the exec: %+v, want only the first backend", st)
	}

	once.Do(func() { close(release) })
	h.login(t, "bob@localhost", "x") // served by the spawn that was held
	if n := len(h.s.Stats().Backends); n < 2 {
		t.Errorf("%d backends, want 2 at least", n)
	}
	h.s.Logout("alice@localhost", "alice")
	eventually(t, "LOGOUT at the backend", func() bool { return strings.Contains(h.logs.String(), "got LOGOUT alice@localhost") })
}
