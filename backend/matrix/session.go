package matrix

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/gospectrum/spectrum2/backend"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// outboxSize bounds the user's requests (messages, joins, leaves, chat states) waiting for
// the homeserver.
const outboxSize = 64

// session is one user's Matrix client: login, then the /sync loop on run's goroutine and
// the sender on another. The roster state (roster.go) belongs to the sync goroutine, except
// what mu guards.
type session struct {
	p        *Plugin
	sink     *backend.Sink
	user     string // the daemon's name for the user (bare JID on the gateway)
	acct     account
	password string // until login; then cleared
	log      zerolog.Logger
	ctx      context.Context
	cancel   context.CancelFunc
	outbox   chan func()   // requests to the homeserver, in order (send)
	ready    chan struct{} // closed once logged in: cli is set
	cli      *mautrix.Client
	r        roster
	rooms    rooms    // group chats (rooms.go)
	receipts receipts // typing and receipts of direct chats (chatstate.go)
	// presence is the user's Matrix presence (an event.Presence string), "" until the
	// user's XMPP presence set one; each /sync asks for it, so the long-poll does not
	// turn it back to online.
	presence atomic.Value
	// pub orders the contacts sent to the daemon (the sync loop's and the avatar
	// worker's); avatarWake wakes the worker (avatar.go).
	pub        sync.Mutex
	avatarWake chan struct{}
	// sent maps the user's messages' XMPP ids to their events; ours and theirs are the
	// user's and the contacts' reactions (extensions.go).
	sent         *sentIDs
	ours, theirs *reactionSets
}

func newSession(p *Plugin, s *backend.Sink, user string, acct account, password string) *session {
	ctx, cancel := context.WithCancel(context.Background())
	return &session{p: p, sink: s, user: user, acct: acct, password: password, ctx: ctx, cancel: cancel,
		log:    p.log.With().Str("user", user).Str("account", string(acct.userID())).Logger(),
		outbox: make(chan func(), outboxSize), ready: make(chan struct{}), r: newRoster(),
		rooms: newRooms(), receipts: newReceipts(), avatarWake: make(chan struct{}, 1),
		sent: newSentIDs(maxSentIDs), ours: newReactionSets(maxReactionTargets), theirs: newReactionSets(maxReactionTargets)}
}

// stop ends the session without a DISCONNECTED (a LOGOUT, or a newer LOGIN).
func (s *session) stop() { s.cancel() }

// run logs in, then syncs until the session ends, then logs the access token out.
func (s *session) run(sinkCtx context.Context) {
	defer s.p.forget(s)
	defer s.cancel()
	defer context.AfterFunc(sinkCtx, s.cancel)() // the daemon connection is over
	cli, err := s.login()
	if err != nil {
		if s.ctx.Err() == nil {
			code, text := failure(err)
			s.log.Info().Err(err).Stringer("code", code).Msg("login failed")
			s.sink.Disconnected(s.user, code, text)
		}
		return
	}
	s.cli = cli
	close(s.ready)
	defer s.logout()
	s.log.Info().Str("homeserver", cli.HomeserverURL.String()).Str("device", string(cli.DeviceID)).Msg("logged in")
	if s.sink.Connected(s.user) != nil {
		return
	}
	s.sink.Go(func(context.Context) { s.send() })
	s.sink.Go(func(context.Context) { s.avatars() })
	err = s.syncLoop()
	if s.ctx.Err() == nil {
		s.log.Info().Err(err).Msg("session lost")
		s.sink.Disconnected(s.user, pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR, "Matrix session lost: "+err.Error())
	}
}

