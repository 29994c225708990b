package offline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// Defaults of Config.
const (
	DefaultMaxMessages = 500
	DefaultExpireAfter = 7 * 24 * time.Hour
	DefaultSweepEvery  = time.Minute
	DefaultSweepBatch  = 500
	DefaultTimeout     = 5 * time.Second
)

// fetchBatch is how many stored messages one store read hands to a login.
const fetchBatch = 100

// sweepRounds bounds the store calls of one sweep tick (each deletes SweepBatch at most).
const sweepRounds = 4

// NSOffline is the disco#info feature of XEP-0160.
const NSOffline = "msgoffline"

// Counter counts what the feature refused or expired; *metrics.Metrics implements it.
type Counter interface {
	// OfflineRefused counts a message refused because the user's storage was full;
	// source is "legacy" or "local".
	OfflineRefused(source string)
	// OfflineExpired counts messages deleted by the expiry sweep.
	OfflineExpired(n int)
}

// Config configures the feature. Store is required.
type Config struct {
	Store store.OfflineStore
	// Accounts, if set, records every login and tells a logged-out user of this server
	// from a legacy contact (feature.Absent); nil: a message to a user the router does
	// not know goes to the legacy network.
	Accounts    store.AccountStore
	Domain      string        // service.jid's domain, for the <delay/> of a logged-out user's messages
	MaxMessages int           // per user; 0 = DefaultMaxMessages
	ExpireAfter time.Duration // 0 = DefaultExpireAfter
	SweepEvery  time.Duration // 0 = DefaultSweepEvery
	SweepBatch  int           // 0 = DefaultSweepBatch
	Timeout     time.Duration // of one store call; 0 = DefaultTimeout
	// LoginBytes bounds the bytes of stored messages one login gets (the daemon passes
	// half of limits.session_send_bytes); what is left stays stored for the next login,
	// and the client is told. Without it, more stored bytes than the session may hold
	// closed the session at every login and the user could never log in. 0: no bound.
	LoginBytes int
	Counter    Counter // nil counts nothing
	Log        zerolog.Logger
}

// Offline is the feature. It is safe for concurrent use: its hooks run on many users'
// actors at once and keep no state but the store's.
type Offline struct {
	cfg Config
	log zerolog.Logger
	now func() time.Time
}

var (
	_ feature.NoResource = (*Offline)(nil)
	_ feature.Inbound    = (*Offline)(nil)
	_ feature.Login      = (*Offline)(nil)
	_ feature.Disco      = (*Offline)(nil)
	_ feature.Absent     = (*Offline)(nil)
)

// New returns the feature on cfg.Store.
func New(cfg Config) *Offline {
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = DefaultMaxMessages
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = DefaultExpireAfter
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = DefaultSweepEvery
	}
	if cfg.SweepBatch <= 0 {
		cfg.SweepBatch = DefaultSweepBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Offline{cfg: cfg, log: cfg.Log.With().Str("component", "offline").Logger(), now: time.Now}
}

// Name implements feature.Feature.
func (*Offline) Name() string { return "offline" }

// DiscoFeatures implements feature.Disco: the server advertises msgoffline.
func (*Offline) DiscoFeatures(s feature.Scope) []string {
	if s == feature.Server {
		return []string{NSOffline}
	}
	return nil
}

// storable: a message a user wrote that XEP-0160 section 3 keeps: chat or normal with a
// body (not groupchat, headline or error).
func storable(msg *xmpp.Element) bool {
	switch msg.Type() {
	case "", "normal", "chat":
	default:
		return false
	}
	return msg.Local == "message" && msg.Child(xmpp.NSClient, "body") != nil
}

// errFull is what a local sender hears when the user's storage is full.
var errFull = &feature.Error{Type: xmpp.ErrTypeWait, Condition: "resource-constraint",
	Text: "The recipient's offline storage is full."}

// NoResource implements feature.NoResource: it stores msg for the next login.
func (o *Offline) NoResource(u feature.User, msg *xmpp.Element, src feature.Source) (bool, error) {
	if !storable(msg) {
		return false, nil
	}
	return o.push(u.JID().String(), u.Domain(), msg, src)
}

