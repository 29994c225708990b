package pluginserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// command builds the backend's command line (spec 2.2):
// `BACKEND --host H --port P --service.backend_id=N CONFIG`, or for builtin:NAME
// `Self backend NAME --host H --port P --service.backend_id=N CONFIG`. There is no PATH
// lookup; a relative path is relative to WorkingDir, as with Spectrum 2's execv.
func (s *Server) command(id int) (*exec.Cmd, error) {
	ids := strconv.Itoa(id)
	tail := []string{"--host", s.cfg.Host, "--port", strconv.Itoa(s.port), "--service.backend_id=" + ids}
	if s.cfg.ConfigFile != "" {
		tail = append(tail, s.cfg.ConfigFile)
	}
	var argv []string
	if name, ok := strings.CutPrefix(s.cfg.Backend, "builtin:"); ok {
		argv = []string{s.cfg.Self, "backend", name}
	} else {
		words, err := splitArgs(strings.ReplaceAll(s.cfg.Backend, "BACKEND_ID", ids))
		if err != nil {
			return nil, err
		}
		argv = words
	}
	argv = append(argv, tail...)
	var env []string // nil: ours
	if len(s.cfg.Env) > 0 {
		env = append(os.Environ(), s.cfg.Env...)
	}
	return &exec.Cmd{
		Path: argv[0],
		Args: argv,
		Env:  env,
		Dir:  s.cfg.WorkingDir,
		// Own process group: a hung backend and whatever it started die with one kill.
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		// Grandchildren keeping stdout open must not keep Wait from returning.
		WaitDelay: time.Second,
	}, nil
}

// splitArgs splits service.backend like a shell (Spectrum 2 uses popt's
// poptParseArgvString): whitespace separates words; single and double quotes group;
// a backslash escapes the next character outside single quotes.
func splitArgs(line string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, fmt.Errorf("pluginserver: service.backend %q: unterminated quote or escape", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("pluginserver: service.backend is empty")
	}
	return words, nil
}

// spawnLocked starts one backend, shared or (solo != "") reserved for one quarantined
// user (quarantine.go). The caller holds s.mu and has checked !s.closing.
// fork/exec runs in its own goroutine, without s.mu (doc.go: nobody waits for a process
// while holding it): a slow exec (a large binary on a slow disk, a loaded host) must not
// stop Send, Stats or the reader goroutines meanwhile. Until it has returned, the spawn
// counts as starting (s.launches), so there is still one shared spawn at a time; the
// backend joins s.backends only once its pid is known, so the pid never changes under a
// reader.
func (s *Server) spawnLocked(solo string) {
	if n := s.cfg.MaxBackends; n > 0 && len(s.backends)+len(s.launches) >= n {
		s.refuseLoginsLocked(solo, fmt.Errorf("%w (%d)", ErrMaxBackends, n))
		return
	}
	s.nextID++
	id := s.nextID
	b := &backend{
		id: id, name: "backend-" + strconv.Itoa(id), exited: make(chan struct{}), solo: solo,
		state: stateStarting, spawnedAt: time.Now(), users: make(map[string]string),
		pending: make(map[string]struct{}),
	}
	b.log = s.log.With().Str("backend", b.name).Logger()
	if solo != "" {
		b.log = b.log.With().Str("quarantined_user", solo).Logger()
	}
	cmd, err := s.command(id)
	if err != nil {
		s.spawnFailedLocked(solo, err)
		return
	}
	s.launches = append(s.launches, b)
	s.wg.Go(func() { s.launch(b, cmd) })
}

// ErrMaxBackends is returned (wrapped) by Login when every backend is full and
// limits.max_backends of them run already.
var ErrMaxBackends = errors.New("pluginserver: limits.max_backends reached")

// refuseLoginsLocked fails the logins that wait for the backend that may not start:
// like spawnFailedLocked, but no failed spawn (no back-off), and at warn.
func (s *Server) refuseLoginsLocked(solo string, err error) {
	if len(s.waiting) == 0 {
		s.log.Debug().Err(err).Msg("no spare backend started")
		return
	}
	s.log.Warn().Err(err).Int("waiting", len(s.waiting)).Msg("logins refused: no backend may start")
	s.waiting = slices.DeleteFunc(s.waiting, func(w *waiter) bool {
		if solo != "" && w.login.GetUser() != solo {
			return false
		}
		w.taken = true
		w.done <- err
		return true
	})
}

