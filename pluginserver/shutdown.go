package pluginserver

import (
	"context"
	"net"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// farewell is what shutdown still has to tell one backend.
type farewell struct {
	b     *backend
	users map[string]string // user -> legacy name, for LOGOUT
}

// shutdown is spec 2.10: LOGOUT for every user, EXIT to every backend, ShutdownGrace for
// them to leave, then SIGKILL for every process group still there. Spawns that have not
// connected are killed at once.
func (s *Server) shutdown() {
	s.ln.Close()
	all, bye := s.beginShutdown()
	for _, f := range bye {
		s.sayGoodbye(f.b, f.users)
	}

	// A context, not a timer: its Done channel stays closed for every later backend.
	grace, cancel := context.WithTimeout(context.Background(), s.cfg.grace)
	defer cancel()
	for _, b := range all {
		select {
		case <-b.exited:
		case <-grace.Done():
		}
	}
	for _, b := range all {
		s.killGroup(b)
	}
	s.closeConns()
}

// beginShutdown stops new work: no more spawns or logins, waiting logins fail with
// ErrClosed, users are detached (no DISCONNECTED is delivered for them when their
// backends go). It returns every backend and what the connected ones must be told.
func (s *Server) beginShutdown() (all []*backend, bye []farewell) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing = true
	for _, w := range s.waiting {
		w.taken = true
		w.done <- ErrClosed
	}
	s.waiting = nil
	all = append(all, s.backends...)
	for _, b := range all {
		switch b.state {
		case stateReady, stateRetiring:
			bye = append(bye, farewell{b, b.users})
		case stateStarting:
			s.killGroup(b) // not connected: nothing to say goodbye with
		}
		b.users = make(map[string]string)
	}
	clear(s.users)
	return all, bye
}

// sayGoodbye queues LOGOUT for each user and then EXIT for one backend.
func (s *Server) sayGoodbye(b *backend, users map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for u, legacy := range users {
		f := protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_LOGOUT, &pbnetwork.Logout{User: &u, LegacyName: &legacy})
		if err := s.queueLocked(b, f, true); err != nil {
			b.log.Warn().Err(err).Msg("LOGOUT not sent at shutdown")
			return
		}
	}
	if err := s.queueLocked(b, protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_EXIT, nil), true); err != nil {
		b.log.Warn().Err(err).Msg("EXIT not sent at shutdown")
	}
}

// closeConns closes every connection still open, ending their reader goroutines.
func (s *Server) closeConns() {
	s.mu.Lock()
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
