package pluginserver

import (
	"context"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Internal Server Error as Spectrum 2 reports a lost backend to each of its users (spec 2.6).
const crashMessage = "Internal Server Error, please reconnect."

// maxSpawnBackoff caps the pause between warm spawns after consecutive failures.
const maxSpawnBackoff = time.Minute

// fail ends a backend for good: it detaches its users, closes its connection, kills its
// process group (unless it was asked to leave) and, unless it was retiring or we are shutting down, counts a crash and
// delivers DISCONNECTED{CONNECTION_ERROR_OTHER_ERROR} for each user (spec 2.6), each
// preceded by the user's frames the backend never confirmed (fence.go). It is
// idempotent: the reader, the ping timer and the process reaper may all call it.
func (s *Server) fail(b *backend, reason string) {
	s.mu.Lock()
	if b.state == stateDead {
		s.mu.Unlock()
		return
	}
	prev := b.state
	b.state = stateDead
	s.removeLocked(b)
	expected := prev == stateRetiring || s.closing
	if !expected {
		s.crashes++
		s.noteCrashLocked(b.pid) // query.go: admin command crashed_backends
		s.loginCrashedLocked(b)  // quarantine.go: before the users are detached
	}
	users := s.detachAllLocked(b)
	// The fence holds every stanza-carrying frame not provably read, those still queued
	// included; the rest of the queue (typing, presence, PINGs) goes with the connection.
	lost := byUser(b.fence.take())
	if b.q != nil {
		b.q.close() // ends the writer goroutine
	}
	if prev == stateStarting && !s.closing {
		s.spawnFailedLocked(b.solo, fmt.Errorf("pluginserver: %s ended before connecting (%s)", b.name, reason))
	} else {
		s.ensureWarmLocked()
	}
	conn := b.conn
	s.mu.Unlock()

	if conn != nil {
		conn.Close()
	}
	if !expected {
		s.killGroup(b)
	}
	// A backend we asked to leave (EXIT at shutdown or retirement) closes its connection
	// first and then exits: killing it here would race its clean exit. shutdown and
	// retire kill what is still there after ShutdownGrace.
	if expected {
		b.log.Info().Str("reason", reason).Msg("backend stopped")
	} else {
		b.log.Error().Str("reason", reason).Int("users", len(users)).Msg("backend crashed")
	}
	s.reportLost(b, users, lost)
	s.kickDispatcher()
}

// reportLost tells the Handler about the users of a dead backend: for each, the frames
// the backend never confirmed and then DISCONNECTED{CONNECTION_ERROR_OTHER_ERROR}. The
// undelivered stanzas come first, so the Handler answers them while the user still knows
// its conversations, before it starts the re-login (spec 2.6, 3.4).
func (s *Server) reportLost(b *backend, users []string, lost map[string][]sentFrame) {
	for u, fs := range lost {
		if !slices.Contains(users, u) {
			b.log.Debug().Str("user", u).Int("frames", len(fs)).Msg("unconfirmed frames of a user who left this backend dropped")
		}
	}
	for _, u := range users {
		s.handBack(b, u, lost[u])
		s.h.HandleBackendMessage(u, pbnetwork.WrapperMessage_TYPE_DISCONNECTED, &pbnetwork.Disconnected{
			User:    proto.String(u),
			Error:   proto.Int32(int32(pbnetwork.ConnectionError_CONNECTION_ERROR_OTHER_ERROR)),
			Message: proto.String(crashMessage),
		})
	}
}

// detachAllLocked detaches every user of b and returns them.
func (s *Server) detachAllLocked(b *backend) []string {
	users := make([]string, 0, len(b.users))
	for u := range b.users {
		if s.users[u] == b {
			delete(s.users, u)
		}
		users = append(users, u)
	}
	clear(b.users)
	clear(b.pending)
	return users
}

// limit is service.users_per_backend.
func (s *Server) limit() int { return s.cfg.UsersPerBackend }

// hasRoom reports whether b can take one more of n users per backend (strict <, spec 2.9).
// A backend reserved for a quarantined user has no room for anybody else.
func hasRoom(b *backend, n int) bool {
	return b.live() && b.acceptUsers && b.solo == "" && len(b.users) < n
}

// removeLocked drops b from the backend list.
func (s *Server) removeLocked(b *backend) {
	for i, x := range s.backends {
		if x == b {
			s.backends = append(s.backends[:i], s.backends[i+1:]...)
			return
		}
	}
}

// spawnFailedLocked records a failed spawn and fails the logins waiting for it
// (Login returns when "spawn fails"): all of them for a shared backend, the quarantined
// user's for a backend of their own (solo).
func (s *Server) spawnFailedLocked(solo string, err error) {
	s.failedSpawns++
	s.lastFailure = time.Now()
	s.log.Error().Err(err).Int("consecutive", s.failedSpawns).Msg("backend spawn failed")
	s.waiting = slices.DeleteFunc(s.waiting, func(w *waiter) bool {
		if solo != "" && w.login.GetUser() != solo {
			return false
		}
		w.taken = true
		w.done <- err
		return true
	})
}

// startingLocked reports whether a spawned backend has not connected yet. Like Spectrum 2's
// m_startingBackend (spec 2.4) it allows one spawn in progress at a time.
func (s *Server) startingLocked() bool {
	if len(s.launches) > 0 {
		return true
	}
	for _, b := range s.backends {
		if b.state == stateStarting {
			return true
		}
	}
	return false
}

// sharedStartingLocked is startingLocked for the shared backends: a quarantined user's
// own backend starting does not hold up the others' (quarantine.go).
func (s *Server) sharedStartingLocked() bool {
	for _, b := range s.launches {
		if b.solo == "" {
			return true
		}
	}
	for _, b := range s.backends {
		if b.state == stateStarting && b.solo == "" {
			return true
		}
	}
	return false
}

// ensureWarmLocked keeps one backend with room ready (or starting), so that the next login
// does not wait for a spawn. After failed spawns it backs off exponentially; logins that
// need a backend spawn regardless (dispatchOne).
func (s *Server) ensureWarmLocked() {
	if s.closing || s.sharedStartingLocked() {
		return
	}
	for _, b := range s.backends {
		if hasRoom(b, s.limit()) {
			return
		}
	}
	if n := s.failedSpawns; n > 0 {
		backoff := min(time.Second<<min(n-1, 10), maxSpawnBackoff)
		if time.Since(s.lastFailure) < backoff {
			return
		}
	}
	s.spawnLocked("") // a failure is logged by spawnFailedLocked
}

// superviseLoop runs the ping timer (spec 2.5) and the memory collector (spec 2.8).
func (s *Server) superviseLoop(ctx context.Context) {
	ping := time.NewTicker(s.cfg.PingInterval)
	defer ping.Stop()
	var mem <-chan time.Time
	if s.cfg.MemoryCollectorTime > 0 {
		t := time.NewTicker(s.cfg.MemoryCollectorTime)
		defer t.Stop()
		mem = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			s.tick(time.Now())
		case <-mem:
			s.collectMemory()
		}
	}
}