// Inbound implements feature.Inbound: while the user has resources bound but none
// available and messages are stored, a new one is stored behind them, so that the
// initial presence gets them all in order. Otherwise it routes on.
func (o *Offline) Inbound(u feature.User, msg *xmpp.Element, src feature.Source) feature.Verdict {
	if !storable(msg) {
		return feature.Continue
	}
	rs := u.Resources()
	if len(rs) == 0 {
		return feature.Continue // the router offers it through NoResource
	}
	for _, r := range rs {
		if r.Available {
			return feature.Continue
		}
	}
	ctx, cancel := o.ctx()
	defer cancel()
	if n, err := o.cfg.Store.CountOffline(ctx, u.JID().String()); err != nil || n == 0 {
		return feature.Continue
	}
	if kept, _ := o.push(u.JID().String(), u.Domain(), msg, src); kept {
		return feature.Stop
	}
	return feature.Continue // full: the bound resource gets it rather than nobody
}

// push stores msg with its <delay/>. A store failure keeps nothing (the router then keeps
// it in memory); a full store refuses.
func (o *Offline) push(user, domain string, msg *xmpp.Element, src feature.Source) (bool, error) {
	at := o.now()
	msg.SetAttr("to", user)
	if msg.Child(xmpp.NSDelay, "delay") == nil {
		msg.Append(xmpp.New(xmpp.NSDelay, "delay", "from", domain, "stamp", at.UTC().Format("2006-01-02T15:04:05Z")))
	}
	ctx, cancel := o.ctx()
	defer cancel()
	m := store.Message{At: at, From: msg.From(), Stanza: msg.AppendXML(nil, xmpp.NSClient)}
	err := o.cfg.Store.PushOffline(ctx, user, m, o.cfg.MaxMessages)
	switch {
	case errors.Is(err, store.ErrFull):
		source := "local"
		if src == feature.Legacy {
			source = "legacy"
		}
		o.log.Warn().Str("jid", user).Str("source", source).Int("max_messages", o.cfg.MaxMessages).
			Msg("offline storage full; message refused")
		if o.cfg.Counter != nil {
			o.cfg.Counter.OfflineRefused(source)
		}
		return false, errFull
	case err != nil:
		o.log.Error().Err(err).Str("jid", user).Msg("storing an offline message failed")
		return false, nil
	}
	o.log.Debug().Str("jid", user).Msg("message stored for the next login")
	return true, nil
}

// Login implements feature.Login: the stored messages go to the resource that became
// available (XEP-0160: with a non-negative priority), oldest first, and are deleted once
// its session took them. What it refuses (it is closing) stays for the next login.
func (o *Offline) Login(u feature.User, resource string) {
	o.touch(u.JID().String())
	for _, r := range u.Resources() {
		if r.JID == resource && r.Priority < 0 {
			return
		}
	}
	user := u.JID().String()
	sent, budget := 0, &loginBudget{left: o.cfg.LoginBytes}
	for sent < o.cfg.MaxMessages {
		n, done := o.deliverBatch(u, user, resource, budget)
		sent += n
		if done {
			break
		}
	}
	if sent > 0 {
		o.log.Info().Str("jid", user).Int("messages", sent).Msg("offline messages delivered")
	}
	if budget.full { // the bound stopped the delivery
		o.tellLeft(u, user, resource)
	}
}

// tellLeft tells the resource how many stored messages wait for its next login.
func (o *Offline) tellLeft(u feature.User, user, resource string) {
	ctx, cancel := o.ctx()
	defer cancel()
	n, err := o.cfg.Store.CountOffline(ctx, user)
	if err != nil || n == 0 {
		return
	}
	text := fmt.Sprintf("%d more stored messages are waiting: they did not fit into this login. "+
		"They arrive at your next login.", n)
	u.Send(resource, xmpp.New(xmpp.NSClient, "message", "from", o.cfg.Domain, "to", resource, "type", "chat").
		Append(xmpp.New(xmpp.NSClient, "body").AppendText(text)))
}

// deliverBatch sends one batch of stored messages; done is true when there are no more or
// the session refused one.
// loginBudget is what one login may still get (Config.LoginBytes; 0: no bound). The
// first message always goes, however large.
type loginBudget struct {
	left int
	some bool // a message went
	full bool // a message did not fit: the delivery ended there
}

// take reports whether n more bytes fit, and counts them.
func (b *loginBudget) take(n int) bool {
	if b.left > 0 && b.some && n > b.left {
		b.full = true
		return false
	}
	b.left, b.some = b.left-n, true
	return true
}

