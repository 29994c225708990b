package pluginserver

import (
	"errors"
	"net"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// queryIdle is how long a QUERY connection may stay silent before it is closed.
const queryIdle = 30 * time.Second

// maxQueries bounds the commands one QUERY connection may run.
const maxQueries = 100

// maxCrashed bounds the crashed backends' pids kept for crashed_backends.
const maxCrashed = 100

// noteCrashLocked remembers the pid of a crashed backend; s.mu is held.
func (s *Server) noteCrashLocked(pid int) {
	if len(s.crashed) == maxCrashed {
		s.crashed = append(s.crashed[:0], s.crashed[1:]...)
	}
	s.crashed = append(s.crashed, pid)
}

// CrashedPIDs returns the pids of the backends that crashed (the last 100), oldest
// first, for the admin command crashed_backends (spec 3.20).
func (s *Server) CrashedPIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.crashed...)
}

// EnableQuery turns on the QUERY admin channel on the backend port (spec 1.8), off by
// default: a connection from a process of the daemon's own user (on Linux the owner of
// the connection's other socket in /proc/net/tcp, peer_linux.go; elsewhere any loopback
// address) that is not a backend we spawned may send
// TYPE_QUERY{BackendConfig{config: command line}} and gets TYPE_QUERY{BackendConfig{config:
// answer}} back, run by run (the router's admin interface, spec 3.20). Such a connection is
// never treated as a backend and never receives users (quirk 1 fixed). EnableQuery must be
// called before Run.
func (s *Server) EnableQuery(run func(command string) string) {
	s.query = run
	s.unexpected = func(c net.Conn) {
		if !sameUser(c) {
			s.closeUnexpected(c)
			return
		}
		w := protocol.NewWriter(deadlineConn{c})
		// Spectrum 2 PINGs every connection first; spectrum2_manager may answer it.
		if err := w.WriteFrame(protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_PING, nil)); err != nil {
			c.Close()
			return
		}
		s.serveQueries(c, protocol.NewReader(c, s.cfg.MaxFrame), w, nil)
	}
}

// queryFrame is the hook of identify: a QUERY frame from a connection that was expected
// to be a starting backend. It serves the connection as a QUERY client and reports true;
// false means the channel is off or the peer is not ours, and the frame is ignored. Only
// without socket ownership (peer_other.go) can an expected backend turn out to be a client.
func (s *Server) queryFrame(c net.Conn, r *protocol.Reader, w *protocol.Writer, f protocol.Frame) bool {
	if s.query == nil || !sameUser(c) {
		return false
	}
	s.serveQueries(c, r, w, &f)
	return true
}

// serveQueries answers QUERY frames (first, if not nil, then the ones read) until the
// peer closes, stays silent for queryIdle or sent maxQueries; then it closes c.
func (s *Server) serveQueries(c net.Conn, r *protocol.Reader, w *protocol.Writer, first *protocol.Frame) {
	defer c.Close()
	log := s.log.With().Stringer("remote", c.RemoteAddr()).Logger()
	log.Info().Msg("QUERY admin connection (spec 1.8)")
	for n := 0; n < maxQueries; n++ {
		var f protocol.Frame
		if first != nil {
			f, first = *first, nil
		} else {
			c.SetReadDeadline(time.Now().Add(queryIdle)) //nolint:errcheck // shows up as a read error
			var err error
			if f, err = r.ReadFrame(); err != nil {
				if !errors.Is(err, protocol.ErrBadFrame) {
					return
				}
				continue
			}
		}
		if f.Type != pbnetwork.WrapperMessage_TYPE_QUERY {
			continue // PONG and anything else a manager may send
		}
		m, err := protocol.Decode(f)
		q, ok := m.(*pbnetwork.BackendConfig)
		if err != nil || !ok {
			continue
		}
		answer := s.query(q.GetConfig())
		// Only the command name: arguments may one day carry credentials.
		log.Info().Str("command", firstWord(q.GetConfig())).Msg("QUERY answered")
		reply := protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_QUERY,
			&pbnetwork.BackendConfig{Config: proto.String(answer)})
		if err := w.WriteFrame(reply); err != nil {
			return
		}
	}
}

func firstWord(s string) string {
	for i, r := range s {
		if r == ' ' {
			return s[:i]
		}
	}
	return s
}
