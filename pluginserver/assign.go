package pluginserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/gospectrum/spectrum2/protocol"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// waiter is one Login call waiting for a backend (Spectrum 2's m_waitingUsers, spec 2.4).
type waiter struct {
	login *pbnetwork.Login
	done  chan error // buffered 1: the dispatcher never blocks on it
	taken bool       // guarded by Server.mu: left the queue; done will receive
}

// Login assigns the user to a backend, waiting in order while one starts and honouring
// LoginDelay, and queues LOGIN. It returns once LOGIN is queued (ahead of every later
// frame for the user), or with an error when ctx ends first, the spawn the user waits for
// fails, the backend's queue is full (ErrBackendBusy) or the Server shuts down. If the
// backend dies before it read LOGIN, the user gets DISCONNECTED like its other users.
func (s *Server) Login(ctx context.Context, l *pbnetwork.Login) error {
	if l.GetUser() == "" {
		return errors.New("pluginserver: LOGIN without user")
	}
	w := &waiter{login: l, done: make(chan error, 1)}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.waiting = append(s.waiting, w)
	s.mu.Unlock()
	s.kickDispatcher()

	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
	}
	s.mu.Lock()
	if !w.taken {
		for i, x := range s.waiting {
			if x == w {
				s.waiting = append(s.waiting[:i], s.waiting[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		return fmt.Errorf("pluginserver: waiting for a backend: %w", ctx.Err())
	}
	s.mu.Unlock()
	return <-w.done
}

// dispatchLoop assigns waiting users in FIFO order, one LOGIN at a time, LoginDelay apart.
func (s *Server) dispatchLoop(ctx context.Context) {
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		for {
			if wait := s.cfg.LoginDelay - time.Since(last); s.cfg.LoginDelay > 0 && wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			if !s.dispatchOne() {
				break
			}
			last = time.Now()
		}
	}
}

// dispatchOne sends LOGIN for the first waiting user if a backend has room; otherwise it
// makes sure a backend is starting (spec 2.4 step 3). It reports whether it sent a LOGIN.
func (s *Server) dispatchOne() bool {
	s.mu.Lock()
	if s.closing || len(s.waiting) == 0 {
		s.mu.Unlock()
		return false
	}
	i, b := s.pickLocked()
	if b == nil {
		s.mu.Unlock()
		return false
	}
	w := s.waiting[i]
	s.waiting = slices.Delete(s.waiting, i, i+1)
	w.taken = true
	user := w.login.GetUser()
	s.attachLocked(b, user, w.login.GetLegacyName())
	b.pending[user] = struct{}{}
	s.ensureWarmLocked()
	f, err := protocol.Encode(pbnetwork.WrapperMessage_TYPE_LOGIN, w.login)
	if err == nil {
		err = s.queueLocked(b, f, true)
	}
	if err != nil {
		s.detachLocked(b, user)
	}
	s.mu.Unlock()

	if err != nil {
		err = fmt.Errorf("pluginserver: sending LOGIN to %s: %w", b.name, err)
	} else {
		b.log.Info().Str("user", user).Msg("LOGIN sent")
	}
	w.done <- err
	return true
}

// pickLocked chooses the waiter to serve next and its backend, or returns a nil backend
// (after making sure one is starting). Users are served in FIFO order, except that a
// quarantined user waiting for a backend of their own does not hold up those behind.
func (s *Server) pickLocked() (int, *backend) {
	shared := s.freeBackendLocked()
	for i, w := range s.waiting {
		user := w.login.GetUser()
		if s.quarantinedLocked(user) {
			if b := s.soloLocked(user); b != nil {
				return i, b
			}
			continue // its own backend is starting
		}
		if shared == nil && !s.sharedStartingLocked() {
			s.spawnLocked("") // a failure fails the waiters (spawnFailedLocked)
		}
		return i, shared
	}
	return -1, nil
}

// freeBackendLocked picks the oldest backend with room. Spectrum 2 picks the newest
// (spec 2.4: new connections go to the front of its list); filling the oldest first lets
// extra backends empty out and retire.
func (s *Server) freeBackendLocked() *backend {
	for _, b := range s.backends {
		if hasRoom(b, s.limit()) {
			return b
		}
	}
	return nil
}

// attachLocked records that b serves user.
func (s *Server) attachLocked(b *backend, user, legacy string) {
	if old := s.users[user]; old != nil && old != b {
		s.detachLocked(old, user)
	}
	b.users[user] = legacy
	s.users[user] = b
}

// detachLocked forgets that b serves user.
func (s *Server) detachLocked(b *backend, user string) {
	if s.users[user] == b {
		delete(s.users, user)
	}
	if _, ok := b.users[user]; !ok {
		return
	}
	delete(b.users, user)
	delete(b.pending, user)
	if len(b.users) == 0 {
		b.idleSince = time.Now()
	}
}

// Logout queues LOGOUT for the user's backend and detaches the user; it never blocks.
func (s *Server) Logout(user, legacyName string) {
	f := protocol.MustEncode(pbnetwork.WrapperMessage_TYPE_LOGOUT, &pbnetwork.Logout{User: &user, LegacyName: &legacyName})
	s.mu.Lock()
	b := s.users[user]
	if b == nil {
		s.mu.Unlock()
		return
	}
	s.detachLocked(b, user)
	var err error
	if b.live() {
		err = s.queueLocked(b, f, true)
	}
	s.mu.Unlock()
	s.kickDispatcher() // the freed place may serve a waiting user
	if err != nil {
		b.log.Warn().Err(err).Str("user", user).Msg("LOGOUT not sent")
	}
}

// sendable is the set of types Send writes. It is what Spectrum 2's C++ plugin handles
// (spec 1.4: an unknown type stalls a C++ backend's input), plus BUDDIES only when the
// backends asked for it with features.send_buddies_on_login. LOGIN, LOGOUT, PING and EXIT
// are written by the Server itself, RAW_XML by SendRawXML. FT_CONTINUE and FT_FINISH are
// the router's answers to a backend's FT_START (our extension, pbnetwork.proto), so only a
// backend that sends file transfers gets them.
var sendable = map[pbnetwork.WrapperMessage_Type]bool{
	pbnetwork.WrapperMessage_TYPE_CONV_MESSAGE:         true,
	pbnetwork.WrapperMessage_TYPE_ROOM_SUBJECT_CHANGED: true,
	pbnetwork.WrapperMessage_TYPE_JOIN_ROOM:            true,
	pbnetwork.WrapperMessage_TYPE_LEAVE_ROOM:           true,
	pbnetwork.WrapperMessage_TYPE_VCARD:                true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_CHANGED:        true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_REMOVED:        true,
	pbnetwork.WrapperMessage_TYPE_STATUS_CHANGED:       true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_TYPING:         true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_TYPED:          true,
	pbnetwork.WrapperMessage_TYPE_BUDDY_STOPPED_TYPING: true,
	pbnetwork.WrapperMessage_TYPE_ATTENTION:            true,
	pbnetwork.WrapperMessage_TYPE_FT_CONTINUE:          true,
	pbnetwork.WrapperMessage_TYPE_FT_FINISH:            true,
}

// Send queues a frame for the backend serving user; it never blocks (the backend's
// writer goroutine writes it, outq.go). It fails with ErrNoBackend when no live backend
// has the user and with ErrBackendBusy when that backend's outbound queue is full (the
// router answers the stanza in both cases), and refuses types a C++ backend would choke
// on (see sendable). A stanza-carrying frame that was queued is either confirmed by the
// backend's PONG or handed back if the backend dies (doc.go): nil means it is not lost
// in silence.
func (s *Server) Send(user string, t pbnetwork.WrapperMessage_Type, m proto.Message) error {
	s.mu.Lock()
	feat := s.features
	s.mu.Unlock()
	ok := sendable[t] || (t == pbnetwork.WrapperMessage_TYPE_BUDDIES && feat.SendBuddiesOnLogin) ||
		(t == pbnetwork.WrapperMessage_TYPE_CONV_MESSAGE_ACK && feat.Markers)
	if t == pbnetwork.WrapperMessage_TYPE_CONV_EVENT {
		if err := eventAnnounced(feat, m); err != nil {
			return err
		}
		ok = true
	}
	if !ok {
		return fmt.Errorf("pluginserver: refusing to send %v to a backend (spec 1.4)", t)
	}
	m = stripExtensions(feat, m)
	f, err := protocol.Encode(t, m)
	if err != nil {
		return fmt.Errorf("pluginserver: encoding %v: %w", t, err)
	}
	return s.write(user, f)
}

// SendRawXML sends stanza text as RAW_XML to the user's backend (spec 3.21).
func (s *Server) SendRawXML(user string, xml []byte) error {
	return s.write(user, protocol.EncodeRawXML(xml))
}

// write queues f for the backend serving user and, for a stanza-carrying frame, records
// it in the fence in the same step, so that the fence and the wire have the same order.
func (s *Server) write(user string, f protocol.Frame) error {
	s.mu.Lock()
	b := s.users[user]
	if b == nil || !b.live() {
		s.mu.Unlock()
		return fmt.Errorf("%w: %s", ErrNoBackend, user)
	}
	if err := s.queueLocked(b, f, false); err != nil {
		s.mu.Unlock()
		return err
	}
	var dropped, off bool
	if fenced[f.Type] {
		dropped, off = s.trackLocked(b, user, f)
	}
	s.mu.Unlock()
	fenceWarn(b, dropped, off)
	return nil
}