// tick is one ping period: a backend that did not answer the previous PING (no frame at
// all since) is killed and handled as a crash; the others get a PING. Spawns that did not
// connect within SpawnTimeout are killed; idle extra backends are retired.
func (s *Server) tick(now time.Time) {
	var hung, late, retire []*backend
	s.mu.Lock()
	for _, b := range s.backends {
		switch {
		case b.state == stateStarting && !b.timedOut && now.Sub(b.spawnedAt) >= s.cfg.SpawnTimeout:
			b.timedOut = true
			late = append(late, b)
		case b.state == stateReady && b.pingOutstanding:
			hung = append(hung, b)
		case b.state == stateReady:
			// The keepalive flag is separate from the fence: fence PINGs never get a
			// backend killed, and any frame still counts as its answer (spec 1.4). A
			// PING the full queue does not take is not waited for: the writer finds a
			// backend that takes no frames hung by itself (outq.go).
			queued, off := s.pingLocked(b)
			b.pingOutstanding = queued
			fenceWarn(b, false, off)
		}
	}
	retire = s.retireCandidatesLocked(now)
	s.pruneSuspectsLocked(now)
	s.ensureWarmLocked()
	s.mu.Unlock()

	for _, b := range hung {
		// Spectrum 2 sends SIGABRT for a core dump; we kill the whole group (issue text).
		s.fail(b, "no answer to the previous PING")
	}
	for _, b := range late {
		b.log.Error().Dur("timeout", s.cfg.SpawnTimeout).Msg("backend did not connect in time; killing it")
		s.killGroup(b)
	}
	for _, b := range retire {
		s.retire(b)
	}
}

// retireCandidatesLocked marks the backends to retire: empty ones the memory collector
// set to die (spec 2.8), and empty ones idle for IdleTimeout while another backend has
// room. Spectrum 2 kills every empty backend at every tick, the warm one included
// (spec 2.5 step 4); we keep one and give the others IdleTimeout.
func (s *Server) retireCandidatesLocked(now time.Time) []*backend {
	var out []*backend
	for _, b := range s.backends {
		if b.state != stateReady || len(b.users) > 0 {
			continue
		}
		if b.solo != "" && s.waitsLocked(b.solo) {
			continue // reserved for a quarantined user who waits for it
		}
		if b.solo == "" && b.acceptUsers && (now.Sub(b.idleSince) < s.cfg.IdleTimeout || !s.otherRoomLocked(b)) {
			continue
		}
		b.state = stateRetiring
		out = append(out, b)
	}
	return out
}

// otherRoomLocked reports whether a backend other than b can take a user.
func (s *Server) otherRoomLocked(b *backend) bool {
	for _, x := range s.backends {
		if x != b && hasRoom(x, s.limit()) {
			return true
		}
	}
	return false
}

// retire sends EXIT to an empty backend and kills its group if it has not exited after
// ShutdownGrace.
func (s *Server) retire(b *backend) {
	s.mu.Lock()
	still := b.state == stateRetiring // not failed meanwhile (e.g. missed its PONG this tick)
	s.mu.Unlock()
	if !still {
		return
	}
	b.log.Info().Msg("retiring backend without users")
	if err := s.queue(b, protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_EXIT, nil), true); err != nil {
		s.fail(b, "queueing EXIT: "+err.Error())
		s.killGroup(b) // it will not hear EXIT: no grace
		return
	}
	s.wg.Go(func() {
		t := time.NewTimer(s.cfg.grace)
		defer t.Stop()
		select {
		case <-b.exited:
		case <-t.C:
			b.log.Warn().Msg("backend ignored EXIT; killing it")
			s.killGroup(b)
		}
	})
}

// collectMemory is one memory collector tick (spec 2.8): the backend with the largest
// RSS stops taking users; retireCandidatesLocked retires it once it is empty.
func (s *Server) collectMemory() {
	s.mu.Lock()
	defer s.mu.Unlock()
	var top *backend
	for _, b := range s.backends {
		if b.live() && b.rss > 0 && (top == nil || b.rss > top.rss) {
			top = b
		}
	}
	if top == nil || !top.acceptUsers {
		return
	}
	top.acceptUsers = false
	top.log.Info().Int32("rss_kb", top.rss).Msg("memory collector: backend takes no more users")
	s.ensureWarmLocked()
}
