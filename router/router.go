package router

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"google.golang.org/protobuf/proto"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/protocol/pbnetwork"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/router/muc"
)

// Default timeouts (spec 3.11: vCard requests unanswered for 40 s get an empty vCard).
const (
	DefaultLoginTimeout = 60 * time.Second
	DefaultVCardTimeout = 40 * time.Second
)

// Config configures a Router. The server package fills it from the configuration file.
type Config struct {
	Domain       string        // service.jid
	LoginTimeout time.Duration // legacy login deadline; 0 = DefaultLoginTimeout
	// JIDEscaping is service.jid_escaping (XEP-0106 vs '%', spec 3.7); forced off when the
	// backends announce features.disable_jid_escaping.
	JIDEscaping    bool
	EnableXHTML    bool // service.enable_xhtml
	OOBReplaceBody bool // service.oob_replace_body (spec 3.10)
	OOBSplit       bool // service.oob_split (spec 3.10)
	// CorrectionPrefix and ReactionFallback are service.correction_prefix and
	// service.reaction_fallback ("error", "text", "drop"; "" is "error"): the fallbacks for
	// backends without features.corrections and features.reactions (msgext.go).
	CorrectionPrefix, ReactionFallback string
	// CorrectionFallback is service.correction_fallback: "sed" sends a correction as
	// "s/old/new" where it can (correction.go); "" or "prefix" as CorrectionPrefix + text.
	CorrectionFallback                           string
	MaxRoomListSize, MUCHistory                  int
	IdentityName, IdentityCategory, IdentityType string // disco identity (spec 3.13)
	Version                                      string // XEP-0092 answer
	// VCardTimeout is how long a vCard request waits for the backend; 0 = DefaultVCardTimeout.
	VCardTimeout time.Duration
	// Linger is how long messages a closed session never acknowledged (XEP-0198) wait
	// for the next login when no other resource is there; 0 = DefaultLinger.
	Linger time.Duration
	// ReloginBackoff is the wait before each automatic re-login after the legacy session
	// was lost (DISCONNECTED 0 or 16 after CONNECTED); its length is the number of
	// attempts before the fatal path. Empty = DefaultReloginBackoff(). Spectrum 2 makes
	// three attempts at once (spec 3.4); relogin.go says why we wait.
	ReloginBackoff []time.Duration
	Log            zerolog.Logger
	// Ops configures counting (ops.go); the zero value counts nothing.
	Ops OpsConfig
	// Features are the server features (router/feature), asked in this order. Two that
	// answer the same IQ are a wiring bug: New panics.
	Features []feature.Feature
	// Limits bound each user's queue and maps, and the number of users (limits.go).
	Limits Limits
}

// Backends is what the router needs from pluginserver (docs/architecture.md).
type Backends interface {
	// Login assigns the user to a backend and sends LOGIN; the outcome arrives later as
	// CONNECTED or DISCONNECTED. An error means no backend could take the user.
	Login(ctx context.Context, l *pbnetwork.Login) error
	// Send queues a frame for the backend serving user and never blocks; an error means no
	// live backend has the user or its outbound queue is full (pluginserver.ErrBackendBusy):
	// the caller answers as for a dead backend.
	Send(user string, t pbnetwork.WrapperMessage_Type, m proto.Message) error
	// Logout queues LOGOUT and detaches the user; it never blocks.
	Logout(user, legacyName string)
	// Features is what the backends announced in BACKEND_CONFIG.
	Features() pluginserver.Features
}

// RawSender is implemented by Backends that can send RAW_XML frames (spec 3.21). Send
// cannot carry them: a RAW_XML payload is XML text, not a protobuf message.
type RawSender interface {
	SendRawXML(user string, xml []byte) error
}

// Resource is one bound client resource. *c2s.Session satisfies it.
type Resource interface {
	JID() jid.JID
	Send(el *xmpp.Element) error
	Close(condition, text string)
}

// Router owns the users: their legacy sessions, rosters, presences and conversations.
// *Router implements c2s.Authenticator and pluginserver.Handler.
type Router struct {
	cfg      Config
	log      zerolog.Logger
	backends Backends

	mu     sync.RWMutex
	users  map[string]*user // bare JID -> user; guarded by mu
	closed bool             // guarded by mu: Run ended, no new logins

	actors  *tracker // running mailbox drainers and login calls
	vcardID atomic.Int32
	stanzaN atomic.Uint64 // ids of stanzas we originate
	raw     rawAssembler
	// capsVers are the XEP-0115 verification strings of the buddy features for each
	// buddyMask (disco.go), computed once: they go out with every buddy presence.
	capsVers [maskCount]string
	muc      *muc.Service // group chats: the global ROOM_LIST (router/muc)
	feats    features     // cfg.Features by interface (features.go)
	subs     subdomains   // the features' services and legacy files (subdomain.go)
	pwKey    *passwordKey // compares passwords (password.go)
}

