package pluginserver

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestImpostorWithChildPID: while a spawned backend has not connected yet, another process
// connects to the backend port and claims the child's pid in STATS (anyone can read it
// from /proc). It gets no frame at all, is closed and logged; the real child, once it
// connects, is the backend and gets the LOGIN (issue 18).
func TestImpostorWithChildPID(t *testing.T) {
	gate := filepath.Join(t.TempDir(), "gate")
	h := start(t, Config{Backend: fakeBin + " --mode=gated", Env: []string{"FAKEBACKEND_GATE=" + gate}})
	var child int
	eventually(t, "the spawned child", func() bool {
		st := h.s.Stats()
		if len(st.Backends) == 1 && st.Backends[0].PID > 0 {
			child = st.Backends[0].PID
			return true
		}
		return false
	})
	got, closed := strangerAs(t, h.s.Addr(), child)
	select {
	case err := <-closed:
		if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
			t.Errorf("impostor: %v", err)
		}
	case <-time.After(wait):
		t.Fatal("the impostor was not disconnected")
	}
	close(got)
	for typ := range got {
		t.Errorf("the impostor received %v", typ)
	}
	if st := h.s.Stats(); st.Backends[0].State != "starting" || st.Dropped[DropConn] != 1 {
		t.Fatalf("after the impostor: %+v", st)
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.login(t, "alice@localhost", "x")
	// Its stderr line comes through a pipe, which may lag behind its CONNECTED.
	eventually(t, "the real backend's LOGIN line", func() bool {
		return strings.Contains(h.logs.String(), "got LOGIN alice@localhost")
	})
}

// TestHandshakeBounds: a spawned child that floods frames, or sends one huge frame, before
// its STATS is cut off and never becomes a backend; the logins waiting for it fail.
func TestHandshakeBounds(t *testing.T) {
	for _, mode := range []string{"flood", "bigframe"} {
		t.Run(mode, func(t *testing.T) {
			h := start(t, Config{Backend: fakeBin + " --mode=" + mode})
			eventually(t, "the cut", func() bool {
				return strings.Contains(h.logs.String(), "closing a backend connection before its handshake completed")
			})
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			user, legacy := "alice@localhost", "alice"
			// The spawns fail one after the other; a login waiting for one fails with it.
			if err := h.s.Login(ctx, &pb.Login{User: &user, LegacyName: &legacy}); err == nil {
				t.Error("Login succeeded on a flooding backend")
			}
			if h.readyBackends() != 0 {
				t.Errorf("a flooding backend became ready: %+v", h.s.Stats())
			}
			h.s.mu.Lock()
			keys := len(h.s.config.seen)
			h.s.mu.Unlock()
			if keys > 1 {
				t.Errorf("%d BACKEND_CONFIG keys kept from a flood", keys)
			}
		})
	}
}

// TestRawXMLNeedsAnnouncement: a backend that did not announce features.rawxml has its
// RAW_XML dropped and counted.
func TestRawXMLNeedsAnnouncement(t *testing.T) {
	h := start(t, Config{})
	h.login(t, "alice@localhost", "x")
	if err := h.s.SendRawXML("alice@localhost", []byte("<message to='alice@localhost'/>")); err != nil {
		t.Fatal(err) // the fakebackend echoes it
	}
	eventually(t, "the dropped echo", func() bool { return h.s.Stats().Dropped[DropRawXML] == 2 })
	select {
	case r := <-h.rec.raw:
		t.Errorf("RAW_XML delivered: %q", r.data)
	default:
	}
}

// TestServes: RAW_XML ownership, asked by the Handler once it knows the user.
func TestServes(t *testing.T) {
	h := start(t, Config{Backend: fakeBin + " --mode=rawxml", UsersPerBackend: 1})
	h.login(t, "alice@localhost", "x")
	h.login(t, "bob@localhost", "x")
	if !h.s.Serves("backend-1", "alice@localhost") || !h.s.Serves("backend-2", "bob@localhost") {
		t.Errorf("Serves refuses a backend's own user: %+v", h.s.Stats())
	}
	if h.s.Serves("backend-1", "bob@localhost") || h.s.Serves("backend-2", "carol@localhost") {
		t.Error("Serves accepts another backend's user")
	}
	if n := h.s.Stats().Dropped[DropForeign]; n != 2 {
		t.Errorf("Dropped[%s] = %d, want 2", DropForeign, n)
	}
}

// TestSameUser: the other end of a connection of ours is found in /proc/net/tcp with our uid.
func TestSameUser(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !sameUser(a) {
		t.Error("sameUser: false for our own connection")
	}
	p, err := peerOf(a)
	if err != nil || !holds(os.Getpid(), p.inode) {
		t.Errorf("peerOf %+v %v: not among our descriptors", p, err)
	}
}

// queryAsOther is a QUERY client run as another user: it sends QUERY "status" and prints
// ANSWERED if a QUERY frame comes back, CLOSED if the connection ends first.
const queryAsOther = `
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
cfg = b"status"
inner = b"\x0a" + bytes([len(cfg)]) + cfg
msg = b"\x08\x1f\x12" + bytes([len(inner)]) + inner
s.sendall(struct.pack("!I", len(msg)) + msg)
s.settimeout(30)
buf = b""
while True:
    try:
        chunk = s.recv(4096)
    except OSError:
        chunk = b""
    if not chunk:
        print("CLOSED"); break
    buf += chunk
    if b"\x08\x1f" in buf:
        print("ANSWERED"); break
`

// TestQueryOnlyForOurUser: with the QUERY channel on, a client of another user is closed
// unanswered (issue 18); one of ours is answered (TestQueryChannel).
func TestQueryOnlyForOurUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("running a client as another user needs root")
	}
	s := startQuery(t, fakeBin)
	waitReady(t, s)
	port := s.Addr().(*net.TCPAddr).Port
	cmd := exec.Command("/usr/bin/python3", "-c", queryAsOther, strconv.Itoa(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "CLOSED" {
		t.Errorf("a client of uid 65534: %v %s", err, out)
	}
	if got := ask(t, s, "status"); got != "echo: status" {
		t.Errorf("our own client: %q", got)
	}
	if n := s.Stats().Dropped[DropConn]; n != 1 {
		t.Errorf("Dropped[%s] = %d, want 1", DropConn, n)
	}
}
