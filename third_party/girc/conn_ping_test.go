package girc

// spectrum2: the ping check counts any line from the server, against a real ngircd.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestPingLateAnswerKeepsConnection: ngircd answers our PINGs, but a proxy in between
// holds every PONG back (as a PONG waits behind thousands of JOIN lines on a loaded
// gateway). While channel traffic keeps arriving the connection stays up for many ping
// windows; upstream girc waited for the PONG and ended it with TimedOutError after one.
// Once the server falls silent, the same check still ends it within the window.
func TestPingLateAnswerKeepsConnection(t *testing.T) {
	addr := startNgircd(t)
	var pongs atomic.Int64
	proxy := startProxy(t, addr, func(line string) bool {
		if strings.Contains(line, " PONG ") {
			pongs.Add(1)
			return false
		}
		return true
	})

	// A peer on the server talks in the channel every 100 ms until stopped.
	peer, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	go io.Copy(io.Discard, peer) //nolint:errcheck
	fmt.Fprintf(peer, "NICK peer\r\nUSER peer * * peer\r\nJOIN #t\r\n")
	stopTalking := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopTalking:
				return
			case <-tick.C:
				fmt.Fprintf(peer, "PRIVMSG #t :hello\r\n")
			}
		}
	}()

	const delay, timeout = 200 * time.Millisecond, 200 * time.Millisecond
	host, port, _ := net.SplitHostPort(proxy)
	var portN int
	fmt.Sscan(port, &portN)
	c := New(Config{Server: host, Port: portN, Nick: "pinged", User: "pinged", TrackSelfOnly: true})
	c.Config.PingDelay, c.Config.PingTimeout, c.registerGrace = delay, timeout, 0
	c.Handlers.Add(RPL_WELCOME, func(c *Client, _ Event) { c.Cmd.Join("#t") })
	done := make(chan error, 1)
	go func() { done <- c.Connect() }()

	// Ten windows of PingDelay+PingTimeout with every PONG held back.
	select {
	case err := <-done:
		t.Fatalf("connection ended while the server was talking: %v (PONGs held: %d)", err, pongs.Load())
	case <-time.After(10 * (delay + timeout)):
	}
	if pongs.Load() < 3 {
		t.Fatalf("only %d PONGs were held back: the test did not exercise the ping check", pongs.Load())
	}

	// Now the server has nothing to say and its PONGs still do not come: timed out.
	close(stopTalking)
	select {
	case err := <-done:
		var te TimedOutError
		if !errors.As(err, &te) {
			t.Fatalf("connection ended with %v, want TimedOutError", err)
		}
	case <-time.After(5 * (delay + timeout)):
		c.Close()
		t.Fatal("a silent server did not time out")
	}
}

// startNgircd runs ngircd on a free port of 127.0.0.1 until the test ends (skipped when
// it is not installed); it returns its address.
func startNgircd(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("ngircd")
	if err != nil {
		t.Fatalf("ngircd is not installed (make test installs it: scripts/deps.sh): %v", err)
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // ngircd reads it as "nobody"
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "ngircd.conf")
	text := fmt.Sprintf("[Global]\nName = irc.test\nInfo = test\nListen = 127.0.0.1\nPorts = %d\n"+
		"MotdPhrase = hello\n[Limits]\nMaxConnectionsIP = 0\nPingTimeout = 300\nMaxPenaltyTime = 0\n"+
		"[Options]\nDNS = no\nIdent = no\nPAM = no\n", port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", conf)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("ngircd does not answer on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startProxy forwards connections to addr, passing only the server's lines that keep
// accepts; it returns its own address.
func startProxy(t *testing.T, addr string, keep func(line string) bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", addr)
			if err != nil {
				c.Close()
				continue
			}
			t.Cleanup(func() { c.Close(); s.Close() })
			go io.Copy(s, c) //nolint:errcheck
			go func() {
				r := bufio.NewReader(s)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						c.Close()
						return
					}
					if keep(line) {
						if _, err := io.WriteString(c, line); err != nil {
							return
						}
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
