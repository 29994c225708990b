package pluginserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Bounds on what a connection may send before its handshake (PING, PONG, BACKEND_CONFIG,
// STATS; spec 1.5) completes: shipped backends send a few small frames.
const (
	handshakeBytes  = 256 << 10
	handshakeFrames = 64
)

// errHandshakeBudget: a connection sent more than handshakeBytes before its STATS.
var errHandshakeBudget = errors.New("pluginserver: more than 256 KiB before the handshake completed")

// serveConn runs one accepted connection. It is a backend only if it proves to be the
// child of a pending spawn. On Linux that proof comes before any frame is read or sent:
// the other end of the connection must be a socket held by the spawned process or one of
// its descendants (peer_linux.go), which no other local process can fake, unlike the pid
// in STATS (/proc shows every pid). Elsewhere the first STATS must carry the child's pid
// (or the pid of a process in the child's process group, for wrappers that fork).
// Anything else is closed and never receives users (spec 1.8 quirk fixed); with the QUERY
// channel on, it may be a spectrum2_manager client instead (query.go).
func (s *Server) serveConn(c net.Conn) {
	defer c.Close()
	var owner *backend
	if socketOwnership {
		if owner = s.ownerOf(c); owner == nil {
			s.unexpected(c)
			return
		}
	} else {
		s.mu.Lock()
		pending := s.startingLocked()
		s.mu.Unlock()
		if !pending {
			s.unexpected(c)
			return
		}
	}
	budget := &budgetReader{r: c, left: handshakeBytes}
	w := protocol.NewWriter(deadlineConn{c})
	r := protocol.NewReader(budget, s.cfg.MaxFrame)
	// spec 1.5 step 2: PING at once; backends answer PONG then STATS.
	if err := w.WriteFrame(protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_PING, nil)); err != nil {
		return
	}
	c.SetReadDeadline(time.Now().Add(s.cfg.SpawnTimeout)) //nolint:errcheck // a failure shows up as a read error
	b, err := s.identify(owner, c, r, w)
	if b == nil {
		if owner == nil && err == nil {
			s.unexpected(c)
		} else if err != nil {
			s.log.Warn().Err(err).Stringer("remote", c.RemoteAddr()).Msg("closing a backend connection before its handshake completed")
		}
		return
	}
	budget.left = -1               // handshake done: frames are bounded by MaxFrame from here
	c.SetReadDeadline(time.Time{}) //nolint:errcheck
	s.readLoop(b, r)
}

// ownerOf returns the starting backend whose process tree holds the other end of c, or
// nil. The child may connect before its fork/exec returned and published its pid
// (spawn.go): while spawns are launching, it waits for them and looks again.
func (s *Server) ownerOf(c net.Conn) *backend {
	p, err := peerOf(c)
	if err != nil {
		s.log.Debug().Err(err).Stringer("remote", c.RemoteAddr()).Msg("the other end of a backend-port connection")
		return nil
	}
	for range 16 { // each round waits for one launch to end; bounded all the same
		s.mu.Lock()
		var cands []*backend
		for _, b := range s.backends {
			if b.state == stateStarting && b.pid > 0 {
				cands = append(cands, b)
			}
		}
		launching := len(s.launches) > 0
		s.mu.Unlock()
		for _, b := range cands { // reading /proc, without s.mu
			if holds(b.pid, p.inode) {
				return b
			}
		}
		if !launching {
			return nil
		}
		s.mu.Lock()
		if len(s.launches) > 0 {
			s.launched.Wait()
		}
		s.mu.Unlock()
	}
	return nil
}

// budgetReader bounds what a connection may send before its handshake completes; left < 0
// lifts the bound. Only the connection's reader goroutine uses it.
type budgetReader struct {
	r    io.Reader
	left int
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left < 0 {
		return b.r.Read(p)
	}
	if b.left == 0 {
		return 0, errHandshakeBudget
	}
	if len(p) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= n
	return n, err
}

