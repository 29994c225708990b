package server

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Most of a gateway's sessions are idle most of the time, and so is the daemon: after a
// burst of logins or messages the heap is left with free pages the runtime keeps for the
// next burst (up to the GOGC goal, and returned to the OS only slowly), and with garbage
// that no collection has freed yet, since a collection comes only when the heap reaches the
// goal, which an idle process may never do. trimMemory collects and gives both back once the
// process has gone quiet, so that what an idle gateway holds is what its sessions need
// (issue 11: memory per idle session). The garbage matters most for a native backend: its
// live heap is under 1 MB, Go's smallest goal is 4 MB, and an idle backend kept the garbage
// of its start-up and of its users' logins, some 3 MB of its 6 MB anonymous memory, for
// good (issue 26).

// trimEvery is how often trimMemory looks; a tick in which less than quietAlloc was
// allocated counts as quiet.
const trimEvery = 2 * time.Second

// quietAlloc: allocating less than this in a tick, and less than an eighth of what a trim
// would reclaim, is quiet. The forced collection of a trim holds up stanzas for a moment,
// so it waits for a pause; a gateway forwarding a message a millisecond allocates more.
// The eighth is for small heaps: a backend echoing 1,000 messages a second allocates under
// 1 MB a tick, yet its heap never holds 8 ticks' worth of garbage before its own
// collection, so it is not taken for quiet and collected again and again.
const quietAlloc = 1 << 20

// minTrim is the least reclaimable memory (free heap and uncollected garbage) worth a
// forced collection. A collection costs in proportion to the live heap, so besides this a
// trim needs an eighth of the live heap reclaimable: for a backend's heap of 1 MB a
// collection is well under a millisecond, for a daemon's of 100 MB it frees 12 MB or more.
const minTrim = 1 << 20

// trimMemory returns the heap's free memory and its garbage to the OS (debug.FreeOSMemory:
// a collection, then the release) whenever the process has been quiet for a tick and could
// reclaim more than minTrim and an eighth of its live heap, until ctx ends. It runs in the
// daemon and in the native backends.
func trimMemory(ctx context.Context) { trimMemoryEvery(ctx, trimEvery) }

func trimMemoryEvery(ctx context.Context, every time.Duration) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	last := s[0].Value.Uint64()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(s)
		alloc := s[0].Value.Uint64() - last
		last = s[0].Value.Uint64()
		if worthTrimming(alloc, s[1].Value.Uint64(), s[2].Value.Uint64(), s[3].Value.Uint64()) {
			debug.FreeOSMemory()
			metrics.Read(s)
			last = s[0].Value.Uint64()
		}
	}
}

// worthTrimming tells whether a forced collection is worth it after a tick that allocated
// alloc bytes, for a heap with free bytes held, objects bytes in objects (live or not yet
// found dead) and live bytes found live by the last collection (0 before the first). What
// was allocated since that collection counts as garbage: at worst the trim finds less to
// free than it hoped, and knows better next time.
func worthTrimming(alloc, free, objects, live uint64) bool {
	reclaim := free
	if objects > live {
		reclaim += objects - live
	}
	quiet := alloc < quietAlloc && alloc < reclaim/8
	return quiet && reclaim > minTrim && reclaim > live/8
}
