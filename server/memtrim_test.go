package server

import (
	"context"
	"runtime"
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