// New returns a Router. SetBackends must be called before it is used.
func New(cfg Config) *Router {
	if cfg.LoginTimeout <= 0 {
		cfg.LoginTimeout = DefaultLoginTimeout
	}
	if cfg.VCardTimeout <= 0 {
		cfg.VCardTimeout = DefaultVCardTimeout
	}
	if len(cfg.ReloginBackoff) == 0 {
		cfg.ReloginBackoff = DefaultReloginBackoff()
	} else {
		cfg.ReloginBackoff = slices.Clone(cfg.ReloginBackoff)
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if d, err := jid.Parse(cfg.Domain); err == nil {
		cfg.Domain = d.Domainpart()
	}
	cfg.Domain = strings.ToLower(cfg.Domain)
	if cfg.IdentityName == "" {
		cfg.IdentityName = "Spectrum 2 Transport"
	}
	if cfg.IdentityCategory == "" {
		cfg.IdentityCategory = "gateway"
	}
	if cfg.IdentityType == "" {
		// Spectrum 2 defaults to "", which XEP-0030 does not allow.
		cfg.IdentityType = "xmpp"
	}
	r := &Router{
		cfg:    cfg,
		log:    cfg.Log.With().Str("component", "router").Logger(),
		users:  make(map[string]*user),
		actors: newTracker(),
		pwKey:  newPasswordKey(),
		muc: muc.New(muc.Config{Domain: cfg.Domain, MaxRooms: cfg.Limits.Rooms, MaxMembers: cfg.Limits.RoomMembers,
			History: cfg.MUCHistory, MaxRoomList: cfg.MaxRoomListSize}),
	}
	r.actors.refused = func() {
		r.log.Warn().Msg("work for a user posted after the router stopped; dropped")
	}
	r.raw.bufs = make(map[string][]byte)
	feats, err := newFeatures(cfg.Features)
	if err != nil {
		panic(err)
	}
	r.feats = feats
	r.subs = newSubdomains(cfg.Features, cfg.Domain)
	for m := range r.capsVers {
		r.capsVers[m] = r.computeCapsVer(m)
	}
	return r
}

// SetBackends sets the backend side. It must be called before anything runs.
func (r *Router) SetBackends(b Backends) { r.backends = b }

// Farewell is the first half of the router's shutdown (spec 2.10), to end while the
// client streams are still open: once ctx ends it refuses new logins, logs every user out
// of the legacy network (LOGOUT, and unavailable presences for their buddies) and waits
// for that work to finish.
func (r *Router) Farewell(ctx context.Context) error {
	<-ctx.Done()
	r.farewell()
	r.actors.Wait()
	return nil
}

// Run waits until ctx ends, does Farewell's work unless Farewell did, and waits for the
// users' queues to drain, including the work that c2s's closing streams post (the daemon
// ends Run after c2s, Farewell before it: server/run.go). Once Run has returned nothing
// of the router runs any more: what is posted later is dropped with a warning.
func (r *Router) Run(ctx context.Context) error {
	<-ctx.Done()
	r.farewell()
	r.actors.sealWhenIdle()
	r.log.Debug().Msg("router stopped")
	return nil
}

// farewell closes the router to new logins and posts every user's shutdown, once.
func (r *Router) farewell() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	users := make([]*user, 0, len(r.users))
	for _, u := range r.users {
		users = append(users, u)
	}
	r.mu.Unlock()
	for _, u := range users {
		u.post(u.shutdown)
	}
}

// escaping reports whether buddy JIDs use XEP-0106 (spec 3.7).
func (r *Router) escaping() bool {
	return r.cfg.JIDEscaping && !r.backends.Features().DisableJIDEscaping
}

// userFor returns the user of bare JID key, creating it unless the router is closed or
// holds limits.max_users users already; the error is the SASL failure.
func (r *Router) userFor(bare jid.JID) (*user, error) {
	key := bare.String()
	r.mu.RLock()
	u, closed := r.users[key], r.closed
	r.mu.RUnlock()
	if u != nil {
		return u, nil
	}
	if !closed {
		r.mu.Lock()
		defer r.mu.Unlock()
		closed = r.closed
	}
	if closed {
		return nil, shuttingDown()
	}
	if u = r.users[key]; u == nil {
		if n := r.cfg.Limits.MaxUsers; n > 0 && len(r.users) >= n {
			r.log.Warn().Int("max_users", n).Str("jid", key).Msg("login refused: limits.max_users reached")
			return nil, tooManyUsers(n)
		}
		u = newUser(r, bare)
		r.users[key] = u
	}
	return u, nil
}

// isClosed reports whether Run has ended the service.
func (r *Router) isClosed() bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.closed
}

// lookup returns the user of bare JID string key, or nil.
func (r *Router) lookup(key string) *user {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[key]
}

// forget removes u from the registry (called by u's own actor when its session is over).
func (r *Router) forget(u *user) {
	r.mu.Lock()
	if r.users[u.key] == u {
		delete(r.users, u.key)
	}
	r.mu.Unlock()
}

// HandleBackendMessage implements pluginserver.Handler: it only enqueues the frame on the
// user's queue.
func (r *Router) HandleBackendMessage(user string, t pbnetwork.WrapperMessage_Type, m proto.Message) {
	if user == "" {
		if l, ok := m.(*pbnetwork.RoomList); ok {
			r.muc.SetList(l) // spec 3.13: the global room list
			r.log.Debug().Int("rooms", len(l.GetRoom())).Msg("global room list")
			return
		}
		r.log.Debug().Stringer("type", t).Msg("frame without user ignored")
		return
	}
	u := r.lookup(user)
	if u == nil {
		r.log.Debug().Stringer("type", t).Str("user", user).Msg("frame for unknown user dropped")
		return
	}
	u.postFrame(func() { u.handleBackend(t, m) }, proto.Size(m), t == pbnetwork.WrapperMessage_TYPE_CONV_MESSAGE)
}

// nextID returns a unique id for a stanza the router originates.
func (r *Router) nextID(prefix string) string {
	return prefix + "-" + itoa(r.stanzaN.Add(1))
}
