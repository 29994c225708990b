package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options are the per-start settings of a server.
type Options struct {
	Contacts  int // generated demo contacts per user besides echo and clock (spectrum2 only)
	QueueSize int // stanzas queued per client connection (spectrum2 only; 0: its default)
	// StorageDriver and StorageDSN are [storage] (spectrum2 only; "": its default).
	StorageDriver, StorageDSN string
	// MAMOff turns the message archive off (spectrum2 only: [mam] enabled = false).
	MAMOff bool
	// ProsodyMAM turns Prosody's mod_mam on, its archive in SQL storage on the SQLite file
	// StorageDSN (Debian's lua-dbi-sqlite3), for the archive test (Prosody only; its other
	// runs have no archive).
	ProsodyMAM bool
	// Upload turns the HTTP upload service on (spectrum2 only: [upload] on a loopback port).
	Upload bool
	// ShippedBackends keeps the shipped service.users_per_backend (spectrum2 only; the bench
	// otherwise raises it so that one backend serves every session).
	ShippedBackends bool
	// UsersPerBackend, when not 0, is service.users_per_backend (spectrum2 only).
	UsersPerBackend int
	// Matrix, a homeserver's base URL, runs builtin:matrix against it instead of the demo
	// network (spectrum2 only; the homeserver on loopback).
	Matrix string
}

// Server is one XMPP server under test: started fresh, pinned to a core, for every
// measurement, and stopped by its PID.
type Server struct {
	Name   string
	Domain string
	Addr   string // STARTTLS listener
	CPU    int    // core the server is pinned to
	Dir    string // scratch directory: config, data, log

	// EchoBot tells whether Peer is a bot that returns messages unchanged (spectrum2's demo
	// "echo" contact) rather than another generator session that answers.
	EchoBot bool
	// Peer is the JID session i sends its messages to.
	Peer func(i int) string
	// Account is the login of session i.
	Account func(i int) Account
	// ProfileDir, when set, makes the login and closed-loop message tests record a perf
	// profile of the server there.
	ProfileDir string
	// HeapURL, when set, is where the server serves its Go heap profile (net/http/pprof).
	HeapURL string
	// BackendPprof, when set, is a loopback address the native backend serves Go's
	// profiler on (SPECTRUM2_BACKEND_PPROF; spectrum2 only, for the tail test's traces).
	BackendPprof string
	// Env is added to the server's environment (benchrun --server-env, e.g.
	// GODEBUG=gctrace=1 into its log).
	Env []string
	// configure writes the server's configuration and returns its command line.
	configure func(o Options) ([]string, error)

	cmd  *exec.Cmd
	done chan struct{}
	log  *os.File
}

// PID is the process id of the running server (taskset execs it in place).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Start starts a fresh server pinned to s.CPU and waits until its listener accepts.
func (s *Server) Start(ctx context.Context, o Options) error {
	argv, err := s.configure(o)
	if err != nil {
		return fmt.Errorf("configuring %s: %w", s.Name, err)
	}
	s.log, err = os.OpenFile(filepath.Join(s.Dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	args := append([]string{"-c", strconv.Itoa(s.CPU)}, argv...)
	s.cmd = exec.Command("taskset", args...)
	s.cmd.Dir = s.Dir
	if len(s.Env) > 0 || s.BackendPprof != "" {
		s.cmd.Env = append(os.Environ(), s.Env...)
		if s.BackendPprof != "" {
			s.cmd.Env = append(s.cmd.Env, "SPECTRUM2_BACKEND_PPROF="+s.BackendPprof)
		}
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.log.Close()
		return fmt.Errorf("starting %s: %w", s.Name, err)
	}
	s.done = make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return err
	}
	return nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for {
		select {
		case <-s.done:
			// The log's tail goes into the report: the scratch directory is gone after
			// the run (a start-up failure seen once in the IRC traffic test left nothing).
			return fmt.Errorf("%s exited during start-up (%s); see %s", s.Name, logTail(s.log.Name(), 600), s.log.Name())
		case <-ctx.Done():
			return fmt.Errorf("%s did not open %s: %w", s.Name, s.Addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
			c.Close()
			return nil
		}
	}
}

// Stop ends the server with SIGTERM, then SIGKILL to its process group after 20 s, and kills
// whatever of the group (backend processes) outlived it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pid := s.cmd.Process.Pid
	_ = syscall.Kill(pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-s.done
	}
	if err := syscall.Kill(-pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintf(os.Stderr, "bench: killing what is left of %s: %v\n", s.Name, err)
	}
	s.log.Close()
	s.cmd = nil
}

// profile starts perf on the server when profiling is on; nil otherwise.
func (s *Server) profile(name string) *Profile {
	if s.ProfileDir == "" {
		return nil
	}
	p, err := StartProfile(s.PID(), filepath.Join(s.ProfileDir, s.Name+"-"+name+".perf"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		return nil
	}
	return p
}

// stopProfile ends p (nil is allowed) and returns its top functions.
func stopProfile(p *Profile) string {
	if p == nil {
		return ""
	}
	top, err := p.Stop(25)
	if err != nil {
		return err.Error()
	}
	return top
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logTail is the last n bytes of the file at path, on one line, or what went wrong
// reading it.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.Join(strings.Fields(string(b)), " ")
}
