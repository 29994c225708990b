package blocking

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// Namespaces of XEP-0191.
const (
	NS       = "urn:xmpp:blocking"
	NSErrors = "urn:xmpp:blocking:errors"
)

// Defaults of Config.
const (
	DefaultMaxItems = 1000
	DefaultTimeout  = 5 * time.Second
)

// Config configures the feature. Store is required.
type Config struct {
	Store    store.BlockStore
	MaxItems int           // JIDs per user; 0 = DefaultMaxItems
	Timeout  time.Duration // of one store call; 0 = DefaultTimeout
	Log      zerolog.Logger
}

// Blocking is the feature. It is safe for concurrent use: what it keeps per user is on
// the user's actor (feature.User.SetValue).
type Blocking struct {
	cfg    Config
	log    zerolog.Logger
	pushes atomic.Uint64 // ids of the pushes
}

var (
	_ feature.IQHandler       = (*Blocking)(nil)
	_ feature.Inbound         = (*Blocking)(nil)
	_ feature.Outbound        = (*Blocking)(nil)
	_ feature.InboundPresence = (*Blocking)(nil)
	_ feature.InboundIQ       = (*Blocking)(nil)
	_ feature.LegacyBlocks    = (*Blocking)(nil)
	_ feature.Disco           = (*Blocking)(nil)
)

// New returns the feature on cfg.Store.
func New(cfg Config) *Blocking {
	if cfg.MaxItems <= 0 {
		cfg.MaxItems = DefaultMaxItems
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Blocking{cfg: cfg, log: cfg.Log.With().Str("component", "blocking").Logger()}
}

// Name implements feature.Feature.
func (*Blocking) Name() string { return "blocking" }

// DiscoFeatures implements feature.Disco: the server advertises urn:xmpp:blocking.
func (*Blocking) DiscoFeatures(s feature.Scope) []string {
	if s == feature.Server {
		return []string{NS}
	}
	return nil
}

// IQs implements feature.IQHandler: the requests go to the account (no to).
func (*Blocking) IQs() []feature.IQ {
	return []feature.IQ{
		{Space: NS, Local: "blocklist", Scope: feature.Account},
		{Space: NS, Local: "block", Scope: feature.Account},
		{Space: NS, Local: "unblock", Scope: feature.Account},
	}
}

// list is one user's blocklist, cached on the user's actor.
type list struct {
	jids       []string        // in the order blocked
	set        map[string]bool // the same JIDs
	interested map[string]bool // full JIDs of the resources that asked for it
}

func (l *list) add(j string) bool {
	if l.set[j] {
		return false
	}
	l.set[j] = true
	l.jids = append(l.jids, j)
	return true
}

func (l *list) remove(j string) bool {
	if !l.set[j] {
		return false
	}
	delete(l.set, j)
	for i, x := range l.jids {
		if x == j {
			l.jids = append(l.jids[:i], l.jids[i+1:]...)
			break
		}
	}
	return true
}

// blocks reports whether a stanza from (or to) addr is blocked: its full JID, bare JID,
// domain/resource or domain is listed (XEP-0191 section 3.4, with XEP-0016's matching).
// The user's own JIDs never are.
func (l *list) blocks(self jid.JID, addr string) bool {
	if len(l.jids) == 0 || addr == "" {
		return false
	}
	j, err := jid.Parse(addr)
	if err != nil || j.Bare().Equal(self) {
		return false
	}
	d := j.Domainpart()
	if l.set[j.String()] || l.set[j.Bare().String()] || l.set[d] {
		return true
	}
	return j.Resourcepart() != "" && l.set[d+"/"+j.Resourcepart()]
}

type listKey struct{}

// load returns the user's blocklist, read from the store on first use.
func (b *Blocking) load(u feature.User) (*list, error) {
	if l, ok := u.Value(listKey{}).(*list); ok {
		return l, nil
	}
	ctx, cancel := b.ctx()
	defer cancel()
	jids, err := b.cfg.Store.Blocklist(ctx, u.JID().String())
	if err != nil {
		return nil, err
	}
	l := &list{set: make(map[string]bool, len(jids)), interested: map[string]bool{}}
	for _, j := range jids {
		l.add(j)
	}
	u.SetValue(listKey{}, l)
	return l, nil
}

// blocked reports whether addr is blocked for u. A store failure blocks nothing: the
// stanza is delivered rather than lost, and the failure logged.
func (b *Blocking) blocked(u feature.User, addr string) bool {
	l, err := b.load(u)
	if err != nil {
		b.log.Error().Err(err).Str("jid", u.JID().String()).Msg("reading the blocklist failed")
		return false
	}
	return l.blocks(u.JID(), addr)
}

// Inbound implements feature.Inbound: a blocked sender's messages are dropped.
func (b *Blocking) Inbound(u feature.User, msg *xmpp.Element, _ feature.Source) feature.Verdict {
	if b.blocked(u, msg.From()) {
		b.log.Debug().Str("jid", u.JID().String()).Msg("message from a blocked JID dropped")
		return feature.Stop
	}
	return feature.Continue
}

// InboundPresence implements feature.InboundPresence: a blocked contact's presences are
// dropped.
func (b *Blocking) InboundPresence(u feature.User, p *xmpp.Element, _ feature.Source) feature.Verdict {
	if b.blocked(u, p.From()) {
		return feature.Stop
	}
	return feature.Continue
}

// errBlockedIQ answers a blocked contact's IQ request (XEP-0191 section 3.4).
var errBlockedIQ = &feature.Error{Type: xmpp.ErrTypeCancel, Condition: xmpp.StanzaServiceUnavailable}

// InboundIQ implements feature.InboundIQ.
func (b *Blocking) InboundIQ(u feature.User, iq *xmpp.Element, _ feature.Source) *feature.Error {
	if b.blocked(u, iq.From()) {
		return errBlockedIQ
	}
	return nil
}

// Outbound implements feature.Outbound: a message to a blocked JID is answered
// not-acceptable with <blocked/> (XEP-0191 section 3.5).
func (b *Blocking) Outbound(u feature.User, from string, msg *xmpp.Element) feature.Verdict {
	if !b.blocked(u, msg.To()) {
		return feature.Continue
	}
	if reply := xmpp.ErrorReply(msg, xmpp.ErrTypeCancel, "not-acceptable", ""); reply != nil {
		if e := reply.Child(xmpp.NSClient, "error"); e != nil {
			e.Append(xmpp.New(NSErrors, "blocked"))
		}
		u.Send(from, reply)
	}
	return feature.Stop
}

func (b *Blocking) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.cfg.Timeout)
}

// errStore is what a client hears when the store failed.
var errStore = errors.New("blocklist store failed")
