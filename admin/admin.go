package admin

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

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
	Log       zerolog.Logger
}

// Admin is the feature. It is safe for concurrent use.
type Admin struct {
	cfg     Config
	log     zerolog.Logger
	admins  atomic.Pointer[adminSet]
	sources atomic.Pointer[Sources]
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
	a := &Admin{cfg: cfg, log: cfg.Log.With().Str("component", "admin").Logger()}
	a.SetAdmins(cfg.JIDs, cfg.Password)
	a.sources.Store(&Sources{})
	return a
}

// Name implements feature.Feature.
func (*Admin) Name() string { return "admin" }

// SetSources hands over what the commands read; until then they see no users or backends.
func (a *Admin) SetSources(s Sources) { a.sources.Store(&s) }

// adminSet is service.admin_jid and service.admin_password, replaceable at run time.
type adminSet struct {
	jids     []string
	password string
}

// SetAdmins replaces the administrators and their password (a configuration reload);
// sessions already logged in stay.
func (a *Admin) SetAdmins(jids []string, password string) {
	a.admins.Store(&adminSet{jids: slices.Clone(jids), password: password})
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
	if s.password == "" || subtle.ConstantTimeCompare([]byte(s.password), []byte(password)) != 1 {
		return true, false
	}
	a.log.Info().Str("jid", bare.String()).Msg("administrator logged in")
	return true, true
}

// Open implements feature.Sessions.
func (a *Admin) Open(c feature.Conn) feature.Session {
	return &session{a: a, c: c, adhoc: make(map[string]*adhocSession)}
}

// noCounters is the Counters of a feature configured without: everything is zero.
type noCounters struct{}

func (noCounters) Uptime() time.Duration                { return 0 }
func (noCounters) MessagesFromXMPP() uint64             { return 0 }
func (noCounters) MessagesToXMPP() uint64               { return 0 }
func (noCounters) Memory() (residentKB, sharedKB int64) { return 0, 0 }
