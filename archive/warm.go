package archive

import (
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// A user's first archived message needs three things from the store: the preferences
// (prefs), the highest row id (floor) and the entry count (enforceQuota). Read then, on
// the user's actor, they held up that message and every other stanza of the user, and
// with 500 fresh sessions they were 1,500 reads in the first half second of traffic, on
// the core that routes it (issue 26: the fresh sessions' tail). The Login hook reads them
// ahead, off the actor, while the client is still busy with its roster and presences; the
// first message takes them over (warmed), waiting for the reads if they are still under
// way, as it would for its own.

// warmReads bounds the Login hooks' reads under way at once: SQLite's reader pool is 4
// connections (store), and in a login storm the hooks would otherwise queue for them
// behind the queries. A login past the bound is not read ahead: its first message reads
// for itself, as before.
const warmReads = 4

// warm is what a Login hook read for the user; done is closed once it is complete.
type warm struct {
	done       chan struct{}
	prefs      store.ArchivePrefs
	prefsFound bool
	prefsErr   error
	floor      int64
	floorErr   error
	count      int
	countErr   error
}

type warmKey struct{}

var _ feature.Login = (*Archive)(nil)

// Login implements feature.Login: once per session, the store reads of the user's first
// archived message start on a goroutine of their own, unless warmReads are under way.
func (a *Archive) Login(u feature.User, _ string) {
	if u.Value(warmKey{}) != nil || u.Value(floorKey{}) != nil {
		return // read ahead already, or the user has archived since the session began
	}
	select {
	case a.warmSlots <- struct{}{}:
	default:
		return
	}
	w := &warm{done: make(chan struct{})}
	u.SetValue(warmKey{}, w)
	user := u.JID().String()
	go func() {
		defer func() { <-a.warmSlots }()
		defer close(w.done)
		ctx, cancel := a.ctx()
		defer cancel()
		w.prefs, w.prefsFound, w.prefsErr = a.cfg.Store.ArchivePrefs(ctx, user)
		w.floor, w.floorErr = a.cfg.Store.LastArchiveSeq(ctx, user)
		w.count, w.countErr = a.cfg.Store.CountUserArchive(ctx, user)
	}()
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
