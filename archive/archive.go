package archive

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// Namespaces of XEP-0313 and XEP-0059.
const (
	NSMAM         = "urn:xmpp:mam:2"
	NSMAMExtended = "urn:xmpp:mam:2#extended"
	NSRSM         = "http://jabber.org/protocol/rsm"
)

// Defaults of Config.
const (
	DefaultMaxPage     = 250
	DefaultMaxMessages = 10000
	DefaultExpireAfter = 7 * 24 * time.Hour
	DefaultSweepEvery  = time.Minute
	DefaultSweepBatch  = 1000
	DefaultTimeout     = 5 * time.Second
)

// Config configures the feature. Store is required.
type Config struct {
	Store store.ArchiveStore
	// Default is the preference of a user who set none: "always", "never" or "roster".
	Default     string
	MaxPage     int           // results per query page; 0 = DefaultMaxPage
	MaxMessages int           // entries per user, rooms included; 0 = DefaultMaxMessages
	ExpireAfter time.Duration // 0 = DefaultExpireAfter; negative keeps entries forever
	SweepEvery  time.Duration // 0 = DefaultSweepEvery
	SweepBatch  int           // 0 = DefaultSweepBatch
	Timeout     time.Duration // of one store call; 0 = DefaultTimeout
	Queue       int           // entries waiting for the writer (Run); 0 = DefaultQueue
	// SpareProc: GOMAXPROCS is 1 and the writer raises it to 2 for each of its store
	// calls (lowthread.go). The server sets it when it chose no GOMAXPROCS itself.
	SpareProc bool
	Log       zerolog.Logger
}

// Archive is the feature. It is safe for concurrent use: its hooks run on many users'
// actors at once and keep per-user state only in feature.User values.
type Archive struct {
	cfg   Config
	log   zerolog.Logger
	now   func() time.Time
	queue chan pending // to the writer (writer.go)

	seqMu     sync.Mutex
	seq, seqs int64 // the next reserved row id, and the ids left from it (nextID)
	// spare, spares: a block reserved ahead by the writer (reserveAhead), taken when the
	// current one runs out; spares 0: none yet.
	spare, spares int64
	// kick ends the writer's gather window early (writer.go; capacity 1).
	kick chan struct{}
	// refill asks the writer to reserve the spare block (capacity 1: one request at most).
	refill chan struct{}
	// warmQ holds the logins whose reads are ahead (warm.go), warmers the goroutines
	// reading them, at most warmReads.
	warmQ   chan *warm
	warmMu  sync.Mutex
	warmers int
}

var (
	_ feature.Inbound      = (*Archive)(nil)
	_ feature.Outbound     = (*Archive)(nil)
	_ feature.RoomMessages = (*Archive)(nil)
	_ feature.RoomPrivates = (*Archive)(nil)
	_ feature.IQHandler    = (*Archive)(nil)
	_ feature.Disco        = (*Archive)(nil)
	_ feature.DiscoForms   = (*Archive)(nil)
)

// New returns the feature on cfg.Store.
func New(cfg Config) *Archive {
	if cfg.Default == "" {
		cfg.Default = prefAlways
	}
	if cfg.MaxPage <= 0 {
		cfg.MaxPage = DefaultMaxPage
	}
	if cfg.MaxMessages <= 0 {
		cfg.MaxMessages = DefaultMaxMessages
	}
	if cfg.ExpireAfter == 0 {
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
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	return &Archive{cfg: cfg, log: cfg.Log.With().Str("component", "archive").Logger(), now: time.Now,
		queue: make(chan pending, cfg.Queue), kick: make(chan struct{}, 1), refill: make(chan struct{}, 1), warmQ: make(chan *warm, warmQueue)}
}

// Name implements feature.Feature.
func (*Archive) Name() string { return "archive" }

// DiscoFeatures implements feature.Disco: the account and the rooms advertise MAM, the
// account also the stanza-ids.
func (*Archive) DiscoFeatures(s feature.Scope) []string {
	switch s {
	case feature.Account:
		return []string{NSMAM, NSMAMExtended, xmpp.NSSID}
	case feature.Room:
		return []string{NSMAM, NSMAMExtended, xmpp.NSSID}
	}
	return nil
}

// DiscoForms implements feature.DiscoForms: a room's muc#roominfo form says that it is
// archived, under both names clients look for: ejabberd's "mam" and Prosody's
// "muc#roomconfig_enablearchiving" (Smack, for one, reads either).
func (*Archive) DiscoForms(s feature.Scope) []*xmpp.Element {
	if s != feature.Room {
		return nil
	}
	field := func(name, value string) *xmpp.Element {
		return xmpp.New(xmpp.NSDataForms, "field", "var", name, "type", "boolean").
			Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(value))
	}
	return []*xmpp.Element{xmpp.New(xmpp.NSDataForms, "x", "type", "result").Append(
		xmpp.New(xmpp.NSDataForms, "field", "var", "FORM_TYPE", "type", "hidden").
			Append(xmpp.New(xmpp.NSDataForms, "value").AppendText(nsRoomInfo)),
		field("mam", "1"), field("muc#roomconfig_enablearchiving", "1"))}
}

