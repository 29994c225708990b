package test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xmppo/go-xmpp"
)

// vmRSSKB reads VmRSS of process pid from /proc (Linux).
func vmRSSKB(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no VmRSS in /proc/PID/status")
	return 0
}

// TestNonReaderClosedAtBudget (issue 18): a client that sends to echo and never reads
// gets its stream closed once what waits for it passes limits.session_send_bytes, and
// the daemon's memory stays bounded meanwhile: the answers pile up in the kernel's
// socket buffers and the session's budget, not in the daemon's heap.
func TestNonReaderClosedAtBudget(t *testing.T) {
	s := StartServer(t, "[limits]\nsession_send_bytes = 65536\nstanzas_per_second = 5000\nstanza_burst = 1000\nbytes_per_second = 1000000000\n")
	pid := s.cmd.Process.Pid
	pw := s.Password()
	r := dialRawXMPP(t, s)
	r.login("nonreader%demo", pw)
	r.bind("a")
	r.send(`<presence/>`)
	r.expect(`from="echo@localhost`) // logged in: echo is online
	before := vmRSSKB(t, pid)

	const total, size = 4000, 16 * 1024 // 64 MB of answers, far past any socket buffer
	body := strings.Repeat("x", size)
	sent := 0
	_ = r.c.SetWriteDeadline(time.Now().Add(120 * time.Second))
	for ; sent < total; sent++ {
		if _, err := fmt.Fprintf(r.c, `<message to='echo@localhost' type='chat' id='n%d'><body>%s</body></message>`, sent, body); err != nil {
			break // the daemon closed the connection: that is the point
		}
	}
	// Now read what is there: the stream must end (EOF or reset), never a read timeout.
	_ = r.c.SetReadDeadline(time.Now().Add(60 * time.Second))
	var got strings.Builder
	_, err := io.Copy(&got, r.c)
	var ne interface{ Timeout() bool }
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the stream of a client that does not read was not closed (%d messages sent, %d bytes read)", sent, got.Len())
	}
	echoed := strings.Count(got.String(), `from="echo@localhost/bot"`)
	if echoed >= sent {
		t.Fatalf("all %d answers were delivered: no budget hit", sent)
	}
	waitLog(t, s, `"resource closed"`)
	after := vmRSSKB(t, pid)
	t.Logf("%d messages of %d KB sent, %d answers read before the close; daemon RSS %d -> %d KB",
		sent, size/1024, echoed, before, after)
	if grown := after - before; grown > 150*1024 {
		t.Fatalf("the daemon grew by %d KB for one client that does not read", grown)
	}
	// The daemon goes on: the user logs in again (the legacy session may still be up,
	// holding the answers that reached no one: the offline store keeps them) and gets
	// its echo.
	c := s.MustDial("nonreader%demo@localhost", pw, "b")
	in := Listen(c)
	xmppSend(t, c, `<message to='echo@localhost' type='chat' id='after'><body>still here</body></message>`)
	in.Wait(t, "the echo after the close", 30*time.Second, xmppChat("echo@localhost", "chat", "still here"))
	CloseClient(t, c)
}

