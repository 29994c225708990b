package pluginserver

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/proto"

	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// fakeBin is the fakebackend binary built once for all tests.
var fakeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginserver-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fakeBin = filepath.Join(dir, "fakebackend")
	build := exec.Command("go", "build", "-o", fakeBin, "./testdata/fakebackend")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building fakebackend:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// event is one HandleBackendMessage call, or with lost set one HandleUndelivered call.
type event struct {
	user string
	t    pb.WrapperMessage_Type
	m    proto.Message
	lost bool
}

// recorder is a Handler that queues what it gets.
type recorder struct {
	events chan event
	raw    chan rawXML
}

// rawXML is one HandleRawXML call.
type rawXML struct {
	backend string
	data    []byte
}

func (r *recorder) HandleBackendMessage(user string, t pb.WrapperMessage_Type, m proto.Message) {
	r.events <- event{user, t, m, false}
}

// HandleUndelivered queues into the same channel, so tests see the order relative to
// DISCONNECTED.
func (r *recorder) HandleUndelivered(user string, t pb.WrapperMessage_Type, m proto.Message) {
	r.events <- event{user, t, m, true}
}

func (r *recorder) HandleRawXML(backend string, data []byte) { r.raw <- rawXML{backend, data} }

// syncBuffer collects the log; the backends' output arrives there too.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a running Server with its recorder and log.
type harness struct {
	s      *Server
	rec    *recorder
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// wait is the generous upper bound for anything to happen (CI has 2 shared cores).
const wait = 30 * time.Second

// start runs a Server with cfg; Backend defaults to the fakebackend, ConfigFile to a
// generated INI file. The Server is stopped when the test ends.
func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	return startWith(t, cfg, nil)
}

// startWith is start with a hook that may change the Server between New and Run.
func startWith(t *testing.T, cfg Config, before func(*Server)) *harness {
	t.Helper()
	if cfg.Backend == "" {
		cfg.Backend = fakeBin
	}
	if cfg.ConfigFile == "" {
		cfg.ConfigFile = filepath.Join(t.TempDir(), "backend.cfg")
		if err := os.WriteFile(cfg.ConfigFile, []byte("[service]\njid = localhost\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.grace == 0 {
		cfg.grace = time.Second // ShutdownGrace's 5s would only slow the tests down
	}
	logs := &syncBuffer{}
	cfg.Log = zerolog.New(logs).Level(zerolog.DebugLevel)
	rec := &recorder{events: make(chan event, 1000), raw: make(chan rawXML, 100)}
	s, err := New(cfg, rec)
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{s: s, rec: rec, logs: logs, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		h.stop(t)
		if t.Failed() {
			t.Log(logs.String())
		}
	})
	return h
}

// stop ends Run and waits for it (idempotent).
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	select {
	case err, ok := <-h.done:
		if ok && err != nil {
			t.Errorf("Run: %v", err)
		}
		if ok {
			close(h.done)
		}
	case <-time.After(wait):
		t.Fatal("Run did not return")
	}
}

// next waits for the first event matching ok, discarding others.
func (h *harness) next(t *testing.T, what string, ok func(event) bool) event {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e := <-h.rec.events:
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

// is matches events of type typ about user.
func is(typ pb.WrapperMessage_Type, user string) func(event) bool {
	return func(e event) bool { return !e.lost && e.t == typ && e.user == user }
}

// login logs user in and waits for CONNECTED.
func (h *harness) login(t *testing.T, user, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	legacy := strings.SplitN(user, "@", 2)[0]
	if err := h.s.Login(ctx, &pb.Login{User: &user, LegacyName: &legacy, Password: &password}); err != nil {
		t.Fatalf("Login %s: %v", user, err)
	}
	if password != "wrong" {
		h.next(t, "CONNECTED for "+user, is(pb.WrapperMessage_TYPE_CONNECTED, user))
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pids lists the pids of the backends the Server knows.
func (h *harness) pids() []int {
	var out []int
	for _, b := range h.s.Stats().Backends {
		out = append(out, b.PID)
	}
	return out
}

// readyBackends counts the backends in state ready.
func (h *harness) readyBackends() int {
	n := 0
	for _, b := range h.s.Stats().Backends {
		if b.State == "ready" {
			n++
		}
	}
	return n
}

// alive reports whether a process exists (a zombie counts: it was not reaped).
func alive(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// cmdline reads a process's argv.
func cmdline(t *testing.T, pid int) []string {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
}