// nsRoomInfo is the FORM_TYPE of a room's extended disco#info (XEP-0045 15.5.4).
const nsRoomInfo = "http://jabber.org/protocol/muc#roominfo"

// archivable: a message a user wrote: chat or normal with a body, not an error, a
// headline or a groupchat message (rooms have their own hook).
func archivable(msg *xmpp.Element) bool {
	if msg.Local != "message" {
		return false
	}
	switch msg.Type() {
	case "", "normal", "chat":
	default:
		return false
	}
	return msg.Child(xmpp.NSClient, "body") != nil
}

// Inbound implements feature.Inbound: a message to the user is archived under its
// sender and stamped.
func (a *Archive) Inbound(u feature.User, msg *xmpp.Element, src feature.Source) feature.Verdict {
	user := u.JID().String()
	strip(msg, user)
	if !archivable(msg) {
		return feature.Continue
	}
	legacyID := ""
	if src == feature.Legacy {
		legacyID = msg.ID() // the backend's id (router: kept end to end)
	}
	a.archive(u, "", msg, msg.From(), legacyID)
	return feature.Continue
}

// Outbound implements feature.Outbound: a message the user sends is archived under its
// recipient and stamped, so that the sent carbons carry the id. A client's stanza-id
// claiming to be ours is removed first (XEP-0359 section 5).
func (a *Archive) Outbound(u feature.User, from string, msg *xmpp.Element) feature.Verdict {
	strip(msg, u.JID().String())
	if !archivable(msg) {
		return feature.Continue
	}
	// The backend gets the origin-id, else the id (router.messageID): that is the id the
	// legacy network knows the message by.
	legacyID := originID(msg)
	if legacyID == "" {
		legacyID = msg.ID()
	}
	if msg.From() == "" {
		msg.SetAttr("from", from)
	}
	a.archive(u, "", msg, msg.To(), legacyID)
	return feature.Continue
}

// RoomMessage implements feature.RoomMessages: a groupchat message with a body goes into
// the user's archive of the room, stamped by the room.
func (a *Archive) RoomMessage(u feature.User, room string, msg *xmpp.Element, legacyID string) {
	if j, err := jid.Parse(room); err == nil {
		room = j.Bare().String() // as a query's to names it
	}
	strip(msg, room)
	if msg.Child(xmpp.NSClient, "body") == nil {
		return
	}
	a.archive(u, room, msg, msg.From(), legacyID)
}

// RoomPrivate implements feature.RoomPrivates: a private message with a room occupant
// goes into the user's own archive like a one-to-one chat, under the occupant's full JID
// (with_full; with_bare is the room's), stamped by the user: XEP-0313 keeps a MUC
// private message in the user's archive, and a client tells it from a chat by the room
// JID and the muc#user <x/> it carries (XEP-0045 7.5). A query with the occupant's JID
// as with finds that conversation, one with the room's bare JID every private one in it.
func (a *Archive) RoomPrivate(u feature.User, occupant string, msg *xmpp.Element, out bool, legacyID string) {
	strip(msg, u.JID().String())
	if msg.Child(xmpp.NSClient, "body") == nil || msg.Type() == "error" {
		return
	}
	a.archiveIn(u, "", msg, occupant, legacyID, true)
}

// archive stores msg in the user's archive (room "" for the user's own) under the other
// side peer (a JID) if the preferences keep it, and stamps it with its stanza-id.
func (a *Archive) archive(u feature.User, room string, msg *xmpp.Element, peer, legacyID string) {
	a.archiveIn(u, room, msg, peer, legacyID, room != "")
}

