package pluginserver

import (
	"context"
	"strings"
	"testing"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestQuarantine: a user whose LOGIN makes the backend exit knocks bob, the other user of
// that backend, off twice; after that the user's logins go to a backend of their own, the
// log says so, and bob stays logged in on his.
func TestQuarantine(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=crashlogin"})
	const bob, crash = "bob@localhost", "crash@localhost"
	h.login(t, bob, "x")
	for attempt := 1; attempt <= quarantineAfter; attempt++ {
		h.loginOnly(t, crash)
		pending := map[string]bool{bob: true, crash: true}
		for len(pending) > 0 {
			e := h.next(t, "DISCONNECTED for both users", func(e event) bool {
				return e.t == pb.WrapperMessage_TYPE_DISCONNECTED && pending[e.user]
			})
			delete(pending, e.user)
		}
		h.login(t, bob, "x") // as the router's re-login does
	}
	if !strings.Contains(h.logs.String(), "user quarantined") {
		t.Errorf("no quarantine in the log")
	}
	bobPID := h.backendOf(t, bob)
	for attempt := range 2 {
		spawns := h.s.Stats().Spawns
		h.loginOnly(t, crash)
		if got := h.s.Stats().Spawns; got != spawns+1 {
			t.Errorf("attempt %d: %d spawns, want a backend of its own (%d)", attempt, got-spawns, 1)
		}
		// Bob keeps his session: his echo arrives, and no DISCONNECTED for him before it.
		h.next(t, "DISCONNECTED for the quarantined user", is(pb.WrapperMessage_TYPE_DISCONNECTED, crash))
		user, buddy, text := bob, "alice", "still here"
		if err := h.s.Send(bob, pb.WrapperMessage_TYPE_CONV_MESSAGE, &pb.ConversationMessage{UserName: &user, BuddyName: &buddy, Message: &text}); err != nil {
			t.Fatalf("attempt %d: bob lost his backend: %v", attempt, err)
		}
		h.next(t, "bob's echo", func(e event) bool {
			if e.user == bob && e.t == pb.WrapperMessage_TYPE_DISCONNECTED {
				t.Fatalf("attempt %d: bob was knocked off by a quarantined user", attempt)
			}
			return e.user == bob && e.t == pb.WrapperMessage_TYPE_CONV_MESSAGE
		})
		if pid := h.backendOf(t, bob); pid != bobPID {
			t.Errorf("bob moved from backend %d to %d", bobPID, pid)
		}
	}
	if !strings.Contains(h.logs.String(), "spawning a backend of their own for a quarantined user") {
		t.Error("the log does not say that the user got a backend of their own")
	}
}

// loginOnly calls Login for user and waits until LOGIN was written.
func (h *harness) loginOnly(t *testing.T, user string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	legacy := strings.SplitN(user, "@", 2)[0]
	if err := h.s.Login(ctx, &pb.Login{User: &user, LegacyName: &legacy}); err != nil {
		t.Fatalf("Login %s: %v", user, err)
	}
}

// backendOf returns the pid of the backend serving user.
func (h *harness) backendOf(t *testing.T, user string) int {
	t.Helper()
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	b := h.s.users[user]
	if b == nil {
		t.Fatalf("no backend serves %s", user)
	}
	return b.pid
}