// TestFlooderSlowedOthersServed (issue 18): a client that writes 2,000 messages at once
// (one write: far more than 10,000 stanzas per second) is slowed to
// limits.stanzas_per_second (200 here) through TCP and none of them is lost, while
// another user of the same backend gets its echo round trips fast. The daemon is built
// with -race and CI has 2 shared cores, so the figure asserted is the median (under 50
// ms); p99 gets a larger bound (250 ms) and is logged. The rate is below what the race
// build's pipeline carries (some 400 echoes a second here): above it, the other user's
// messages would queue behind the flooder's in the one backend's FIFO.
func TestFlooderSlowedOthersServed(t *testing.T) {
	const total, rate, burst = 2000, 200, 200
	s := StartServer(t, fmt.Sprintf("[limits]\nstanzas_per_second = %d\nstanza_burst = %d\n", rate, burst))
	flooder := s.MustDial("flooder%demo@localhost", s.Password(), "")
	fin := Listen(flooder)
	other := s.MustDial("calm%demo@localhost", s.Password(), "")
	oin := Listen(other)
	// Both online: echo answers each.
	for _, p := range []struct {
		c  *xmpp.Client
		in *Stanzas
	}{{flooder, fin}, {other, oin}} {
		xmppSend(t, p.c, `<message to='echo@localhost' type='chat'><body>ready</body></message>`)
		p.in.Wait(t, "echo", 30*time.Second, xmppChat("echo@localhost", "chat", "ready"))
	}

	var b strings.Builder
	for i := range total {
		fmt.Fprintf(&b, `<message to='echo@localhost' type='chat'><body>f%d</body></message>`, i)
	}
	// The other user's round trips without the flood, on this machine as loaded now: the
	// bound during the flood is relative to them (CI's shared cores vary by far more than
	// the flood may cost).
	roundTrips := func(prefix string, n int) []time.Duration {
		var out []time.Duration
		for i := range n {
			body := prefix + strconv.Itoa(i)
			t0 := time.Now()
			xmppSend(t, other, `<message to='echo@localhost' type='chat'><body>`+body+`</body></message>`)
			oin.Wait(t, "round trip "+body, 30*time.Second, xmppChat("echo@localhost", "chat", body))
			out = append(out, time.Since(t0))
		}
		slices.Sort(out)
		return out
	}
	base := roundTrips("base", 20)
	baseMedian := base[len(base)/2]
	start := time.Now()
	wrote := make(chan error, 1)
	go func() { _, err := flooder.SendOrg(b.String()); wrote <- err }()
	// The flooder's echoes, counted (and checked in order) on its own goroutine.
	counted := make(chan error, 1)
	go func() {
		next := 0
		deadline := time.After(300 * time.Second)
		for next < total {
			select {
			case st, ok := <-fin.ch:
				if !ok {
					counted <- fmt.Errorf("the flooder's stream ended after %d echoes", next)
					return
				}
				if err, isErr := st.(error); isErr {
					counted <- fmt.Errorf("after %d echoes: %w", next, err)
					return
				}
				c, ok := st.(xmpp.Chat)
				if !ok || !strings.HasPrefix(c.Text, "f") {
					continue
				}
				if c.Text != "f"+strconv.Itoa(next) {
					counted <- fmt.Errorf("echo %d is %q", next, c.Text)
					return
				}
				next++
			case <-deadline:
				counted <- fmt.Errorf("only %d of %d echoes", next, total)
				return
			}
		}
		counted <- nil
	}()

	rtts := roundTrips("rt", 50)
	during := time.Since(start)
	if err := <-counted; err != nil {
		t.Fatal(err)
	}
	flood := time.Since(start)
	if err := <-wrote; err != nil {
		t.Fatalf("the flooder's write failed: %v", err)
	}
	median, p99 := rtts[len(rtts)/2], rtts[len(rtts)*99/100]
	t.Logf("%d messages echoed in %v; 50 round trips of another user in the first %v: median %v, p99 %v, max %v (without the flood: median %v)",
		total, flood, during, median, p99, rtts[len(rtts)-1], baseMedian)
	if flood < time.Duration(total-burst)*time.Second/rate*9/10 {
		t.Fatalf("%d messages echoed in %v: not slowed to %d/s", total, flood, rate)
	}
	// Under 50 ms as issue 18 asks, or, on a machine loaded past that, within three times
	// the same user's round trip without the flood: the flooder must not starve others.
	wantMedian := max(50*time.Millisecond, 3*baseMedian)
	if median > wantMedian || p99 > max(250*time.Millisecond, 5*wantMedian) {
		t.Fatalf("another user's round trips during the flood: median %v (want < %v), p99 %v (want < %v)",
			median, wantMedian, p99, max(250*time.Millisecond, 5*wantMedian))
	}
	CloseClient(t, flooder)
	CloseClient(t, other)
}

// TestGlobalLimits (issue 18): past limits.max_users a new user's login gets a SASL
// failure (temporary-auth-failure; go-xmpp shows only its text) that says so, as does one that needs a backend past limits.max_backends, and
// `spectrum2 status` shows how close each is.
func TestGlobalLimits(t *testing.T) {
	t.Run("max_users", func(t *testing.T) {
		s := StartServer(t, "[limits]\nmax_users = 1\n")
		pw := s.Password()
		s.MustDial("first%demo@localhost", pw, "")
		_, err := s.Dial("second%demo@localhost", s.Password(), "", false)
		if err == nil || !strings.Contains(err.Error(), "reached its limit of 1 users") {
			t.Fatalf("second user past max_users: %v", err)
		}
		waitLog(t, s, "limits.max_users reached")
		s.MustDial("first%demo@localhost", pw, "again") // the same user is no new user
		out := statusOf(t, s)
		if !strings.Contains(out, "users:     1 / 1 (limits.max_users)") {
			t.Errorf("status:\n%s", out)
		}
	})
	t.Run("max_backends", func(t *testing.T) {
		s := StartServer(t, "users_per_backend = 1\n[limits]\nmax_backends = 1\n")
		s.MustDial("first%demo@localhost", s.Password(), "")
		_, err := s.Dial("second%demo@localhost", s.Password(), "", false)
		if err == nil || !strings.Contains(err.Error(), "reached its limit of backends") {
			t.Fatalf("second user past max_backends: %v", err)
		}
		waitLog(t, s, "logins refused: no backend may start")
		out := statusOf(t, s)
		if !strings.Contains(out, "backends:  1 / 1 (limits.max_backends)") {
			t.Errorf("status:\n%s", out)
		}
	})
}

// statusOf runs `spectrum2 status` against s.
func statusOf(t *testing.T, s *Server) string {
	t.Helper()
	out, err := exec.Command(binary, "status", "--config", filepath.Join(s.Dir, "spectrum2.toml")).CombinedOutput()
	if err != nil {
		t.Fatalf("spectrum2 status: %v\n%s", err, out)
	}
	return string(out)
}
