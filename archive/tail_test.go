package archive

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/router/feature"
	"github.com/gospectrum/spectrum2/store"
)

// countingStore counts the store calls that issue 26 took off the routing path.
type countingStore struct {
	store.ArchiveStore
	reserves, prefs, totals, floors, counts atomic.Int32
	failReserve                             atomic.Bool
}

func (s *countingStore) ReserveArchiveSeqs(ctx context.Context, n int) (int64, error) {
	s.reserves.Add(1)
	if s.failReserve.Load() {
		return 0, context.DeadlineExceeded
	}
	return s.ArchiveStore.ReserveArchiveSeqs(ctx, n)
}

func (s *countingStore) ArchivePrefs(ctx context.Context, user string) (store.ArchivePrefs, bool, error) {
	s.prefs.Add(1)
	return s.ArchiveStore.ArchivePrefs(ctx, user)
}

func (s *countingStore) ArchiveTotals(ctx context.Context, user string) (int, int64, error) {
	s.totals.Add(1)
	return s.ArchiveStore.ArchiveTotals(ctx, user)
}

func (s *countingStore) LastArchiveSeq(ctx context.Context, user string) (int64, error) {
	s.floors.Add(1)
	return s.ArchiveStore.LastArchiveSeq(ctx, user)
}

func (s *countingStore) CountUserArchive(ctx context.Context, user string) (int, error) {
	s.counts.Add(1)
	return s.ArchiveStore.CountUserArchive(ctx, user)
}

func openCounting(t *testing.T) *countingStore {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Driver: store.SQLite, DSN: filepath.Join(t.TempDir(), "s.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &countingStore{ArchiveStore: db}
}

// TestReserveAhead: once half of a block of row ids is used, the writer is asked (once,
// however many ids follow) to reserve the next block, and nextID moves on to it without
// a store call of its own, in order.
func TestReserveAhead(t *testing.T) {
	s := openCounting(t)
	a := New(Config{Store: s})
	var floor, last int64
	next := func() {
		seq, _ := a.nextID(&floor)
		if seq <= last {
			t.Fatalf("row id %d after %d", seq, last)
		}
		last = seq
	}
	for range seqBlock/2 + 100 {
		next()
	}
	if n := s.reserves.Load(); n != 1 {
		t.Fatalf("%d reserves for the first block, want 1", n)
	}
	if len(a.refill) != 1 {
		t.Fatalf("refill requests queued: %d, want 1 (the bound)", len(a.refill))
	}
	<-a.refill
	a.reserveAhead() // what the writer does between batches
	a.reserveAhead() // a second request finds the spare there
	if n := s.reserves.Load(); n != 2 {
		t.Fatalf("%d reserves after reserving ahead twice, want 2", n)
	}
	s.failReserve.Store(true) // nextID must not reserve
	for range seqBlock {
		next()
	}
	if n := s.reserves.Load(); n != 2 {
		t.Errorf("nextID reserved %d times itself past the first block", n-2)
	}
}

// TestWarmLogin: the Login hook reads the user's preferences, floor and count ahead,
// and the first archived message uses them without reading on the actor; with
// warmQueue logins waiting, a login is not read ahead.
func TestWarmLogin(t *testing.T) {
	s := openCounting(t)
	a := New(Config{Store: s})
	u := &benchUser{j: jid.MustParse("alice@gw"), values: map[any]any{}}
	a.Login(u, "alice@gw/phone")
	a.Login(u, "alice@gw/laptop") // once per session
	<-u.values[warmKey{}].(*warm).done
	if p, n, f, c := s.prefs.Load(), s.totals.Load(), s.floors.Load(), s.counts.Load(); p != 1 || n != 1 || f+c != 0 {
		t.Fatalf("reads ahead: prefs %d totals %d last %d count %d, want 1, 1, 0, 0", p, n, f, c)
	}
	msg := xmpp.New(xmpp.NSClient, "message", "type", "chat", "from", "bob@gw/r", "to", "alice@gw").Append(
		xmpp.New(xmpp.NSClient, "body").AppendText("hi"))
	a.Inbound(u, msg, feature.Legacy)
	if p, n, f, c := s.prefs.Load(), s.totals.Load(), s.floors.Load(), s.counts.Load(); p != 1 || n != 1 || f+c != 0 {
		t.Errorf("after the first message: prefs %d totals %d last %d count %d reads, want none more", p, n, f, c)
	}
	if n := *u.values[countKey{}].(*int); n != 1 {
		t.Errorf("count %d after the first message, want 1", n)
	}

	a.warmMu.Lock() // the readers cannot leave meanwhile
	for range warmQueue {
		a.warmQ <- &warm{done: make(chan struct{})}
	}
	v := &benchUser{j: jid.MustParse("bob@gw"), values: map[any]any{}}
	a.Login(v, "bob@gw/phone")
	if v.values[warmKey{}] != nil {
		t.Errorf("a login past %d queued was read ahead", warmQueue)
	}
	for len(a.warmQ) > 0 {
		<-a.warmQ
	}
	a.warmMu.Unlock()
}

// TestWarmMany: a burst of logins is read ahead by at most warmReads goroutines, and
// every one completes.
func TestWarmMany(t *testing.T) {
	s := openCounting(t)
	a := New(Config{Store: s})
	var ws []*warm
	for i := range 200 {
		u := &benchUser{j: jid.MustParse(fmt.Sprintf("user%d@gw", i)), values: map[any]any{}}
		a.Login(u, "")
		a.warmMu.Lock()
		if a.warmers > warmReads {
			t.Errorf("%d readers, want at most %d", a.warmers, warmReads)
		}
		a.warmMu.Unlock()
		ws = append(ws, u.values[warmKey{}].(*warm))
	}
	for _, w := range ws {
		<-w.done
	}
	if n := s.totals.Load(); n != 200 {
		t.Errorf("%d totals read ahead, want 200", n)
	}
}

// TestGatherWokenByFullBatch: a queue of a full batch ends the gather window at once
// rather than after gatherWindow.
func TestGatherWokenByFullBatch(t *testing.T) {
	a := New(Config{Store: nil, Queue: 2 * maxBatch})
	a.enqueue(store.ArchiveWrite{})
	batch := []pending{<-a.queue}
	go func() {
		for range maxBatch {
			a.enqueue(store.ArchiveWrite{})
		}
	}()
	low := a.startLow()
	defer low.stop()
	start := time.Now()
	a.gather(context.Background(), false, &batch, low)
	if d := time.Since(start); d > gatherWindow/2 {
		t.Errorf("gather took %v with a full batch queued", d)
	}
	if len(batch) != maxBatch {
		t.Errorf("batch of %d, want %d", len(batch), maxBatch)
	}
}