// archiveIn is archive; inRoom says the peer is (in) a room the user has joined, which
// the "roster" preference keeps.
func (a *Archive) archiveIn(u feature.User, room string, msg *xmpp.Element, peer, legacyID string, inRoom bool) {
	bare, full, ok := peerJID(peer)
	if !ok {
		return // the router addresses every message; nothing to file it under
	}
	user := u.JID().String()
	if !a.keeps(u, bare, inRoom) {
		return
	}
	by := user
	if room != "" {
		by = room
	}
	seq, sid := a.nextID(a.floor(u, user))
	msg.Append(xmpp.New(xmpp.NSSID, "stanza-id", "by", by, "id", sid))
	e := store.ArchiveEntry{Seq: seq, Room: room, StanzaID: sid, With: bare, WithFull: full, At: a.now(),
		OriginID: originID(msg), LegacyID: legacyID}
	stored := msg
	if d := msg.Child(xmpp.NSDelay, "delay"); d != nil {
		stored = msg.Clone()
		stored.RemoveChildren(xmpp.NSDelay, "delay") // the result's <forwarded/> carries the time
		if d.Attr("from") == "" {
			stored.Append(d.Clone()) // but a legacy network's own stamp (a replayed message) stays
		}
	}
	// A chat message's serialised form is some 300 to 500 bytes: one allocation, not the
	// seven that growing from nil takes.
	e.Stanza = stored.AppendXML(make([]byte, 0, 512), xmpp.NSClient)
	a.enqueue(store.ArchiveWrite{User: user, Entry: e})
	remember(u, room, sid, legacyID) // ids.go
	a.enforceQuota(u, user)
}

// peerJID is the bare and the full form of JID s as jid.Parse would give them. The
// router's addresses are mostly in their normal form already (lower-case ASCII before
// any resource), which is then checked and kept without PRECIS's costly preparation (a
// third of the archive's hooks); anything else is parsed.
func peerJID(s string) (bare, full string, ok bool) {
	slash := strings.IndexByte(s, '/')
	head := s
	if slash >= 0 {
		head = s[:slash]
	}
	at := strings.IndexByte(head, '@')
	plain := head != "" && at != 0 && at != len(head)-1 && slash != len(s)-1 && strings.Count(head, "@") <= 1
	for i := 0; plain && i < len(s); i++ {
		c := s[i]
		switch {
		case i < len(head) && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == '%' || c == '@' || c == '#'):
		case i > len(head) && c > ' ' && c < 0x7f:
		case i == len(head):
		default:
			plain = false
		}
	}
	if plain && !strings.Contains(head, "..") && head[len(head)-1] != '.' && head[0] != '.' {
		return head, s, true
	}
	j, err := jid.Parse(s)
	if err != nil {
		return "", "", false
	}
	return j.Bare().String(), j.String(), true
}

// countKey keeps a user's entry count (an *int) between messages, so that the quota
// costs one count per login and a trim per MaxMessages/20 messages.
type countKey struct{}

// enforceQuota has the user's oldest entries deleted once the user holds more than
// MaxMessages, down to 95 % of it, so that a trim is not needed on every message. The
// count includes what is queued; the writer trims after writing it.
func (a *Archive) enforceQuota(u feature.User, user string) {
	n, _ := u.Value(countKey{}).(*int)
	if n == nil {
		ctx, cancel := a.ctx()
		c, err := a.cfg.Store.CountUserArchive(ctx, user)
		cancel()
		if err != nil {
			return
		}
		n = &c
		u.SetValue(countKey{}, n)
	} else {
		*n++
	}
	if *n <= a.cfg.MaxMessages {
		return
	}
	keep := a.cfg.MaxMessages - a.cfg.MaxMessages/20
	// The writer trims, after the entries queued before (enqueueTrim): made here, the trim
	// waited for the queue (a flush) and a write on the user's actor. The count is what
	// the trim leaves; a sweep or a purge since the login can only have made it high, and
	// a trim that finds fewer than keep deletes nothing.
	*n = keep
	a.enqueueTrim(user, keep)
}

// enqueueTrim hands the writer a trim of user's archive down to its keep newest entries,
// after the entries queued before it. A full queue is waited on as enqueue does; past the
// store timeout the trim is made here.
func (a *Archive) enqueueTrim(user string, keep int) {
	if !a.put(pending{w: store.ArchiveWrite{User: user}, keep: keep}) {
		a.trim(user, keep)
	}
}

// trim deletes user's oldest entries so that keep remain.
func (a *Archive) trim(user string, keep int) {
	ctx, cancel := a.ctx()
	defer cancel()
	deleted, err := a.cfg.Store.TrimArchive(ctx, user, keep)
	if err != nil {
		a.log.Error().Err(err).Str("jid", user).Msg("trimming the archive failed")
		return
	}
	a.log.Debug().Str("jid", user).Int("deleted", deleted).Int("max_messages", a.cfg.MaxMessages).Msg("archive trimmed to its quota")
}

// strip removes the stanza-ids by (our JID for the user or the room) that the message
// carries already: only we may assign those (XEP-0359 section 5).
func strip(msg *xmpp.Element, by string) {
	kept := msg.Nodes[:0]
	for _, n := range msg.Nodes {
		if n.Elem != nil && n.Elem.Is(xmpp.NSSID, "stanza-id") && n.Elem.Attr("by") == by {
			continue
		}
		kept = append(kept, n)
	}
	for i := len(kept); i < len(msg.Nodes); i++ {
		msg.Nodes[i] = xmpp.Node{}
	}
	msg.Nodes = kept
}