// deliverBatch sends one batch of stored messages within budget; done is true when
// there are no more, the session refused one or the budget is spent.
func (o *Offline) deliverBatch(u feature.User, user, resource string, budget *loginBudget) (sent int, done bool) {
	ctx, cancel := o.ctx()
	defer cancel()
	msgs, err := o.cfg.Store.Offline(ctx, user, fetchBatch)
	if err != nil {
		o.log.Error().Err(err).Str("jid", user).Msg("reading offline messages failed")
		return 0, true
	}
	var through int64
	for _, m := range msgs {
		if o.cfg.LoginBytes > 0 && !budget.take(len(m.Stanza)) {
			done = true
			break
		}
		el, err := parse(m.Stanza)
		if err != nil {
			o.log.Error().Err(err).Str("jid", user).Int64("id", m.ID).Msg("stored offline message unreadable; deleted")
		} else if !u.Send(resource, el) {
			done = true
			break
		} else {
			sent++
		}
		through = m.ID
	}
	if through != 0 {
		if err := o.cfg.Store.DeleteOffline(ctx, user, through); err != nil {
			o.log.Error().Err(err).Str("jid", user).Msg("deleting delivered offline messages failed")
			return sent, true // they would come again: better once more than in a loop
		}
	}
	return sent, done || len(msgs) < fetchBatch
}

// touch records a login in Accounts.
func (o *Offline) touch(user string) {
	if o.cfg.Accounts == nil {
		return
	}
	ctx, cancel := o.ctx()
	defer cancel()
	if err := o.cfg.Accounts.TouchAccount(ctx, user, o.now()); err != nil {
		o.log.Error().Err(err).Str("jid", user).Msg("recording the login failed")
	}
}

// MessageAbsent implements feature.Absent: a message from a local user to an account
// that logged in before and is logged out now is stored, with the bound: past it the
// sender gets resource-constraint. What XEP-0160 does not store (chat states, errors) is
// dropped, as for any user without an available resource (RFC 6121 8.5.2.2).
func (o *Offline) MessageAbsent(to jid.JID, msg *xmpp.Element) (bool, error) {
	if o.cfg.Accounts == nil {
		return false, nil
	}
	user := to.Bare().String()
	ctx, cancel := o.ctx()
	_, known, err := o.cfg.Accounts.Account(ctx, user)
	cancel()
	switch {
	case err != nil:
		o.log.Error().Err(err).Str("jid", user).Msg("looking up an account failed")
		return false, nil // as before the account table: the legacy network's call
	case !known:
		return false, nil
	case !storable(msg):
		o.log.Debug().Str("jid", user).Str("type", msg.Type()).Msg("message to a logged-out user not stored")
		return true, nil
	}
	kept, err := o.push(user, o.cfg.Domain, msg, feature.Local)
	if !kept && err == nil {
		// The store failed (logged): the sender hears it rather than the legacy network.
		return true, &feature.Error{Type: xmpp.ErrTypeWait, Condition: xmpp.StanzaRecipientUnavailable}
	}
	return true, err
}

func (o *Offline) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), o.cfg.Timeout)
}

// streamHeader opens the stream a stored stanza is parsed in: it was written with
// jabber:client as the default namespace.
const streamHeader = "<stream:stream xmlns='" + xmpp.NSClient + "' xmlns:stream='" + xmpp.NSStream + "'>"

// parse reads back a stanza push serialised.
func parse(b []byte) (*xmpp.Element, error) {
	src := io.MultiReader(strings.NewReader(streamHeader), bytes.NewReader(b))
	rd := xmpp.NewReader(src, xmpp.Limits{MaxStanzaBytes: int64(len(b)) + 1, MaxDepth: 1 << 10})
	if _, err := rd.StreamHeader(); err != nil {
		return nil, err
	}
	return rd.Next()
}

// Run sweeps expired messages every SweepEvery until ctx ends.
func (o *Offline) Run(ctx context.Context) error {
	t := time.NewTicker(o.cfg.SweepEvery)
	defer t.Stop()
	for {
		o.Sweep(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Sweep deletes messages older than ExpireAfter: at most sweepRounds*SweepBatch per call,
// so that a large backlog is worked off over several ticks. It returns how many went.
func (o *Offline) Sweep(ctx context.Context) int {
	before := o.now().Add(-o.cfg.ExpireAfter)
	total := 0
	for range sweepRounds {
		cctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
		n, err := o.cfg.Store.ExpireOffline(cctx, before, o.cfg.SweepBatch)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				o.log.Error().Err(err).Msg("offline expiry sweep failed")
			}
			break
		}
		total += n
		if n < o.cfg.SweepBatch {
			break
		}
	}
	if total > 0 {
		o.log.Info().Int("messages", total).Dur("expire_after", o.cfg.ExpireAfter).Msg("expired offline messages deleted")
		if o.cfg.Counter != nil {
			o.cfg.Counter.OfflineExpired(total)
		}
	}
	return total
}
