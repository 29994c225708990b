package server

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Most of a gateway's sessions are idle most of the time, and so is the daemon: after a
// burst of logins or messages the heap is left with free pages the runtime keeps for the
// next burst (up to the GOGC goal, and returned to the OS only slowly). trimMemory gives
// them back once the daemon has gone quiet, so that what an idle gateway holds is what its
// sessions need (issue 11: memory per idle session).

// trimEvery is how often trimMemory looks; a tick in which less than quietAlloc was
// allocated counts as quiet.
const trimEvery = 2 * time.Second

// quietAlloc: allocating less than this in a tick is quiet. The forced collection of a trim
// holds up stanzas for a moment, so it waits for a pause;
// a gateway forwarding a message a millisecond allocates more.
const quietAlloc = 1 << 20

// minTrim is the least free memory worth a forced collection.
const minTrim = 4 << 20

// trimMemory returns the heap's free memory to the OS (debug.FreeOSMemory: a collection,
// then the release) whenever the process has been quiet for a tick and holds more than
// minTrim and an eighth of its live heap free, until ctx ends. It runs in the daemon and in
// the native backends.
func trimMemory(ctx context.Context) { trimMemoryEvery(ctx, trimEvery) }

func trimMemoryEvery(ctx context.Context, every time.Duration) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"}}
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
		allocs, free, objects := s[0].Value.Uint64(), s[1].Value.Uint64(), s[2].Value.Uint64()
		quiet := allocs-last < quietAlloc
		last = allocs
		if quiet && free > minTrim && free > objects/8 {
			debug.FreeOSMemory()
			metrics.Read(s)
			last = s[0].Value.Uint64()
		}
	}
}
