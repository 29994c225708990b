package server

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

// TestTrimMemory: heap memory freed by garbage goes back to the OS once the process is
// quiet, without a collection asked for by anyone else.
func TestTrimMemory(t *testing.T) {
	free := func() uint64 {
		s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	// Garbage in many small objects, so that the freed spans stay with the heap.
	keep := make([][]byte, 0, 1<<16)
	for range 1 << 16 {
		keep = append(keep, make([]byte, 1024))
	}
	runtime.KeepAlive(keep)
	keep = nil
	runtime.GC() // the 64 MB are free now, but kept by the runtime
	if f := free(); f < minTrim {
		t.Fatalf("only %d bytes free after the collection; the test needs more than %d", f, minTrim)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { trimMemoryEvery(ctx, 50*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for free() >= minTrim {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes of free heap still held after 20 s", free())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTrimMemoryCollectsGarbage: garbage that no collection has found yet (an idle process
// whose heap stays under the GC goal) is collected and given back once the process is quiet.
func TestTrimMemoryCollectsGarbage(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no collection but the trim's
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	garbage := func() uint64 {
		metrics.Read(s)
		return s[0].Value.Uint64() - min(s[0].Value.Uint64(), s[1].Value.Uint64())
	}
	runtime.GC()
	var sink [][]byte
	for range 1 << 13 {
		sink = append(sink, make([]byte, 1024)) // 8 MB, dead once sink goes
	}
	runtime.KeepAlive(sink)
	sink = nil
	if g := garbage(); g < 4*minTrim {
		t.Fatalf("only %d bytes of garbage; the test needs more than %d", g, 4*minTrim)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { trimMemoryEvery(ctx, 50*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for garbage() >= minTrim {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes of garbage still held after 20 s", garbage())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWorthTrimming(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		alloc, free, objects, live uint64
		want                       bool
	}{
		{0, 0, 0, 0, false},
		{0, minTrim, 0, 0, false},                // at the bound: not past it
		{0, minTrim + 1, 0, 0, true},             // free pages alone
		{0, 0, 3 * mb, 1 * mb, true},             // garbage alone: an idle backend
		{0, 0, 3 * mb, 0, true},                  // never collected: all of it may be garbage
		{0, 0, 1 * mb, 2 * mb, false},            // less in objects than found live: none
		{0, 4 * mb, 104 * mb, 100 * mb, false},   // 8 MB of a 100 MB heap: under an eighth
		{0, 4 * mb, 110 * mb, 100 * mb, true},    // 14 MB of it
		{0, minTrim / 2, minTrim / 2, 0, false},  // the two together at the bound
		{0, minTrim / 2, minTrim/2 + 1, 0, true}, // and past it
		{quietAlloc, 0, 64 * mb, 0, false},       // a busy tick
		{quietAlloc - 1, 0, 64 * mb, 0, true},    // a quiet one
		{mb / 2, 0, 3 * mb, mb, false},           // a small heap's busy tick: 2 MB is under 8 ticks of it
		{mb / 8, 0, 3 * mb, mb, true},            // the same heap nearly idle
	} {
		if got := worthTrimming(c.alloc, c.free, c.objects, c.live); got != c.want {
			t.Errorf("worthTrimming(%d, %d, %d, %d) = %v, want %v", c.alloc, c.free, c.objects, c.live, got, c.want)
		}
	}
}