// MaxBackends is limits.max_backends (0: no limit).
func (s *Server) MaxBackends() int { return s.cfg.MaxBackends }

// launch runs fork/exec for b without s.mu, then publishes b (or fails the spawn) and
// wakes a claim waiting for the pid (conn.go).
func (s *Server) launch(b *backend, cmd *exec.Cmd) {
	stdout, stderr := &lineLog{log: b.log, stream: "stdout"}, &lineLog{log: b.log, stream: "stderr"}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := s.start(cmd)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.launches = slices.DeleteFunc(s.launches, func(x *backend) bool { return x == b })
	s.launched.Broadcast()
	if err != nil {
		s.spawnFailedLocked(b.solo, fmt.Errorf("pluginserver: starting %s: %w", cmd.Path, err))
		return
	}
	b.pid = cmd.Process.Pid
	s.spawns++
	s.backends = append(s.backends, b)
	b.log.Info().Int("pid", b.pid).Strs("argv", cmd.Args).Msg("backend spawned")
	if s.closing {
		// Shutdown began during the exec and did not see b: kill it here. The reaper
		// below is in s.wg, so Run still returns only after it was reaped.
		s.killGroup(b)
	}
	s.wg.Go(func() {
		err := cmd.Wait()
		stdout.flush()
		stderr.flush()
		close(b.exited)
		s.childExited(b, err)
	})
}

// childExited logs how a backend process ended and cleans up after it.
func (s *Server) childExited(b *backend, err error) {
	ev := b.log.Info()
	reason := "exited"
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		ev = b.log.Warn()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			reason = "signal " + ws.Signal().String()
		} else {
			reason = "exit status " + strconv.Itoa(ee.ExitCode())
		}
	} else if err != nil {
		ev = b.log.Warn().Err(err)
	} else {
		reason = "exit status 0"
	}
	ev.Int("pid", b.pid).Str("status", reason).Msg("backend process ended")
	s.fail(b, "process "+reason)
}

// killGroup sends SIGKILL to the backend's process group unless it has been reaped (its
// pid could be reused afterwards).
func (s *Server) killGroup(b *backend) {
	if b.reaped() || b.pid <= 0 {
		return
	}
	if err := syscall.Kill(-b.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		b.log.Warn().Err(err).Msg("killing the backend's process group")
	}
}

// lineLog writes a child's output into the log line by line. exec.Cmd copies each stream
// from one goroutine, so it needs no lock; flush runs after Wait, when copying is over.
type lineLog struct {
	log    zerolog.Logger
	stream string
	buf    []byte
}

func (l *lineLog) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	if len(l.buf) > 64<<10 { // a runaway line without newline
		l.flush()
	}
	return len(p), nil
}

func (l *lineLog) flush() {
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = nil
	}
}

func (l *lineLog) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	// A backend that logs JSON (ours do when their stderr is not a terminal) is logged as
	// one of our records, at its level, with its fields: written in our format once, not
	// a record of theirs nested in ours.
	if len(line) > 0 && line[0] == '{' && l.embed(line) {
		return
	}
	l.log.Info().Str("stream", l.stream).Msg(string(line))
}

// ownFields are the fields of a backend's JSON record that ours replace: our time and
// level, and the backend=backend-N and component of our logger (the native backends name
// themselves component=backend backend=NAME backend_id=N).
var ownFields = map[string]bool{
	zerolog.TimestampFieldName: true, zerolog.LevelFieldName: true, zerolog.MessageFieldName: true,
	"component": true, "backend": true, "backend_id": true,
}

// embed logs one JSON record of the backend; false when line is not a JSON object.
func (l *lineLog) embed(line []byte) bool {
	var rec map[string]json.RawMessage
	if json.Unmarshal(line, &rec) != nil {
		return false
	}
	level := zerolog.InfoLevel
	var name, msg string
	if json.Unmarshal(rec[zerolog.LevelFieldName], &name) == nil {
		if lv, err := zerolog.ParseLevel(name); err == nil && lv != zerolog.NoLevel {
			level = lv
		}
	}
	if json.Unmarshal(rec[zerolog.MessageFieldName], &msg) != nil || msg == "" {
		msg = "backend log"
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		if !ownFields[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	ev := l.log.WithLevel(level)
	for _, k := range keys {
		ev = ev.RawJSON(k, rec[k])
	}
	ev.Msg(msg)
	return true
}
