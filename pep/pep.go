package pep

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// Namespaces of XEP-0060, XEP-0163 and what is built on them.
const (
	NSPubSub         = "http://jabber.org/protocol/pubsub"
	NSPubSubOwner    = NSPubSub + "#owner"
	NSPubSubEvent    = NSPubSub + "#event"
	NSPubSubErrors   = NSPubSub + "#errors"
	NSPublishOptions = NSPubSub + "#publish-options"
	NSNodeConfig     = NSPubSub + "#node_config"
	NSPrivate        = "jabber:iq:private"
	NSBookmarks      = "storage:bookmarks" // XEP-0048
	NSBookmarks2     = "urn:xmpp:bookmarks:1"
	NSAvatarData     = "urn:xmpp:avatar:data"
	NSAvatarMeta     = "urn:xmpp:avatar:metadata"
	NSNick           = "http://jabber.org/protocol/nick"
)

// Defaults of Config.
const (
	DefaultMaxNodes     = 64
	DefaultMaxItemBytes = 256 << 10
	DefaultMaxItems     = 256
	DefaultMaxPrivate   = 32
	DefaultCapsCache    = 1024
	DefaultTimeout      = 5 * time.Second
)

// Config configures the feature. Store is required.
type Config struct {
	Store        store.PEPStore
	MaxNodes     int // nodes per user; 0 = DefaultMaxNodes
	MaxItemBytes int // serialised payload of one item (and one private XML element); 0 = DefaultMaxItemBytes
	MaxItems     int // items per node ("max" in a form); 0 = DefaultMaxItems
	MaxPrivate   int // private XML namespaces per user; 0 = DefaultMaxPrivate
	CapsCache    int // verification strings kept; 0 = DefaultCapsCache
	Timeout      time.Duration
	Log          zerolog.Logger
}

// PEP is the feature. It is safe for concurrent use: per-user state lives in the user's
// feature values (on the user's actor), the caps cache has its own lock.
type PEP struct {
	cfg  Config
	log  zerolog.Logger
	caps *capsCache
	now  func() time.Time
}

var (
	_ feature.IQHandler       = (*PEP)(nil)
	_ feature.Disco           = (*PEP)(nil)
	_ feature.DiscoIdentities = (*PEP)(nil)
	_ feature.Presence        = (*PEP)(nil)
	_ feature.IQResponse      = (*PEP)(nil)
	_ feature.Login           = (*PEP)(nil)
	_ feature.OwnVCard        = (*PEP)(nil)
)

// New returns the feature on cfg.Store.
func New(cfg Config) *PEP {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxNodes, DefaultMaxNodes)
	def(&cfg.MaxItemBytes, DefaultMaxItemBytes)
	def(&cfg.MaxItems, DefaultMaxItems)
	def(&cfg.MaxPrivate, DefaultMaxPrivate)
	def(&cfg.CapsCache, DefaultCapsCache)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &PEP{cfg: cfg, log: cfg.Log.With().Str("component", "pep").Logger(),
		caps: &capsCache{max: cfg.CapsCache, m: map[string]map[string]bool{}}, now: time.Now}
}

// Name implements feature.Feature.
func (*PEP) Name() string { return "pep" }

// IQs implements feature.IQHandler.
func (*PEP) IQs() []feature.IQ {
	return []feature.IQ{
		{Space: NSPubSub, Local: "pubsub", Scope: feature.Account},
		{Space: NSPubSubOwner, Local: "pubsub", Scope: feature.Account},
		{Space: NSPrivate, Local: "query", Scope: feature.Account},
		{Space: NSPubSub, Local: "pubsub", Scope: feature.Peer},
	}
}

// pubsubFeatures are the XEP-0060 features the account advertises (XEP-0163 section 6).
var pubsubFeatures = []string{"publish", "publish-options", "retrieve-items", "retract-items",
	"delete-nodes", "auto-create", "create-nodes", "config-node", "persistent-items",
	"last-published", "access-presence", "access-open", "access-whitelist", "item-ids",
	"multi-items", "filtered-notifications", "delete-items"}

