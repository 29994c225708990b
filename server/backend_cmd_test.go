package server_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/protocol"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/server"
)

func TestBackendUnknownNameIsUsageError(t *testing.T) {
	for _, args := range [][]string{{"backend", "nosuch"}, {"backend"}} {
		var stdout, stderr bytes.Buffer
		if code := server.Main(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2; stderr: %s", args, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "native backends: demo") {
			t.Errorf("%v: stderr does not list the native backends: %s", args, stderr.String())
		}
	}
}

// TestBackendDemoSpeaksTheProtocol runs `spectrum2 backend demo` with the argv the daemon
// gives a backend and plays the daemon: config, ping, login, exit.
func TestBackendDemoSpeaksTheProtocol(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := filepath.Join(t.TempDir(), "backend.cfg")
	if err := os.WriteFile(cfg, []byte("[demo]\ncontacts = 3\n[logging]\nlevel = warn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	code := make(chan int, 1)
	var stderr bytes.Buffer
	go func() {
		code <- server.Main([]string{"backend", "demo", "--host", "127.0.0.1", "--port", port,
			"--service.backend_id=1", cfg}, io.Discard, &stderr)
	}()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := protocol.NewReader(conn, 0), protocol.NewWriter(conn)
	expect := func(want pb.WrapperMessage_Type) {
		t.Helper()
		f, err := r.ReadFrame()
		if err != nil || f.Type != want {
			t.Fatalf("got %v (%v), want %v", f.Type, err, want)
		}
	}
	expect(pb.WrapperMessage_TYPE_BACKEND_CONFIG)
	w.WriteFrame(protocol.Frame{Type: pb.WrapperMessage_TYPE_PING})
	expect(pb.WrapperMessage_TYPE_PONG)
	expect(pb.WrapperMessage_TYPE_STATS)
	user, legacy, password := "a@localhost", "a", "pw"
	w.WriteFrame(protocol.MustEncode(pb.WrapperMessage_TYPE_LOGIN, &pb.Login{User: &user, LegacyName: &legacy, Password: &password}))
	expect(pb.WrapperMessage_TYPE_CONNECTED)
	for range 5 { // echo, clock, 3 contacts
		expect(pb.WrapperMessage_TYPE_BUDDY_CHANGED)
	}
	expect(pb.WrapperMessage_TYPE_ROOM_LIST)
	w.WriteFrame(protocol.Frame{Type: pb.WrapperMessage_TYPE_EXIT})
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("exit status %d; stderr: %s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("backend did not exit after EXIT")
	}
}
