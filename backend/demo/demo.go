package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// Defaults of the [demo] keys.
const (
	DefaultSlowLoginDelay = 5 * time.Second
	DefaultClockPeriod    = 60 * time.Second
	DefaultContacts       = 20
)

// Plugin is the demo network. Create it with New.
type Plugin struct {
	slowDelay   time.Duration
	clockPeriod time.Duration
	contacts    int
	photo       []byte
	photoHash   string
	idPrefix    string        // random per process, so that ids differ across restarts
	msgN        atomic.Uint64 // ids of the messages the network originates (echoes)

	mu     sync.Mutex
	users  map[string]*user      // by user bare JID
	clocks map[*backend.Sink]int // connections whose clock runs, with their user count
}

// user is one logged-in (or logging-in) user. Its fields are guarded by Plugin.mu. An
// idle user holds no goroutine, timer or map: the clock of all users on one connection
// is one ticker (clock.go), and rooms is allocated on the first join.
type user struct {
	jid, legacy string
	cancel      context.CancelFunc // ends a pending login; nil once it completed
	rooms       map[string]*room   // by lowercased room name
	clock       *backend.Sink      // set once the roster was sent: the clock ticks for the user
	tick        int                // clock ticks seen by the user
	later       int                // answers of Later pending (chat.go)
	nick        string             // own nickname and avatar of the last vCard update (profile.go)
	photo       []byte
}

// New builds the demo network from the [demo] section of cfg (nil for defaults).
func New(cfg *ini.File) backend.Plugin {
	if cfg == nil {
		cfg = &ini.File{}
	}
	photo, hash := makePhoto()
	var seed [6]byte
	_, _ = rand.Read(seed[:]) // never fails (crypto/rand)
	return &Plugin{
		slowDelay:   duration(cfg, "slow_login_delay", DefaultSlowLoginDelay),
		clockPeriod: duration(cfg, "clock_period", DefaultClockPeriod),
		contacts:    number(cfg, "contacts", DefaultContacts),
		photo:       photo,
		photoHash:   hash,
		idPrefix:    "demo-" + hex.EncodeToString(seed[:]) + "-",
		users:       map[string]*user{},
		clocks:      map[*backend.Sink]int{},
	}
}

// duration reads [demo] key as a Go duration ("1.5s") or a number of seconds.
func duration(cfg *ini.File, key string, def time.Duration) time.Duration {
	v, ok := cfg.Get("demo", key)
	if !ok {
		return def
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return def
}

func number(cfg *ini.File, key string, def int) int {
	v, ok := cfg.Get("demo", key)
	if !ok {
		return def
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n
	}
	return def
}

// Features announces rooms, receipts and the message extensions (extensions.go), read
// markers included; the demo needs neither password nor registration.
func (p *Plugin) Features() backend.Features {
	return backend.Features{MUC: true, Receipts: true, // the rest: issue 24, extensions.go
		Corrections: true, Replies: true, Reactions: true, Retractions: true, MsgIDs: true, Markers: true}
}

// Login logs the user in, after slow_login_delay for names starting with "slow".
func (p *Plugin) Login(ctx context.Context, s *backend.Sink, l backend.Login) {
	if l.Password == "wrong" {
		s.Disconnected(l.User, pb.ConnectionError_CONNECTION_ERROR_AUTHENTICATION_FAILED, "Wrong password")
		return
	}
	uctx, cancel := context.WithCancel(ctx)
	u := &user{jid: l.User, legacy: l.LegacyName, cancel: cancel}
	p.mu.Lock()
	if old := p.users[l.User]; old != nil {
		p.forget(old)
	}
	p.users[l.User] = u
	p.mu.Unlock()
	var delay time.Duration
	if strings.HasPrefix(strings.ToLower(l.LegacyName), "slow") {
		delay = p.slowDelay
	}
	// The login's goroutine ends once the roster is sent: nothing per user stays running.
	s.Go(func(context.Context) {
		defer cancel()
		if delay > 0 && !sleep(uctx, delay) {
			return
		}
		if s.Connected(u.jid) != nil || p.sendRoster(uctx, s, u) != nil {
			return
		}
		p.startClock(s, u)
	})
}

// Logout forgets the user and stops its clock (or its pending slow login).
func (p *Plugin) Logout(_ context.Context, _ *backend.Sink, l backend.Logout) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if u := p.users[l.User]; u != nil {
		p.forget(u)
		delete(p.users, l.User)
	}
}

// forget stops u's pending login and takes it off its connection's clock. p.mu is held.
func (p *Plugin) forget(u *user) {
	if u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
	if u.clock != nil {
		p.clocks[u.clock]--
		u.clock = nil
	}
}

// sleep waits for d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// newID returns a fresh message id: a network's message is a new stanza, never one the
// client sent (a client may drop a message whose id it already knows).
func (p *Plugin) newID() string {
	return p.idPrefix + strconv.FormatUint(p.msgN.Add(1), 10)
}

// lookup returns the user's state, or nil if the user is not logged in.
func (p *Plugin) lookup(jid string) *user {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.users[jid]
}

// The capabilities the demo network has.
var (
	_ backend.Messenger     = (*Plugin)(nil)
	_ backend.Typer         = (*Plugin)(nil)
	_ backend.Attender      = (*Plugin)(nil)
	_ backend.RoomHandler   = (*Plugin)(nil)
	_ backend.SubjectSetter = (*Plugin)(nil)
	_ backend.RosterEditor  = (*Plugin)(nil)
	_ backend.VCardProvider = (*Plugin)(nil)
)