func originID(msg *xmpp.Element) string {
	if o := msg.Child(xmpp.NSSID, "origin-id"); o != nil {
		return o.Attr("id")
	}
	return ""
}

// seqBlock is the row ids reserved at once: one store call per this many messages. At
// 5,000 round trips a second (10,000 entries) a block lasts 1.6 s; the next one is
// reserved ahead by the writer once half of it is used.
const seqBlock = 16384

// floorKey keeps the highest row id a user's entries have (an *int64), read once per
// legacy session and raised with every entry.
type floorKey struct{}

// floor is the user's floor: a new entry's row id must be above it, so that the user's
// entries stay in order. It matters in a cluster, where each host reserves its own
// blocks: a user who moved from this host to another and back has entries above the rest
// of this host's block. A store failure gives 0 (and is read again).
func (a *Archive) floor(u feature.User, user string) *int64 {
	if f, ok := u.Value(floorKey{}).(*int64); ok {
		return f
	}
	if w := warmed(u); w != nil && w.totalsErr == nil {
		f, c := w.floor, w.count // read at login (warm.go)
		u.SetValue(floorKey{}, &f)
		if u.Value(countKey{}) == nil {
			u.SetValue(countKey{}, &c)
		}
		return &f
	}
	ctx, cancel := a.ctx()
	defer cancel()
	// The count for the quota comes with it: one read at a session's first message, not two.
	c, f, err := a.cfg.Store.ArchiveTotals(ctx, user)
	if err != nil {
		a.log.Error().Err(err).Str("jid", user).Msg("reading the archive's last id failed")
		return &f
	}
	u.SetValue(floorKey{}, &f)
	if u.Value(countKey{}) == nil {
		u.SetValue(countKey{}, &c)
	}
	return &f
}

// nextID is the row id and the stanza-id for a new entry above *floor (which it raises):
// the next of the ids reserved in the store, the stanza-id derived from it
// (store/archiveids.go), so that the store indexes no stanza-ids. The rest of a block
// below the floor is given up for a new one, which is above every id reserved so far. If
// the store cannot reserve, the entry gets a random stanza-id and the store a row id
// when it is written.
//
// Reserving is a write, and the store has one write connection, which the writer holds
// for a whole batch (tens of milliseconds, more during a WAL checkpoint): reserved here,
// on a user's actor and under seqMu, a block held up every message being archived
// meanwhile (issue 26: 195 ms once a block at 5,000 msg/s). So once half of a block is
// used, the writer is asked to reserve the next one between its batches (reserveAhead),
// and only the first block, a floor above the spare block, or a spare that is late
// are reserved here.
func (a *Archive) nextID(floor *int64) (int64, string) {
	a.seqMu.Lock()
	defer a.seqMu.Unlock()
	if a.seqs == 0 || a.seq <= *floor {
		if a.spares > 0 && a.spare > *floor {
			a.seq, a.seqs, a.spares = a.spare, a.spares, 0
		} else {
			ctx, cancel := a.ctx()
			first, err := a.cfg.Store.ReserveArchiveSeqs(ctx, seqBlock)
			cancel()
			if err != nil {
				a.log.Error().Err(err).Msg("reserving archive ids failed")
				return 0, newID()
			}
			a.seq, a.seqs, a.spares = first, seqBlock, 0
		}
	}
	seq := a.seq
	a.seq, a.seqs = a.seq+1, a.seqs-1
	*floor = seq
	if a.seqs < seqBlock/2 && a.spares == 0 {
		select {
		case a.refill <- struct{}{}:
		default: // asked already
		}
	}
	return seq, a.cfg.Store.ArchiveStanzaID(seq)
}

// reserveAhead reserves the spare block that nextID asked for, on the writer, unless
// one is there already. A block reserved after the current one is above it.
func (a *Archive) reserveAhead() {
	a.seqMu.Lock()
	have := a.spares > 0
	a.seqMu.Unlock()
	if have {
		return
	}
	ctx, cancel := a.ctx()
	first, err := a.cfg.Store.ReserveArchiveSeqs(ctx, seqBlock)
	cancel()
	if err != nil {
		a.log.Error().Err(err).Msg("reserving archive ids ahead failed")
		return // nextID reserves when the block runs out
	}
	a.seqMu.Lock()
	if a.spares == 0 {
		a.spare, a.spares = first, seqBlock
	}
	a.seqMu.Unlock()
}

// newID is an unguessable stanza-id: 96 random bits, URL-safe.
func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *Archive) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.cfg.Timeout)
}
