package test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	xmpp "github.com/xmppo/go-xmpp"

	// The binary under test is built by TestMain; importing what it is made of ties the
	// cached result of this package to that code, so that `go test` does not report a pass
	// from before a change.
	_ "github.com/gospectrum/spectrum2/server"
)

// binary is the spectrum2 binary built once by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spectrum2-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "spectrum2")
	build := exec.Command("go", "build", "-race", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building spectrum2:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Server is one running spectrum2 daemon started by a test.
type Server struct {
	t       testing.TB
	Dir     string
	Port    int // STARTTLS
	TLSPort int // direct TLS
	cmd     *exec.Cmd
	log     *syncBuffer
	done    chan struct{}
	secrets []string
}

// syncBuffer collects the daemon's output.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// StartServer writes a config (the base below plus extra TOML appended per section, given
// as complete "[section]\nkey = value" blocks) and starts the daemon with the demo network.
func StartServer(t testing.TB, extra string) *Server {
	t.Helper()
	return StartServerWith(t, "builtin:demo", extra)
}

// StartServerWith is StartServer with another service.backend (e.g. "builtin:irc").
func StartServerWith(t testing.TB, backend, extra string) *Server {
	t.Helper()
	// freePort's port is free when it returns, not when the daemon binds it: another test's
	// outgoing connection may take it in between (go test runs packages side by side). A
	// daemon that found its client port taken is started again on other ports.
	for attempt := 1; ; attempt++ {
		s := startServerOnce(t, backend, extra)
		if err := s.ready(); err == nil {
			return s
		} else if attempt == 5 || !strings.Contains(s.log.String(), "address already in use") {
			t.Fatal(err)
		} else {
			t.Logf("start %d: %v; again on other ports", attempt, err)
		}
	}
}

// startServerOnce writes the configuration and starts the daemon on two fresh ports.
func startServerOnce(t testing.TB, backend, extra string) *Server {
	t.Helper()
	s := &Server{t: t, Dir: t.TempDir(), Port: freePort(t), log: &syncBuffer{}, done: make(chan struct{})}
	// A port closed by freePort may be handed out again at once: take another one.
	for s.TLSPort = freePort(t); s.TLSPort == s.Port; s.TLSPort = freePort(t) {
	}
	cfg := fmt.Sprintf(`[service]
jid = "localhost"
server = "127.0.0.1"
port = %d
tls_port = %d
backend = %q
data_dir = %q
working_dir = %q
%s
[logging]
level = "debug"
format = "json"
`, s.Port, s.TLSPort, backend, filepath.Join(s.Dir, "data"), filepath.Join(s.Dir, "run"), serviceExtra(extra))
	cfg += otherExtra(extra)
	path := filepath.Join(s.Dir, "spectrum2.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(binary, "run", "--config", path)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(s.Stop)
	return s
}

// serviceExtra and otherExtra split extra TOML into lines for [service] (before any header)
// and the rest.
func serviceExtra(extra string) string {
	if i := sectionStart(extra); i >= 0 {
		return extra[:i]
	}
	return extra
}

func otherExtra(extra string) string {
	if i := sectionStart(extra); i >= 0 {
		return "\n" + extra[i:]
	}
	return ""
}

// sectionStart is where the first "[section]" line of extra begins, -1 if none; a "[" in
// a value (an array) is not one.
func sectionStart(extra string) int {
	if strings.HasPrefix(extra, "[") {
		return 0
	}
	if i := strings.Index(extra, "\n["); i >= 0 {
		return i + 1
	}
	return -1
}

func (s *Server) waitReady() {
	s.t.Helper()
	if err := s.ready(); err != nil {
		s.t.Fatal(err)
	}
}

// ready waits until the daemon accepts clients; an error when it exited first or took
// longer than 60 s.
func (s *Server) ready() error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return fmt.Errorf("spectrum2 exited during start-up:\n%s", s.log.String())
		default:
		}
		c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("spectrum2 did not open %s within 60 s:\n%s", s.Addr(), s.log.String())
}

// Addr is the STARTTLS address.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// TLSAddr is the direct-TLS address.
func (s *Server) TLSAddr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TLSPort)) }

// Log is what the daemon has written so far.
func (s *Server) Log() string { return s.log.String() }

