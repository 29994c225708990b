package pluginserver

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// fenceState sums the fence bookkeeping of every backend.
func (h *harness) fenceState() (pending, pings int) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	for _, b := range h.s.backends {
		pending += len(b.fence.pending)
		pings += len(b.fence.pings)
	}
	return pending, pings
}

// say sends a CONV_MESSAGE with text from user.
func (h *harness) say(t *testing.T, user, text string) {
	t.Helper()
	buddy := "bob"
	m := &pb.ConversationMessage{UserName: &user, BuddyName: &buddy, Message: &text}
	if err := h.s.Send(user, pb.WrapperMessage_TYPE_CONV_MESSAGE, m); err != nil {
		t.Fatalf("Send %q: %v", text, err)
	}
}

// echoed waits for the backend's echo of text.
func (h *harness) echoed(t *testing.T, user, text string) {
	t.Helper()
	h.next(t, "echo of "+text, func(e event) bool {
		return is(pb.WrapperMessage_TYPE_CONV_MESSAGE, user)(e) && e.m.(*pb.ConversationMessage).GetMessage() == text
	})
}

// confirmed waits until every fenced frame has been confirmed by a PONG.
func (h *harness) confirmed(t *testing.T) {
	t.Helper()
	eventually(t, "all frames confirmed", func() bool { p, _ := h.fenceState(); return p == 0 })
}

// lostUntilDisconnected collects the texts handed back for user until its DISCONNECTED.
func (h *harness) lostUntilDisconnected(t *testing.T, user string) []string {
	t.Helper()
	var lost []string
	for {
		e := h.next(t, "DISCONNECTED for "+user, func(e event) bool {
			return e.user == user && (e.lost || e.t == pb.WrapperMessage_TYPE_DISCONNECTED)
		})
		if !e.lost {
			return lost
		}
		if e.t != pb.WrapperMessage_TYPE_CONV_MESSAGE {
			t.Errorf("handed back %v", e.t)
			continue
		}
		lost = append(lost, e.m.(*pb.ConversationMessage).GetMessage())
	}
}

func TestUnreadMessagesComeBackWhenTheBackendDies(t *testing.T) {
	// A long keepalive: the death here is the kill, not a missed PONG.
	h := start(t, Config{PingInterval: time.Minute})
	user := "alice@localhost"
	h.login(t, user, "x")
	h.say(t, user, "read")
	h.echoed(t, user, "read")
	h.confirmed(t)

	pid := h.pids()[0]
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the backend stopped", func() bool { return procState(pid) == "T" })
	// These land in the socket buffer of a backend that never reads them again.
	h.say(t, user, "one")
	h.say(t, user, "two")
	typing := &pb.Buddy{UserName: &user}
	if err := h.s.Send(user, pb.WrapperMessage_TYPE_BUDDY_TYPING, typing); err != nil {
		t.Fatal(err)
	}
	if n := h.s.Stats().Backends[0].Unconfirmed; n != 2 {
		t.Errorf("Stats: %d unconfirmed, want 2", n)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	lost := h.lostUntilDisconnected(t, user)
	if fmt.Sprint(lost) != "[one two]" {
		t.Errorf("handed back %q, want [one two] in order (not the confirmed one)", lost)
	}
	if p, n := h.fenceState(); p != 0 || n != 0 {
		t.Errorf("a dead backend's fence kept %d frames, %d pings", p, n)
	}
}

func TestStuckBackendIsKilledAndItsMessagesComeBack(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=stall", PingInterval: 300 * time.Millisecond})
	user := "alice@localhost"
	h.login(t, user, "x")
	h.say(t, user, "fine")
	h.echoed(t, user, "fine")
	h.confirmed(t)
	pid := h.pids()[0]
	// The backend reads "stall" and then never reads again: neither "after" nor the fence
	// PING behind them, so both are unconfirmed; the keepalive must still kill it.
	h.say(t, user, "stall")
	h.say(t, user, "after")
	lost := h.lostUntilDisconnected(t, user)
	if fmt.Sprint(lost) != "[stall after]" {
		t.Errorf("handed back %q, want [stall after]", lost)
	}
	eventually(t, "the stuck backend reaped", func() bool { return !alive(pid) })
}

func TestFencingKeepsHealthyBackendsAliveAndIdleEmpty(t *testing.T) {
	// Frequent keepalives interleaved with many fence PINGs: PONGs must stay matched and
	// the keepalive must not mistake the traffic for a hang.
	h := start(t, Config{PingInterval: 100 * time.Millisecond})
	users := []string{"alice@localhost", "bob@localhost", "carol@localhost"}
	for _, u := range users {
		h.login(t, u, "x")
	}
	const per = 100
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Go(func() {
			for i := range per {
				text := fmt.Sprint(i)
				m := &pb.ConversationMessage{UserName: &u, Message: &text}
				if err := h.s.Send(u, pb.WrapperMessage_TYPE_CONV_MESSAGE, m); err != nil {
					t.Errorf("Send: %v", err)
					return
				}
				if i%10 == 0 {
					time.Sleep(20 * time.Millisecond) // spread over a few keepalive ticks
				}
			}
		})
	}
	wg.Wait()
	for range per * len(users) {
		h.next(t, "every echo", func(e event) bool { return !e.lost && e.t == pb.WrapperMessage_TYPE_CONV_MESSAGE })
	}
	h.confirmed(t)
	time.Sleep(500 * time.Millisecond) // a few idle keepalive ticks
	p, n := h.fenceState()
	if p != 0 || n > 1 { // at most the keepalive PING in flight
		t.Errorf("idle fence holds %d frames, %d pings", p, n)
	}
	if c := h.s.Stats().Crashes; c != 0 {
		t.Errorf("%d crashes of a healthy backend", c)
	}
}

// procState is the state letter of /proc/PID/stat ("T" for stopped), or "".
func procState(pid int) string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 || i+3 > len(data) {
		return ""
	}
	return string(data[i+2 : i+3])
}
