package pluginserver

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// startQuery runs a Server with the QUERY channel answering "echo: COMMAND".
func startQuery(t *testing.T, backend string) *Server {
	t.Helper()
	ini := filepath.Join(t.TempDir(), "backend.cfg")
	if err := os.WriteFile(ini, []byte("[service]\njid = localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	cfg := Config{Backend: backend, ConfigFile: ini, grace: time.Second, Log: zerolog.New(logs)}
	s, err := New(cfg, &recorder{events: make(chan event, 1000), raw: make(chan rawXML, 100)})
	if err != nil {
		t.Fatal(err)
	}
	s.EnableQuery(func(cmd string) string { return "echo: " + cmd })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if t.Failed() {
			t.Logf("log:\n%s", logs.String())
		}
	})
	return s
}

// ask connects like spectrum2_manager: it answers the PING (with PONG and a STATS, as a
// backend would, to prove that it is not taken for one), sends one QUERY and returns the answer.
func ask(t *testing.T, s *Server, cmd string) string {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait)) //nolint:errcheck
	r, w := protocol.NewReader(c, 0), protocol.NewWriter(c)
	f, err := r.ReadFrame()
	if err != nil || f.Type != pb.WrapperMessage_TYPE_PING {
		t.Fatalf("first frame %v %v, want PING", f.Type, err)
	}
	w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_PONG, nil))                                           //nolint:errcheck
	w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_QUERY, &pb.BackendConfig{Config: proto.String(cmd)})) //nolint:errcheck
	for {
		f, err := r.ReadFrame()
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if f.Type != pb.WrapperMessage_TYPE_QUERY {
			continue
		}
		m, err := protocol.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		return m.(*pb.BackendConfig).GetConfig()
	}
}

func waitReady(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		st := s.Stats()
		if len(st.Backends) == 1 && st.Backends[0].State == stateReady.String() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no ready backend: %+v", s.Stats())
}

// TestQueryChannel: spectrum2_manager's QUERY (spec 1.8) is answered and the client is
// never taken for a backend (quirk 1 fixed).
func TestQueryChannel(t *testing.T) {
	s := startQuery(t, fakeBin)
	waitReady(t, s)
	if got := ask(t, s, "status"); got != "echo: status" {
		t.Errorf("answer %q", got)
	}
	if got := ask(t, s, "online_users_count"); got != "echo: online_users_count" {
		t.Errorf("answer %q", got)
	}
	if st := s.Stats(); len(st.Backends) != 1 {
		t.Errorf("backends after queries: %+v", st.Backends)
	}
}

// TestQueryWhileBackendStarts: a QUERY client that connects while a spawned backend is
// expected is recognised by its QUERY frame.
func TestQueryWhileBackendStarts(t *testing.T) {
	// A "backend" that never connects keeps a spawn pending for SpawnTimeout.
	script := filepath.Join(t.TempDir(), "silent.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec sleep 120\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := startQuery(t, script)
	deadline := time.Now().Add(wait)
	for len(s.Stats().Backends) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := ask(t, s, "uptime"); got != "echo: uptime" {
		t.Errorf("answer %q", got)
	}
	if st := s.Stats(); len(st.Backends) != 1 || st.Backends[0].State != stateStarting.String() {
		t.Errorf("the spawn is no longer pending: %+v", st.Backends)
	}
}

// TestQueryOffByDefault: without EnableQuery a stranger's connection is closed.
func TestQueryOffByDefault(t *testing.T) {
	h := start(t, Config{})
	h.login(t, "alice@localhost", "x")
	c, err := net.Dial("tcp", h.s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(wait)) //nolint:errcheck
	w := protocol.NewWriter(c)
	w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_QUERY, &pb.BackendConfig{Config: proto.String("status")})) //nolint:errcheck
	r := protocol.NewReader(c, 0)
	for {
		f, err := r.ReadFrame()
		if err != nil {
			return // closed without an answer
		}
		if f.Type == pb.WrapperMessage_TYPE_QUERY {
			t.Fatal("answered with the channel off")
		}
	}
}

func TestFirstWord(t *testing.T) {
	if firstWord("register a b secret") != "register" || firstWord("status") != "status" {
		t.Error("firstWord")
	}
}

// TestCrashedPIDs: a killed backend's pid is kept for the admin command crashed_backends.
func TestCrashedPIDs(t *testing.T) {
	h := start(t, Config{})
	h.login(t, "alice@localhost", "x")
	old := h.pids()[0]
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.next(t, "DISCONNECTED", is(pb.WrapperMessage_TYPE_DISCONNECTED, "alice@localhost"))
	if got := h.s.CrashedPIDs(); len(got) != 1 || got[0] != old {
		t.Errorf("CrashedPIDs = %v, want [%d]", got, old)
	}
	s := &Server{}
	for pid := range maxCrashed + 5 {
		s.noteCrashLocked(pid)
	}
	if got := s.CrashedPIDs(); len(got) != maxCrashed || got[0] != 5 {
		t.Errorf("bounded list: len %d first %d", len(got), got[0])
	}
}