// Stop ends the daemon with SIGTERM (SIGKILL after 20 s) and checks that no password used
// by the test appears in any log line and that no backend process outlived it.
func (s *Server) Stop() {
	if s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			s.t.Errorf("spectrum2 did not stop within 20 s of SIGTERM")
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
	}
	log := s.log.String()
	for _, p := range s.secrets {
		if strings.Contains(log, p) {
			s.t.Errorf("a password used in this test appears in the log")
		}
	}
	if s.t.Failed() {
		s.t.Logf("spectrum2 log:\n%s", tail(log, 200))
	}
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// Password returns a fresh password that the log check at Stop looks for.
func (s *Server) Password() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	p := "pw-" + hex.EncodeToString(b)
	s.secrets = append(s.secrets, p)
	return p
}

// CertPool trusts the self-signed certificate the daemon generated in its data dir.
func (s *Server) CertPool() *x509.CertPool {
	pem, err := os.ReadFile(filepath.Join(s.Dir, "data", "cert.pem"))
	if err != nil {
		s.t.Fatalf("reading the generated certificate: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		s.t.Fatal("generated certificate does not parse")
	}
	return pool
}

// Dial logs user (a bare JID such as "alice%demo@localhost") in with go-xmpp over
// STARTTLS, or direct TLS when direct is true.
func (s *Server) Dial(user, password, resource string, direct bool) (*xmpp.Client, error) {
	o := xmpp.Options{
		Host:        s.Addr(),
		User:        user,
		Password:    password,
		Resource:    resource,
		NoTLS:       true,
		StartTLS:    true,
		DialTimeout: 10 * time.Second,
		TLSConfig:   &tls.Config{ServerName: "localhost", RootCAs: s.CertPool()},
		Mechanism:   "PLAIN",
	}
	if direct {
		o.Host, o.NoTLS, o.StartTLS = s.TLSAddr(), false, false
	}
	return o.NewClient()
}

// MustDial is Dial that fails the test on error and closes the client at cleanup.
func (s *Server) MustDial(user, password, resource string) *xmpp.Client {
	s.t.Helper()
	c, err := s.Dial(user, password, resource, false)
	if err != nil {
		s.t.Fatalf("login as %s: %v", user, err)
	}
	s.t.Cleanup(func() { CloseClient(s.t, c) })
	return c
}

// listeners maps a client to its Stanzas, so that CloseClient can let the reader finish
// before go-xmpp's Close reads the stream itself (two readers would race).
var listeners sync.Map // *xmpp.Client -> *Stanzas

// CloseClient ends c's stream and closes it. If Listen is reading c, it sends
// </stream:stream> and waits for the server's end of the stream first.
func CloseClient(t testing.TB, c *xmpp.Client) {
	v, ok := listeners.LoadAndDelete(c)
	if !ok {
		_ = c.Close()
		return
	}
	in := v.(*Stanzas)
	_, _ = c.SendOrg("</stream:stream>")
	deadline := time.After(30 * time.Second)
	for {
		select {
		case _, open := <-in.ch:
			if !open {
				_ = c.Close()
				return
			}
		case <-deadline:
			t.Errorf("the server did not end the stream within 30 s")
			return
		}
	}
}

// Stanzas reads from c in the background; Wait takes what a test waits for. Stanzas that
// did not match one Wait stay for the next, so the order of two awaited stanzas does not matter.
type Stanzas struct {
	ch      chan any
	backlog []any
}

// Listen starts reading c until it fails.
func Listen(c *xmpp.Client) *Stanzas {
	s := &Stanzas{ch: make(chan any, 10000)}
	listeners.Store(c, s)
	go func() {
		defer close(s.ch)
		for {
			st, err := c.Recv()
			if err != nil {
				s.ch <- err
				return
			}
			s.ch <- st
		}
	}()
	return s
}

// Wait returns the first stanza for which match is true, failing after timeout.
func (s *Stanzas) Wait(t testing.TB, what string, timeout time.Duration, match func(any) bool) any {
	t.Helper()
	for i, st := range s.backlog {
		if match(st) {
			s.backlog = append(s.backlog[:i], s.backlog[i+1:]...)
			return st
		}
	}
	deadline := time.After(timeout)
	for {
		select {
		case st, ok := <-s.ch:
			if !ok {
				t.Fatalf("waiting for %s: connection closed", what)
			}
			if err, isErr := st.(error); isErr {
				t.Fatalf("waiting for %s: %v", what, err)
			}
			if match(st) {
				return st
			}
			if len(s.backlog) < 20000 {
				s.backlog = append(s.backlog, st)
			}
		case <-deadline:
			t.Fatalf("waiting for %s: nothing within %v", what, timeout)
		}
	}
}
