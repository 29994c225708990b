package pluginserver

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// serveConn runs one accepted connection. It is a backend only if a spawn is pending and
// the connection proves to be that child: its first STATS carries the child's pid (or
// the pid of a process in the child's process group, for wrappers that fork). Matching by
// pid rather than by arrival order means a stray client connecting while a backend starts
// cannot take its place. Anything else is closed and never receives users (spec 1.8
// quirk fixed).
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	s.mu.Lock()
	pending := s.startingLocked()
	s.mu.Unlock()
	if !pending {
		s.unexpected(c)
		return
	}
	w := protocol.NewWriter(deadlineConn{c})
	r := protocol.NewReader(c, s.cfg.MaxFrame)
	// spec 1.5 step 2: PING at once; backends answer PONG then STATS.
	if err := w.WriteFrame(protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_PING, nil)); err != nil {
		return
	}
	c.SetReadDeadline(time.Now().Add(s.cfg.SpawnTimeout)) //nolint:errcheck // a failure shows up as a read error
	b := s.identify(c, r, w)
	if b == nil {
		s.unexpected(c)
		return
	}
	c.SetReadDeadline(time.Time{}) //nolint:errcheck
	s.readLoop(b, r)
}

// identify reads frames until STATS and claims the starting backend whose pid it names.
// BACKEND_CONFIG, which backends send before anything else (spec 1.5 step 3), is kept and
// applied once the backend is known.
func (s *Server) identify(c net.Conn, r *protocol.Reader, w *protocol.Writer) *backend {
	var configs []string
	ponged := false // the PONG to serveConn's PING; shipped backends send it before STATS
	for {
		f, err := r.ReadFrame()
		if errors.Is(err, protocol.ErrBadFrame) {
			continue
		}
		if err != nil {
			return nil
		}
		if f.Type == pbnetwork.WrapperMessage_TYPE_PONG {
			ponged = true
			continue
		}
		if f.Type == pbnetwork.WrapperMessage_TYPE_QUERY && s.queryFrame(c, r, w, f) {
			return nil // a spectrum2_manager client, served and closed (query.go)
		}
		m, err := protocol.Decode(f)
		if err != nil {
			continue
		}
		switch m := m.(type) {
		case *pbnetwork.BackendConfig:
			configs = append(configs, m.GetConfig())
		case *pbnetwork.Stats:
			pid, _ := strconv.Atoi(strings.TrimSpace(m.GetId()))
			return s.claim(pid, c, w, m, configs, ponged)
		}
	}
}

// claim ties a connection to the starting backend with the given pid. ponged tells
// whether the first PING was answered; if not, its PONG is still to come and must not be
// taken for the answer to a later fence PING.
func (s *Server) claim(pid int, c net.Conn, w *protocol.Writer, st *pbnetwork.Stats, configs []string, ponged bool) *backend {
	pgid := pgidOf(pid)
	s.mu.Lock()
	b := s.startingWithPidLocked(pid, pgid)
	for b == nil && len(s.launches) > 0 {
		// The child can connect before its spawn returned and published the pid.
		s.launched.Wait()
		b = s.startingWithPidLocked(pid, pgid)
	}
	if b == nil {
		s.mu.Unlock()
		s.log.Warn().Int("claimed_pid", pid).Stringer("remote", c.RemoteAddr()).Msg("connection names no backend we spawned")
		return nil
	}
	b.conn, b.w = c, w
	b.state, b.acceptUsers = stateReady, true
	b.idleSince = time.Now()
	b.rss, b.initRes, b.shared = st.GetRes(), st.GetInitRes(), st.GetShared()
	s.failedSpawns = 0
	if !ponged {
		b.fence.pingSent()
	}
	for _, text := range configs {
		s.applyConfigLocked(b, text)
	}
	s.mu.Unlock()
	b.log.Info().Int("pid", b.pid).Msg("backend connected")
	s.kickDispatcher()
	return b
}

