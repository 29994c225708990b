package pluginserver

import "time"

// Quarantine: a user whose LOGIN crashes the backend (a legacy account that trips a bug
// in the backend or its library) would take every other user of that backend down with
// it, at every re-login. Spectrum 2 lets that happen (spec 2.6). We count, per user, the
// backends that died while the user's LOGIN was pending (sent, no CONNECTED yet); after
// quarantineAfter of them the user's next logins go to a backend of their own that takes
// nobody else, so only that user's own process dies. An innocent user who happened to log
// in twice while a backend crashed costs one extra process, nothing more.
const (
	quarantineAfter = 2
	// quarantineFor is how long a user stays suspect after the last crash.
	quarantineFor = time.Hour
	// maxSuspects bounds the table; past it, new suspects are not recorded.
	maxSuspects = 10000
)

// suspect is a user during whose login backends died.
type suspect struct {
	crashes int
	last    time.Time
}

// loginCrashedLocked counts a crash of b against every user whose login b had pending.
func (s *Server) loginCrashedLocked(b *backend) {
	for user := range b.pending {
		sp := s.suspects[user]
		if sp == nil {
			if len(s.suspects) >= maxSuspects {
				b.log.Warn().Str("user", user).Msg("too many users suspected of crashing backends; not recording one more")
				continue
			}
			sp = &suspect{}
			s.suspects[user] = sp
		}
		sp.crashes++
		sp.last = time.Now()
		if sp.crashes == quarantineAfter {
			b.log.Warn().Str("user", user).Int("crashes", sp.crashes).
				Msg("user quarantined: a backend died during their login twice; their next logins get a backend of their own")
		} else {
			b.log.Warn().Str("user", user).Int("crashes", sp.crashes).Msg("backend died during the user's login")
		}
	}
}

// loggedInLocked notes that user's login on b succeeded: the user is no suspect any more
// (a quarantined user keeps the backend of their own for this session).
func (s *Server) loggedInLocked(b *backend, user string) {
	delete(b.pending, user)
	if s.suspects[user] != nil {
		delete(s.suspects, user)
		b.log.Info().Str("user", user).Msg("user logged in; no longer suspected of crashing backends")
	}
}

// quarantinedLocked reports whether user's logins go to a backend of their own.
func (s *Server) quarantinedLocked(user string) bool {
	sp := s.suspects[user]
	return sp != nil && sp.crashes >= quarantineAfter
}

// soloLocked returns the ready backend reserved for user, or nil after making sure one is
// starting. At most one is starting per user.
func (s *Server) soloLocked(user string) *backend {
	for _, b := range s.launches {
		if b.solo == user {
			return nil
		}
	}
	for _, b := range s.backends {
		if b.solo != user {
			continue
		}
		if b.state == stateStarting {
			return nil
		}
		_, has := b.users[user]
		if b.live() && b.acceptUsers && (len(b.users) == 0 || has) {
			return b
		}
	}
	s.log.Warn().Str("user", user).Msg("spawning a backend of their own for a quarantined user")
	s.spawnLocked(user)
	return nil
}

// waitsLocked reports whether user is in the login queue.
func (s *Server) waitsLocked(user string) bool {
	for _, w := range s.waiting {
		if w.login.GetUser() == user {
			return true
		}
	}
	return false
}

// pruneSuspectsLocked forgets the suspects whose last crash is quarantineFor old.
func (s *Server) pruneSuspectsLocked(now time.Time) {
	for user, sp := range s.suspects {
		if now.Sub(sp.last) >= quarantineFor {
			delete(s.suspects, user)
		}
	}
}
