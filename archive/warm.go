package archive

import (
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// A user's first archived message needs three things from the store: the preferences
// (prefs), the highest row id (floor) and the entry count (enforceQuota; the last two in
// one read, ArchiveTotals). Read then, on the user's actor, they held up that message and
// every other stanza of the user, and with 500 fresh sessions they were 1,000 to 1,500
// reads in the first half second of traffic, on the core that routes it (issue 26: the fresh sessions' tail). The Login hook reads them
// ahead, off the actor, while the client is still busy with its roster and presences; the
// first message takes them over (warmed), waiting for the reads if they are still under
// way, as it would for its own.

// warmReads bounds the goroutines that read ahead: SQLite's reader pool is 4 connections
// (store). warmQueue bounds the logins waiting for them: a login storm queues 50 at once
// and more; a login past the bound is not read ahead, and its first message reads for
// itself, as before.
const (
	warmReads = 2
	warmQueue = 1024
)

// warm is what a Login hook read for the user; done is closed once it is complete.
type warm struct {
	user       string
	done       chan struct{}
	prefs      store.ArchivePrefs
	prefsFound bool
	prefsErr   error
	floor      int64 // and count: ArchiveTotals
	count      int
	totalsErr  error
}

type warmKey struct{}

var _ feature.Login = (*Archive)(nil)

// Login implements feature.Login: once per session, the store reads of the user's first
// archived message are queued for the goroutines that read ahead, unless warmQueue wait.
func (a *Archive) Login(u feature.User, _ string) {
	if u.Value(warmKey{}) != nil || u.Value(floorKey{}) != nil {
		return // read ahead already, or the user has archived since the session began
	}
	w := &warm{user: u.JID().String(), done: make(chan struct{})}
	select {
	case a.warmQ <- w:
	default:
		return
	}
	u.SetValue(warmKey{}, w)
	a.warmMu.Lock()
	start := a.warmers < warmReads
	if start {
		a.warmers++
	}
	a.warmMu.Unlock()
	if start {
		go a.warmLoop()
	}
}

// warmLoop reads ahead for the queued logins until none is left. A login that queues
// while the last reader leaves starts another (Login looks at warmers after queueing).
func (a *Archive) warmLoop() {
	for {
		select {
		case w := <-a.warmQ:
			a.readAhead(w)
			continue
		default:
		}
		a.warmMu.Lock()
		if len(a.warmQ) == 0 {
			a.warmers--
			a.warmMu.Unlock()
			return
		}
		a.warmMu.Unlock()
	}
}

// readAhead does w's reads and completes it.
func (a *Archive) readAhead(w *warm) {
	defer close(w.done)
	ctx, cancel := a.ctx()
	defer cancel()
	w.prefs, w.prefsFound, w.prefsErr = a.cfg.Store.ArchivePrefs(ctx, w.user)
	w.count, w.floor, w.totalsErr = a.cfg.Store.ArchiveTotals(ctx, w.user)
}

// warmed is what the Login hook read for u, once it is complete (nil if it read
// nothing). A failed read is left to the caller, which reads again.
func warmed(u feature.User) *warm {
	w, _ := u.Value(warmKey{}).(*warm)
	if w == nil {
		return nil
	}
	<-w.done // bounded by the store timeout of the reads
	return w
}
