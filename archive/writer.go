package archive

import (
	"context"
	"time"

	"github.com/gospectrum/spectrum2/store"
)

// Entries are written by one goroutine (Run) in batches, one transaction each: a commit
// per message would cap the archive at the disk's sync rate (some 2,000 a second on
// SQLite), a group commit costs one sync for all that queued meanwhile. A hook only
// queues; queries first wait for what is queued (flush), so that a client finds what it
// was just sent.
//
// The writer does not take entries one by one as they queue: woken for each (twice per
// echo round trip), it ran ahead of the goroutines that route messages, which Go's
// scheduler puts behind a goroutine just woken by a channel send (issue 26). It sleeps
// for the gather window and then takes what queued, unless a flush or a queue of a full
// batch wakes it earlier (kick).

// Defaults of the writer.
const (
	DefaultQueue = 16384 // entries waiting for the writer
	maxBatch     = 4096  // entries in one transaction
	// gatherWindow is how long the writer gathers a batch after its first entry, unless
	// the batch fills or a flush waits. An entry's cost falls with the batch: the pages
	// of the per-user indexes a batch dirties are written to the WAL once per batch, so
	// 2,048 entries cost a third less each than 128 (BenchmarkArchiveAppend); without
	// the wait the writer, woken at once, wrote whatever few had queued. 25 ms gathered
	// some 300 entries at the archive bench's pace, 200 ms some 2,000 and 10-15 % less
	// daemon CPU per round trip; a crash loses what is gathered (messages delivered, not
	// archived), queries flush first and so never wait for it.
	gatherWindow = 200 * time.Millisecond
)

// pending is one queued write, a barrier (done set) that flush waits on, or a trim of
// w.User's archive to its keep newest entries (keep > 0, enforceQuota).
type pending struct {
	w    store.ArchiveWrite
	done chan struct{}
	keep int
}

// enqueue hands w to the writer. When the queue is full the hook waits for room (for
// at most the store timeout), which slows that user's actor down to the writer's pace
// rather than dropping the entry; only past the timeout does it write the entry itself.
// Writing it at once instead (one transaction per message, some 20 KB of WAL pages each)
// took the writer's batches' place under load: the archive bench's round trips fell to a
// fifth of those without the archive.
func (a *Archive) enqueue(w store.ArchiveWrite) {
	if a.put(pending{w: w}) {
		return
	}
	ctx, cancel := a.ctx()
	defer cancel()
	if err := a.cfg.Store.AppendArchive(ctx, w.User, w.Entry); err != nil {
		a.log.Error().Err(err).Str("jid", w.User).Msg("archiving a message failed")
	}
}

// put queues p for the writer, waiting for room for at most the store timeout; false
// when the queue stayed full. A queue of a full batch wakes the writer.
func (a *Archive) put(p pending) bool {
	select {
	case a.queue <- p:
		if len(a.queue) >= maxBatch {
			a.wake()
		}
		return true
	default:
	}
	a.wake()
	t := time.NewTimer(a.cfg.Timeout)
	defer t.Stop()
	select {
	case a.queue <- p:
		return true
	case <-t.C:
		return false
	}
}

// flush waits until what was queued before it is written, for at most the store timeout
// (the writer may not run: then the query answers from what is stored).
func (a *Archive) flush() {
	done := make(chan struct{})
	t := time.NewTimer(a.cfg.Timeout)
	defer t.Stop()
	select {
	case a.queue <- pending{done: done}:
	case <-t.C:
		return
	}
	a.wake()
	select {
	case <-done:
	case <-t.C:
	}
}

// wake ends the writer's gather window early (a flush waits, or a batch is full).
func (a *Archive) wake() {
	select {
	case a.kick <- struct{}{}:
	default: // woken already
	}
}

// writeLoop writes the queue until ctx ends, then what is left. Between batches it also
// reserves row ids ahead for nextID (archive.go), so that no hook waits for a write.
// Every store call runs on the low thread (lowthread.go).
func (a *Archive) writeLoop(ctx context.Context) {
	low := a.startLow()
	defer low.stop()
	batch := make([]pending, 0, maxBatch)
	for {
		select {
		case <-ctx.Done():
			low.do(func() { a.drain(batch) })
			return
		case <-a.refill:
			low.do(a.reserveAhead)
			continue
		case p := <-a.queue:
			batch = append(batch[:0], p)
		}
		stop := a.gather(ctx, batch[0].done != nil, &batch, low)
		low.do(func() { a.write(context.Background(), batch) })
		if stop {
			low.do(func() { a.drain(batch) })
			return
		}
	}
}

// gather adds to batch what queues within gatherWindow, until the batch is full or a
// flush's barrier arrives (barrier: the first entry is one). It reports whether ctx
// ended meanwhile.
func (a *Archive) gather(ctx context.Context, barrier bool, batch *[]pending, low *lowThread) bool {
	if barrier {
		return false
	}
	t := time.NewTimer(gatherWindow)
	defer t.Stop()
	for !a.take(batch) {
		select {
		case <-a.kick:
		case <-t.C:
			a.take(batch)
			return false
		case <-ctx.Done():
			return true
		case <-a.refill:
			low.do(a.reserveAhead)
		}
	}
	return false
}

// take adds what is queued to batch without waiting; it reports whether the batch is
// full or ends with a barrier.
func (a *Archive) take(batch *[]pending) bool {
	for len(*batch) < maxBatch {
		select {
		case p := <-a.queue:
			*batch = append(*batch, p)
			if p.done != nil {
				return true
			}
		default:
			return false
		}
	}
	return true
}

// drain writes what is queued at shutdown.
func (a *Archive) drain(batch []pending) {
	batch = batch[:0]
	for {
		select {
		case p := <-a.queue:
			batch = append(batch, p)
			if len(batch) < maxBatch {
				continue
			}
		default:
		}
		if len(batch) == 0 {
			return
		}
		a.write(context.Background(), batch)
		batch = batch[:0]
	}
}

// write stores one batch, makes its trims after the entries before them, and releases
// its barriers. A failed batch is logged: its messages were delivered with their
// stanza-ids, which the archive then does not know.
func (a *Archive) write(ctx context.Context, batch []pending) {
	ws := make([]store.ArchiveWrite, 0, len(batch))
	for _, p := range batch {
		switch {
		case p.keep > 0:
			a.append(ctx, ws)
			ws = ws[:0]
			a.trim(p.w.User, p.keep)
		case p.done == nil:
			ws = append(ws, p.w)
		}
	}
	a.append(ctx, ws)
	for _, p := range batch {
		if p.done != nil {
			close(p.done)
		}
	}
}

// append stores ws in one transaction (none for no entries).
func (a *Archive) append(ctx context.Context, ws []store.ArchiveWrite) {
	if len(ws) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	err := a.cfg.Store.AppendArchiveBatch(cctx, ws)
	cancel()
	if err != nil {
		a.log.Error().Err(err).Int("messages", len(ws)).Msg("archiving messages failed")
	}
}