// login finds the homeserver and logs in with the password (m.login.password).
func (s *session) login() (*mautrix.Client, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	password := s.password
	s.password = ""
	hc := httpClient(s.p.cfg, s.acct.server)
	base, err := homeserver(ctx, s.p.cfg, hc, s.acct.server)
	if err != nil {
		return nil, err
	}
	cli, err := mautrix.NewClient(base, "", "")
	if err != nil {
		return nil, &loginError{code: pb.ConnectionError_CONNECTION_ERROR_INVALID_SETTINGS, text: "bad homeserver URL", err: err}
	}
	cli.Client = hc
	cli.Log = s.log.With().Str("component", "mautrix").Logger().Level(zerolog.WarnLevel)
	_, err = cli.Login(ctx, &mautrix.ReqLogin{
		Type:                     mautrix.AuthTypePassword,
		Identifier:               mautrix.UserIdentifier{Type: mautrix.IdentifierTypeUser, User: string(s.acct.userID())},
		Password:                 password,
		InitialDeviceDisplayName: "Spectrum 2 XMPP gateway",
		StoreCredentials:         true,
	})
	if err != nil {
		return nil, err
	}
	return cli, nil
}

// logout gives the access token back (POST /logout), so that it is valid no longer than
// the legacy session.
func (s *session) logout() {
	ctx, cancel := context.WithTimeout(context.Background(), s.p.cfg.ConnectTimeout)
	defer cancel()
	if _, err := s.cli.Logout(ctx); err != nil && !errors.Is(err, mautrix.MUnknownToken) {
		s.log.Info().Err(err).Msg("logout failed")
	} else {
		s.log.Info().Msg("logged out")
	}
	s.cli.ClearCredentials()
}

// syncLoop long-polls /sync until the session ends (nil) or the homeserver no longer knows
// the token. Failures back off exponentially up to maxBackoff; the loop resumes from the
// last next_batch, so nothing is lost or replayed.
func (s *session) syncLoop() error {
	var filterID, since string
	backoff := time.Second
	fail := func(err error) bool {
		s.log.Info().Err(err).Dur("retry_in", backoff).Msg("sync failed")
		select {
		case <-s.ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
		return true
	}
	for s.ctx.Err() == nil {
		if filterID == "" {
			resp, err := s.cli.CreateFilter(s.ctx, syncFilter())
			if err != nil {
				if errors.Is(err, mautrix.MUnknownToken) {
					return err
				}
				if !fail(err) {
					return nil
				}
				continue
			}
			filterID = resp.FilterID
		}
		resp, err := s.syncOnce(since, filterID)
		if err != nil {
			if s.ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, mautrix.MUnknownToken) {
				return err
			}
			if !fail(err) {
				return nil
			}
			continue
		}
		backoff = time.Second
		s.handleSync(resp, since == "")
		since = resp.NextBatch
	}
	return nil
}

// syncOnce is one /sync request; the first one returns at once with the initial state.
func (s *session) syncOnce(since, filterID string) (*mautrix.RespSync, error) {
	timeout := s.p.cfg.SyncTimeout
	if since == "" {
		timeout = 0
	}
	ctx, cancel := context.WithTimeout(s.ctx, timeout+s.p.cfg.ConnectTimeout)
	defer cancel()
	pr, _ := s.presence.Load().(event.Presence)
	return s.cli.FullSyncRequest(ctx, mautrix.ReqSync{Timeout: int(timeout / time.Millisecond),
		Since: since, FilterID: filterID, SetPresence: pr})
}

// queue hands the user's message to the sender; a full outbox is answered at once.
func (s *session) queue(m backend.Message) {
	s.do(func() { s.sendMessage(m) }, func() { s.notDelivered(m, "too many messages are waiting to be sent") })
}

// do hands a request to the sender, or runs full (which must not block) when the outbox
// is full.
func (s *session) do(f, full func()) {
	select {
	case s.outbox <- f:
	default:
		if full != nil {
			full()
		}
	}
}

// send delivers the user's messages in order until the session ends.
func (s *session) send() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case f := <-s.outbox:
			f()
		}
	}
}