// DiscoFeatures implements feature.Disco. XEP-0163 section 6 puts the PEP features on
// the account's bare JID; the server's own disco#info lists them too, as ejabberd's does
// (mod_pubsub's disco_local_features), because some clients look only there: Profanity
// 0.13 publishes its OMEMO bundle and device list with publish-options (access model
// open, so that contacts can fetch them) only when the server's disco#info lists
// pubsub#publish-options. Private XML storage stays on the account alone.
func (*PEP) DiscoFeatures(s feature.Scope) []string {
	var out []string
	switch s {
	case feature.Account:
		out = []string{NSPubSub, NSPrivate}
	case feature.Server:
		out = []string{NSPubSub}
	default:
		return nil
	}
	for _, f := range pubsubFeatures {
		out = append(out, NSPubSub+"#"+f)
	}
	return out
}

// DiscoIdentities implements feature.DiscoIdentities: the account is a PEP service, and
// so is the server in its own disco#info (as ejabberd's says; see DiscoFeatures).
func (*PEP) DiscoIdentities(s feature.Scope) []feature.Identity {
	if s != feature.Account && s != feature.Server {
		return nil
	}
	return []feature.Identity{{Category: "pubsub", Type: "pep"}}
}

// HandleIQ implements feature.IQHandler.
func (p *PEP) HandleIQ(u feature.User, from string, iq, payload *xmpp.Element) {
	if to := iq.To(); to != "" && bareOf(to) != u.JID().String() {
		p.peerIQ(u, from, iq) // another user's service (feature.Peer)
		return
	}
	r := &request{p: p, u: u, from: from, iq: iq, user: u.JID().String()}
	switch payload.Space {
	case NSPubSub:
		r.pubsub(payload)
	case NSPubSubOwner:
		r.owner(payload)
	case NSPrivate:
		r.private(payload)
	}
}

func (p *PEP) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), p.cfg.Timeout)
}

// request is one IQ being answered.
type request struct {
	p        *PEP
	u        feature.User
	from     string // the resource's full JID
	iq       *xmpp.Element
	user     string // bare JID
	answered bool
	// out, if set, takes the answer instead of u.Send: a request from another user of
	// the server, answered from the owner's actor (peer.go).
	out func(*xmpp.Element)
}

// deliver sends an answer to the requesting resource.
func (r *request) deliver(el *xmpp.Element) {
	r.answered = true
	if r.out != nil {
		r.out(el)
		return
	}
	r.u.Send(r.from, el)
}

// result answers the IQ with payload (nil for an empty result).
func (r *request) result(payload *xmpp.Element) {
	res := xmpp.New(xmpp.NSClient, "iq", "type", "result", "id", r.iq.ID())
	res.SetAttr("from", r.iq.To())
	if payload != nil {
		res.Append(payload)
	}
	r.deliver(res)
}

// fail answers an error; app, if not empty, is a pubsub#errors condition.
func (r *request) fail(typ, cond, app, text string) {
	e := xmpp.ErrorReply(r.iq, typ, cond, text)
	if app != "" {
		e.Child(r.iq.Space, "error").Append(xmpp.New(NSPubSubErrors, app))
	}
	r.deliver(e)
}

// storeFailed answers a failed store call.
func (r *request) storeFailed(err error) {
	r.p.log.Error().Err(err).Str("jid", r.user).Msg("PEP store call failed")
	r.fail(xmpp.ErrTypeWait, xmpp.StanzaInternalServerError, "", "storage unavailable")
}

// capsCache maps a verified XEP-0115 verification string to its +notify nodes. It is
// bounded: past max entries an arbitrary one goes.
type capsCache struct {
	mu  sync.Mutex
	max int
	m   map[string]map[string]bool
}

func (c *capsCache) get(ver string) (map[string]bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.m[ver]
	return n, ok
}

func (c *capsCache) put(ver string, nodes map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[ver]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[ver] = nodes
}