// identify reads frames until STATS and claims the starting backend: owner (the one that
// proved its socket) or, without socket ownership, the one whose pid STATS names.
// BACKEND_CONFIG, which backends send before anything else (spec 1.5 step 3), is kept and
// applied once the backend is known. At most handshakeFrames frames and handshakeBytes
// bytes come before STATS; past that, or on a read error, identify returns the error.
func (s *Server) identify(owner *backend, c net.Conn, r *protocol.Reader, w *protocol.Writer) (*backend, error) {
	var configs []string
	ponged := false // the PONG to serveConn's PING; shipped backends send it before STATS
	for range handshakeFrames {
		f, err := r.ReadFrame()
		if errors.Is(err, protocol.ErrBadFrame) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if f.Type == pbnetwork.WrapperMessage_TYPE_PONG {
			ponged = true
			continue
		}
		if owner == nil && f.Type == pbnetwork.WrapperMessage_TYPE_QUERY && s.queryFrame(c, r, w, f) {
			return nil, nil // a spectrum2_manager client, served and closed (query.go)
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
			return s.claim(owner, pid, c, m, configs, ponged), nil
		}
	}
	return nil, fmt.Errorf("pluginserver: %d frames without STATS", handshakeFrames)
}

// claim ties a connection to a starting backend: owner, or without socket ownership the
// one with the given pid. ponged tells whether the first PING was answered; if not, its
// PONG is still to come and must not be taken for the answer to a later fence PING.
// From here on every frame to the backend goes through its outbound queue and writer
// goroutine (outq.go).
func (s *Server) claim(owner *backend, pid int, c net.Conn, st *pbnetwork.Stats, configs []string, ponged bool) *backend {
	s.mu.Lock()
	b := owner
	if b == nil {
		pgid := pgidOf(pid)
		b = s.startingWithPidLocked(pid, pgid)
		for b == nil && len(s.launches) > 0 {
			// The child can connect before its spawn returned and published the pid.
			s.launched.Wait()
			b = s.startingWithPidLocked(pid, pgid)
		}
	} else if b.state != stateStarting {
		b = nil // a second connection of the same child, or the spawn timed out
	}
	if b == nil {
		s.mu.Unlock()
		s.log.Warn().Int("claimed_pid", pid).Stringer("remote", c.RemoteAddr()).Msg("connection names no backend we spawned")
		return nil
	}
	b.conn, b.q = c, newOutq(s.cfg.QueueFrames, s.cfg.QueueBytes)
	s.wg.Go(func() { s.writeLoop(b, c) })
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

// Bounds on BACKEND_CONFIG, at any time: a backend announces a handful of keys once
// (spec 1.7), so anything larger is no configuration.
const (
	maxConfigBytes  = 64 << 10
	maxConfigFrames = 64
)

// applyConfigLocked merges one BACKEND_CONFIG (spec 1.7) and notes whether this backend
// announced raw XML. Frames past maxConfigFrames or larger than maxConfigBytes are
// ignored and counted.
func (s *Server) applyConfigLocked(b *backend, text string) {
	b.configs++
	if len(text) > maxConfigBytes || b.configs > maxConfigFrames {
		s.dropLocked(DropConfig)
		b.log.Warn().Int("bytes", len(text)).Int("frames", b.configs).Msg("ignoring BACKEND_CONFIG past its bounds")
		return
	}
	raw, err := s.config.merge(text)
	if err != nil {
		s.dropLocked(DropConfig)
		b.log.Warn().Err(err).Msg("ignoring BACKEND_CONFIG")
		return
	}
	if raw != nil {
		b.rawXML = *raw
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
		s.mu.Lock()
		ok := b.rawXML
		if !ok {
			s.dropLocked(DropRawXML)
		}
		s.mu.Unlock()
		if !ok {
			b.log.Warn().Int("bytes", len(f.Payload)).Msg("dropping RAW_XML from a backend that did not announce features.rawxml")
			return
		}
		// The Handler parses the XML and asks Serves about the user it names.
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
		b.log.Warn().Str("user", user).Stringer("type", f.Type).Msg("dropping frame about a user this backend does not serve")
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
		s.dropLocked(DropForeign)
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

// Serves reports whether the backend named backend ("backend-3", as in HandleRawXML)
// serves user, for RAW_XML: pluginserver knows no XML, so the Handler finds the user a
// RAW_XML stanza is for and asks here before delivering it. A false answer is logged at
// warn and counted as DropForeign, as for the typed frames.
func (s *Server) Serves(backend, user string) bool {
	s.mu.Lock()
	b := s.users[user]
	ok := b != nil && b.name == backend && b.live()
	if !ok {
		s.dropLocked(DropForeign)
	}
	s.mu.Unlock()
	if !ok {
		s.log.Warn().Str("backend", backend).Str("user", user).Msg("dropping RAW_XML about a user this backend does not serve")
	}
	return ok
}
