package admin

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router/feature"
)

// Counters are the daemon's counters the commands report; *metrics.Metrics implements it.
type Counters interface {
	// Uptime is the time since the daemon started (command uptime).
	Uptime() time.Duration
	// MessagesFromXMPP and MessagesToXMPP are the commands of the same names.
	MessagesFromXMPP() uint64
	MessagesToXMPP() uint64
	// Memory is the daemon's own resident and shared memory in KB.
	Memory() (residentKB, sharedKB int64)
}

// Sources are what the commands read from the other components, which are built after
// the feature (the router takes it in its Config): SetSources hands them over.
type Sources struct {
	// Users are the bare JIDs with a legacy session, sorted (router.OnlineUsers).
	Users func() []string
	// Stats are the backends' (pluginserver.Server.Stats).
	Stats func() pluginserver.Stats
	// CrashedPIDs are the PIDs of crashed backends (pluginserver.Server.CrashedPIDs).
	CrashedPIDs func() []int
}

// Config configures the feature.
type Config struct {
	Domain string // service.jid's domain
	// Identity is the gateway's disco identity (spec 3.13), as the router answers it.
	IdentityName, IdentityCategory, IdentityType string
	// JIDs are the bare JIDs of service.admin_jid; Password is service.admin_password
	// (empty: nobody logs in as administrator).
	JIDs     []string
	Password string
	// Counters answer uptime, the memory and message commands; nil answers zero.
	Counters Counters
	// Reload re-reads the configuration for the reload command; nil disables it.
	Reload func() error
	// EraseUser deletes everything stored for a bare JID (store.DB.EraseUser) for the
	// erase_user command; nil: nothing is stored, the command says so.
	EraseUser func(ctx context.Context, bare string) error
	// PurgeArchive deletes a bare JID's message archive and says how many messages went
	// (archive.Archive.Purge) for the purge_archive command; nil: no archive.
	PurgeArchive func(ctx context.Context, bare string) (int, error)
	Log          zerolog.Logger
}

// Admin is the feature. It is safe for concurrent use.
type Admin struct {
	cfg     Config
	log     zerolog.Logger
	admins  atomic.Pointer[adminSet]
	sources atomic.Pointer[Sources]
	// pwKey keys the hashes passwords are compared by (adminSet.matches), drawn at random
	// for the process.
	pwKey [32]byte

	mu   sync.Mutex // guards live; SetAdmins holds it while it swaps admins
	live map[*session]struct{}
}

var (
	_ feature.Sessions   = (*Admin)(nil)
	_ feature.IQHandler  = (*Admin)(nil)
	_ feature.DiscoItems = (*Admin)(nil)
)

// New returns the feature.
func New(cfg Config) *Admin {
	if d, err := jid.Parse(cfg.Domain); err == nil {
		cfg.Domain = d.Domainpart()
	}
	cfg.Domain = strings.ToLower(cfg.Domain)
	if cfg.Counters == nil {
		cfg.Counters = noCounters{}
	}
	// The router's defaults (router.New), so that both answer the same identity.
	if cfg.IdentityName == "" {
		cfg.IdentityName = "Spectrum 2 Transport"
	}
	if cfg.IdentityCategory == "" {
		cfg.IdentityCategory = "gateway"
	}
	if cfg.IdentityType == "" {
		cfg.IdentityType = "xmpp"
	}
	a := &Admin{cfg: cfg, log: cfg.Log.With().Str("component", "admin").Logger(), live: make(map[*session]struct{})}
	_, _ = rand.Read(a.pwKey[:]) // never fails (Go 1.24)
	a.SetAdmins(cfg.JIDs, cfg.Password)
	a.sources.Store(&Sources{})
	return a
}

// Name implements feature.Feature.
func (*Admin) Name() string { return "admin" }

// SetSources hands over what the commands read; until then they see no users or backends.
func (a *Admin) SetSources(s Sources) { a.sources.Store(&s) }

// adminSet is service.admin_jid and service.admin_password, replaceable at run time.
// The password is kept as its keyed hash: comparing two fixed-size hashes takes the
// same time whatever the lengths of the passwords (issue 18).
type adminSet struct {
	jids []string
	mac  []byte // of service.admin_password; nil when it is empty (nobody logs in)
}

// sum is the keyed hash of a password.
func (a *Admin) sum(password string) []byte {
	m := hmac.New(sha256.New, a.pwKey[:])
	m.Write([]byte(password))
	return m.Sum(nil)
}

// matches reports whether password is service.admin_password, in constant time.
func (s *adminSet) matches(a *Admin, password string) bool {
	return s.mac != nil && subtle.ConstantTimeCompare(s.mac, a.sum(password)) == 1
}

// SetAdmins replaces the administrators and their password (a configuration reload).
// Live sessions of a JID no longer listed end at once, and all of them when the password
// changed: they logged in with credentials that are no longer valid.
func (a *Admin) SetAdmins(jids []string, password string) {
	next := &adminSet{jids: slices.Clone(jids)}
	if password != "" {
		next.mac = a.sum(password)
	}
	a.mu.Lock()
	prev := a.admins.Swap(next)
	var ended []*session
	for s := range a.live {
		if !next.isAdmin(s.bare) || (prev != nil && !hmac.Equal(prev.mac, next.mac)) {
			ended = append(ended, s)
			delete(a.live, s)
		}
	}
	a.mu.Unlock()
	for _, s := range ended {
		a.log.Info().Str("jid", s.bare.String()).Msg("administrator rights withdrawn: session ended")
		s.c.Close(xmpp.CondPolicyViolation, revokedText)
	}
}

// revokedText is the stream error text of a session whose administrator rights ended.
const revokedText = "Your administrator rights were withdrawn."

// stillAdmin reports whether s may go on: its JID is still an administrator.
func (a *Admin) stillAdmin(s *session) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.live[s]
	return ok && a.admins.Load().isAdmin(s.bare)
}

// isAdmin reports whether bare is one of service.admin_jid.
func (s *adminSet) isAdmin(bare jid.JID) bool {
	return slices.ContainsFunc(s.jids, func(j string) bool {
		return strings.EqualFold(j, bare.String())
	})
}

// Authenticate implements feature.Sessions: an administrator's password is
// service.admin_password and there is no legacy session (spec 3.3).
func (a *Admin) Authenticate(bare jid.JID, password string) (handled, ok bool) {
	s := a.admins.Load()
	if !s.isAdmin(bare) {
		return false, false
	}
	if !s.matches(a, password) {
		return true, false
	}
	a.log.Info().Str("jid", bare.String()).Msg("administrator logged in")
	return true, true
}

// Open implements feature.Sessions.
func (a *Admin) Open(c feature.Conn) feature.Session {
	s := &session{a: a, c: c, bare: c.JID().Bare(), adhoc: make(map[string]*adhocSession)}
	a.mu.Lock()
	a.live[s] = struct{}{}
	a.mu.Unlock()
	return s
}

// noCounters is the Counters of a feature configured without: everything is zero.
type noCounters struct{}

func (noCounters) Uptime() time.Duration                { return 0 }
func (noCounters) MessagesFromXMPP() uint64             { return 0 }
func (noCounters) MessagesToXMPP() uint64               { return 0 }
func (noCounters) Memory() (residentKB, sharedKB int64) { return 0, 0 }
