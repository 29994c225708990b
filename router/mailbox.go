package router

import (
	"context"
	"runtime/debug"
	"sync"
)

// mailbox serialises the work on one user's state. post never blocks: it appends to the
// queue and starts a drainer goroutine if none runs; the drainer exits when the queue is
// empty, so an idle user costs no goroutine (19,000 idle users, no 19,000 stacks).
//
// The queue is bounded (router/doc.go "Bounds"): a client's stanzas wait in waitRoom
// (c2s stops reading the socket) while limit closures are queued; frames from backends
// go through postFrame, which never waits and refuses past frameLimit. Control posts
// (bind, close, login outcomes, timers) use post: each of them is bounded by something
// else (one per connection, login or armed timer), and none may be lost.
type mailbox struct {
	mu      sync.Mutex
	queue   []work
	running bool
	wg      *tracker
	// panicked runs, on the drainer, after a closure panicked (panic.go); nil lets the
	// panic go on.
	panicked func(v any, stack []byte)

	limit      int           // waitRoom waits while this many are queued; 0: never
	frameLimit int           // postFrame refuses while this many are queued; 0: never
	room       chan struct{} // closed when the queue drops below limit; nil: no one waits
	overflowed bool          // postFrame refused once: the overflow is under way

	// byteLimit bounds the bytes of the frames queued (frameBytes): postFrame refuses a
	// frame that would take them past it, and waitRoom waits while they are past half of
	// it, so that a user whose answers pile up (echo of large messages, a client that
	// sends faster than the actor delivers) stops being read before the bound ends it.
	// Counting frames alone let 20,000 frames of 32 KB (650 MB) wait for one user.
	byteLimit, frameBytes int
}

// work is one closure of the queue; size is the bytes of the frame it carries (0 for
// client stanzas and control posts, which other bounds hold).
type work struct {
	f    func()
	size int
}

// waitRoom returns once fewer than limit closures are queued, or when ctx ends. A client
// stanza is posted after it; several sessions of one user may each add one past the limit.
func (m *mailbox) waitRoom(ctx context.Context) {
	for {
		m.mu.Lock()
		if !m.fullLocked() {
			m.mu.Unlock()
			return
		}
		if m.room == nil {
			m.room = make(chan struct{})
		}
		room := m.room
		m.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return
		}
	}
}

// full reports whether a client stanza would wait (waitRoom), for senders that must
// not wait: a message of another user is refused instead.
func (m *mailbox) full() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fullLocked()
}

// fullLocked: limit closures are queued, or frames of more than half byteLimit.
func (m *mailbox) fullLocked() bool {
	return m.limit > 0 && len(m.queue) >= m.limit || m.byteLimit > 0 && m.frameBytes > m.byteLimit/2
}

// postFrame posts f, which carries a frame of size bytes, unless frameLimit closures are
// queued or the frames' bytes would pass byteLimit (a frame larger than byteLimit still
// goes to an empty queue: one large vCard must not end the user). It never waits: it
// runs on a backend's reader goroutine, which one slow user must not stop for everybody.
// At the bound it returns false, and first reports true: the caller then posts the
// overflow (the end of the user's sessions) once.
func (m *mailbox) postFrame(f func(), size int) (ok, first bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.frameLimit > 0 && len(m.queue) >= m.frameLimit ||
		m.byteLimit > 0 && m.frameBytes > 0 && m.frameBytes+size > m.byteLimit {
		first = !m.overflowed
		m.overflowed = true
		return false, first
	}
	m.postLocked(work{f, size})
	return true, false
}

// post enqueues f to run on the user's actor, after everything posted before. Once the
// router's Run has returned (the tracker is sealed) nothing starts any more: f is dropped.
func (m *mailbox) post(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.postLocked(work{f: f})
}

func (m *mailbox) postLocked(w work) {
	if !m.running {
		if !m.wg.start() {
			return
		}
		m.running = true
		go m.drain()
	}
	m.queue = append(m.queue, w)
	m.frameBytes += w.size
}

func (m *mailbox) drain() {
	defer m.wg.Done()
	for {
		m.mu.Lock()
		if len(m.queue) == 0 {
			m.running = false
			m.queue = nil // release the backing array of a burst
			m.mu.Unlock()
			return
		}
		w := m.queue[0]
		m.queue[0] = work{}
		m.queue = m.queue[1:]
		m.frameBytes -= w.size
		if m.room != nil && !m.fullLocked() {
			close(m.room) // the waiting readers go on
			m.room = nil
		}
		m.mu.Unlock()
		m.run(w.f)
	}
}

// run runs f and contains a panic in it: one user's odd input must not end the daemon
// with every other user's sessions. The drainer goes on with what is queued, which finds
// the user gone.
func (m *mailbox) run(f func()) {
	defer func() {
		if m.panicked == nil {
			return
		}
		if v := recover(); v != nil {
			m.panicked(v, debug.Stack())
		}
	}()
	f()
}

// tracker counts running goroutines so that Run can wait for them. Unlike a
// sync.WaitGroup it may go up from zero while someone waits: a frame can still arrive
// for a user while Run is waiting for the logouts to drain.
type tracker struct {
	mu     sync.Mutex
	n      int
	zero   *sync.Cond
	sealed bool // sealWhenIdle returned: start refuses
	// refused runs (without mu) for each start refused; nil: nothing.
	refused func()
}

func newTracker() *tracker {
	t := &tracker{}
	t.zero = sync.NewCond(&t.mu)
	return t
}

// Add counts one more goroutine.
func (t *tracker) Add(n int) {
	t.mu.Lock()
	t.n += n
	t.mu.Unlock()
}

// start counts one more goroutine, unless the tracker is sealed: then it reports false
// and the caller must not start it.
func (t *tracker) start() bool {
	t.mu.Lock()
	ok := !t.sealed
	if ok {
		t.n++
	}
	t.mu.Unlock()
	if !ok && t.refused != nil {
		t.refused()
	}
	return ok
}

// sealWhenIdle waits until no goroutine is counted, then refuses every later start.
func (t *tracker) sealWhenIdle() {
	t.mu.Lock()
	for t.n > 0 {
		t.zero.Wait()
	}
	t.sealed = true
	t.mu.Unlock()
}

// Done counts one goroutine less.
func (t *tracker) Done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		t.zero.Broadcast()
	}
	t.mu.Unlock()
}

// Wait returns when no goroutine is counted.
func (t *tracker) Wait() {
	t.mu.Lock()
	for t.n > 0 {
		t.zero.Wait()
	}
	t.mu.Unlock()
}
