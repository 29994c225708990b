package test

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"
)

// backendOf finds in the daemon's log the pid of the backend that got user's LOGIN.
func backendOf(t *testing.T, s *Server, user string) int {
	t.Helper()
	type entry struct {
		Backend string `json:"backend"`
		PID     int    `json:"pid"`
		User    string `json:"user"`
		Message string `json:"message"`
	}
	var lines []entry
	for _, l := range strings.Split(s.Log(), "\n") {
		var e entry
		if json.Unmarshal([]byte(l), &e) == nil {
			lines = append(lines, e)
		}
	}
	name := ""
	for _, e := range lines {
		if e.Message == "LOGIN sent" && e.User == user {
			name = e.Backend // the latest
		}
	}
	for _, e := range lines {
		if e.Message == "backend spawned" && e.Backend == name && name != "" {
			return e.PID
		}
	}
	t.Fatalf("no backend for %s in the log", user)
	return 0
}

// echoes sends text to echo and waits for it to come back, within a bound far below
// the time a stalled backend takes to be declared hung.
func echoes(t *testing.T, c *xmpp.Client, in *Stanzas, text string) {
	t.Helper()
	if _, err := c.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: text}); err != nil {
		t.Fatal(err)
	}
	in.Wait(t, "echo of "+text, 30*time.Second, fromEcho(text))
}

// TestStoppedBackendIsHungOthersKeepWorking: the demo backend of one user is stopped
// (SIGSTOP): the user's messages are answered (bounced, or echoed once the user is logged
// in again), never lost; another user on another backend keeps chatting meanwhile; the
// stopped backend is declared hung after the ping timeout, killed and replaced, and the
// user is logged in again without seeing an error (issue 18).
func TestStoppedBackendIsHungOthersKeepWorking(t *testing.T) {
	s := StartServer(t, "users_per_backend = 1\nbackend_ping_interval = \"1s\"\n")
	alice := s.MustDial("alice%demo@localhost", s.Password(), "")
	aliceIn := Listen(alice)
	echoes(t, alice, aliceIn, "alice before")
	bob := s.MustDial("bob%demo@localhost", s.Password(), "")
	bobIn := Listen(bob)
	echoes(t, bob, bobIn, "bob before")

	pid := backendOf(t, s, "alice%demo@localhost")
	if pid == backendOf(t, s, "bob%demo@localhost") {
		t.Fatal("alice and bob share a backend")
	}
	connected := []string{`"message":"legacy session connected"`, `"jid":"alice%demo@localhost"`}
	logins := s.logLines(connected...)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // in case it outlives the test
	t.Logf("stopped alice's backend %d", pid)

	const n = 5
	for i := range n {
		if _, err := alice.Send(xmpp.Chat{Remote: echoJID, Type: "chat", Text: "during " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// bob's backend is another process: his echoes do not wait for alice's.
	for i := range 3 {
		echoes(t, bob, bobIn, "bob during "+strconv.Itoa(i))
	}
	for i := range n {
		text := "during " + strconv.Itoa(i)
		aliceIn.Wait(t, "echo or bounce of "+text, 60*time.Second, func(st any) bool {
			m, ok := st.(xmpp.Chat)
			return ok && strings.HasPrefix(m.Remote, echoJID) && (m.Type == "error" || m.Text == text)
		})
	}
	s.waitLogLines(t, 1, `"message":"backend crashed"`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
			break // killed and reaped by the daemon
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stopped backend %d is still there", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.waitLogLines(t, logins+1, connected...)
	if p := backendOf(t, s, "alice%demo@localhost"); p == pid {
		t.Fatalf("alice is still on %d", p)
	}
	echoes(t, alice, aliceIn, "alice after")
	echoes(t, bob, bobIn, "bob after")
}