// startingWithPidLocked returns the starting backend whose process is pid or leads the
// process group pgid, or nil.
func (s *Server) startingWithPidLocked(pid, pgid int) *backend {
	for _, x := range s.backends {
		if x.state == stateStarting && pid > 0 && (x.pid == pid || x.pid == pgid) {
			return x
		}
	}
	return nil
}

// pgidOf reads a process's group from /proc (field 5 of /proc/PID/stat), or -1.
func pgidOf(pid int) int {
	if pid <= 0 {
		return -1
	}
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) is in parentheses and may contain anything.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return -1
	}
	fields := strings.Fields(string(data[i+1:]))
	if len(fields) < 3 {
		return -1
	}
	pgid, err := strconv.Atoi(fields[2])
	if err != nil {
		return -1
	}
	return pgid
}

// applyConfigLocked merges one BACKEND_CONFIG (spec 1.7).
func (s *Server) applyConfigLocked(b *backend, text string) {
	if err := s.config.merge(text); err != nil {
		b.log.Warn().Err(err).Msg("ignoring BACKEND_CONFIG")
		return
	}
	s.features = s.config.features()
}

// readLoop delivers a backend's frames until its connection ends, which is a crash
// unless the backend was retiring or we are shutting down.
func (s *Server) readLoop(b *backend, r *protocol.Reader) {
	for {
		f, err := r.ReadFrame()
		if errors.Is(err, protocol.ErrBadFrame) {
			// spec 1.4: drop the frame, keep reading.
			b.log.Warn().Err(err).Msg("skipping malformed frame")
			continue
		}
		if err != nil {
			reason := "connection closed"
			if !errors.Is(err, io.EOF) {
				reason = "connection: " + err.Error()
			}
			s.fail(b, reason)
			return
		}
		s.handleFrame(b, f)
	}
}

// handleFrame handles one frame from an identified backend.
func (s *Server) handleFrame(b *backend, f protocol.Frame) {
	s.mu.Lock()
	b.pingOutstanding = false // any frame counts as a PONG (spec 1.4)
	s.mu.Unlock()
	switch f.Type {
	case pbnetwork.WrapperMessage_TYPE_PONG:
		s.onPong(b)
		return
	case pbnetwork.WrapperMessage_TYPE_PING:
		return
	case pbnetwork.WrapperMessage_TYPE_RAW_XML:
		s.h.HandleRawXML(b.name, bytes.Clone(f.Payload))
		return
	case pbnetwork.WrapperMessage_TYPE_QUERY:
		b.log.Debug().Msg("ignoring QUERY from a backend")
		return
	}
	m, err := protocol.Decode(f)
	if err != nil || m == nil {
		// spec 1.4 quirk fixed: an unknown type is skipped, the frames behind it still flow.
		b.log.Warn().Err(err).Int32("type", int32(f.Type)).Msg("skipping frame")
		return
	}
	switch m := m.(type) {
	case *pbnetwork.Stats:
		s.mu.Lock()
		b.rss, b.initRes, b.shared = m.GetRes(), m.GetInitRes(), m.GetShared()
		s.mu.Unlock()
		return
	case *pbnetwork.BackendConfig:
		s.mu.Lock()
		s.applyConfigLocked(b, m.GetConfig())
		s.mu.Unlock()
		return
	}
	user := protocol.User(m)
	if !s.owns(b, user, f.Type) {
		b.log.Debug().Str("user", user).Stringer("type", f.Type).Msg("dropping frame about a user this backend does not serve")
		return
	}
	s.h.HandleBackendMessage(user, f.Type, m)
}

// owns reports whether frames about user from b are to be delivered: b must serve the
// user (or the frame names nobody, like a global ROOM_LIST). DISCONNECTED detaches.
func (s *Server) owns(b *backend, user string, t pbnetwork.WrapperMessage_Type) bool {
	if user == "" {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users[user] != b {
		return false
	}
	switch t {
	case pbnetwork.WrapperMessage_TYPE_DISCONNECTED:
		s.detachLocked(b, user)
	case pbnetwork.WrapperMessage_TYPE_CONNECTED:
		s.loggedInLocked(b, user) // quarantine.go
	}
	return true
}
