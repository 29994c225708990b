package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// demoConfig is the [service] and [logging] of a demo daemon on s's ports with the log
// format given, data_dir and working_dir under dir.
func demoConfig(s *Server, dir, format string) string {
	return fmt.Sprintf(`[service]
jid = "localhost"
server = "127.0.0.1"
port = %d
tls_port = %d
backend = "builtin:demo"
data_dir = %q
working_dir = %q

[logging]
level = "info"
format = %q
`, s.Port, s.TLSPort, filepath.Join(dir, "data"), filepath.Join(dir, "data", "run"), format)
}

// StartWithConfig starts the daemon with the config that cfg writes for the server's
// ports (see demoConfig) and waits until it accepts clients.
func StartWithConfig(t testing.TB, cfg func(s *Server) string) *Server {
	t.Helper()
	s := newServer(t)
	path := filepath.Join(s.Dir, "spectrum2.toml")
	if err := os.WriteFile(path, []byte(cfg(s)), 0o600); err != nil {
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
	s.waitReady()
	return s
}

// newServer picks the ports and the directory of a daemon not started yet.
func newServer(t testing.TB) *Server {
	s := &Server{t: t, Dir: t.TempDir(), Port: freePort(t), log: &syncBuffer{}, done: make(chan struct{})}
	for s.TLSPort = freePort(t); s.TLSPort == s.Port; s.TLSPort = freePort(t) {
	}
	return s
}