// sendMessage sends m to a room the daemon joined, or to the contact's direct-message
// room, creating it first when there is none yet. A message that asked for a receipt
// waits for the contact's read receipt (chatstate.go).
func (s *session) sendMessage(m backend.Message) {
	ctx, cancel := context.WithTimeout(s.ctx, s.p.cfg.ConnectTimeout)
	defer cancel()
	if room, nick, ok := strings.Cut(m.Buddy, "/"); ok && isRoomName(room) {
		// A private message to an occupant ("room/nick", spec 3.9): Matrix has no such
		// thing, so it goes to the member's direct chat, and the answer comes from the
		// member as a contact.
		u, found := s.rooms.memberByNick(room, nick)
		if !found {
			s.notDelivered(m, nick+" is not in the room")
			return
		}
		m.Buddy = buddyName(u)
	}
	room, muc, ok := s.target(ctx, m)
	if !ok {
		return
	}
	if s.rooms.encrypted(room) {
		s.notDelivered(m, noEncryption)
		return
	}
	if len(m.Attachments) > 0 {
		// The files go first, as media events; what is left of the text after them.
		shared := m.Attachments
		m.Attachments = s.sendFiles(ctx, room, shared)
		if len(m.Attachments) < len(shared) {
			m.Body, m.XHTML = withoutFileURLs(m.Body, shared), ""
		}
		if m.Body == "" && len(m.Attachments) == 0 {
			return
		}
	}
	resp, err := s.cli.SendMessageEvent(ctx, room, event.EventMessage, s.withRelations(m, content(m)))
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Info().Err(err).Str("room", string(room)).Msg("send failed")
			s.notDelivered(m, "the homeserver did not take it: "+err.Error())
		}
		return
	}
	if m.ID != "" {
		s.sent.put(m.ID, resp.EventID) // what the user's corrections, reactions and retractions name
	}
	if muc {
		return // the room's echo is the reflection; receipts are for direct chats
	}
	if m.ID != "" && s.receipts.sent(pendingAck{room: room, event: resp.EventID, buddy: m.Buddy, id: m.ID}) {
		s.sink.Ack(s.user, m.Buddy, m.ID) // read before the homeserver's answer reached us
	}
	s.markRead(ctx, room)
}

// target is the Matrix room m goes to: a room the daemon joined (muc), else the
// contact's direct chat, created when there is none yet; !ok when m was answered instead.
func (s *session) target(ctx context.Context, m backend.Message) (room id.RoomID, muc, ok bool) {
	if rm := s.rooms.byLegacy(m.Buddy); rm != nil {
		return rm.id, true, true
	}
	if isRoomName(m.Buddy) {
		s.notDelivered(m, "not in the room "+m.Buddy)
		return "", false, false
	}
	to, ok := userOf(m.Buddy)
	if !ok {
		s.notDelivered(m, "not a Matrix user: "+m.Buddy)
		return "", false, false
	}
	if room = s.r.dmRoom(to); room != "" {
		return room, false, true
	}
	room, err := s.createDM(ctx, to)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Info().Err(err).Str("to", string(to)).Msg("direct chat not created")
			s.notDelivered(m, "no direct chat with "+string(to)+" could be created: "+err.Error())
		}
		return "", false, false
	}
	return room, false, true
}

// isRoomName: the daemon's room names start with '#' (spec 3.6).
func isRoomName(name string) bool { return strings.HasPrefix(name, "#") }

// noEncryption is why nothing is sent to an end-to-end encrypted room: the gateway cannot
// encrypt, and a plain message there would be one its members believe is private.
const noEncryption = "the Matrix chat is end-to-end encrypted, and the gateway cannot send encrypted messages"

// notDelivered tells the user, as a message from the contact, that m was not sent: the
// protocol has no message error frame.
func (s *session) notDelivered(m backend.Message, why string) {
	s.sink.Message(backend.Message{User: s.user, Buddy: m.Buddy, Body: "Message not delivered: " + why})
}
