package server

import (
	"context"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		percent        int
		headroom, base uint64
		want           int
	}{
		{50, 32 << 20, 0, 100},          // no collection yet: Go's default
		{50, 32 << 20, 8 << 20, 100},    // small heap: at most doubles
		{50, 32 << 20, 32 << 20, 100},   // 32 MB of growth
		{50, 32 << 20, 48 << 20, 66},    // 32 MB of growth
		{50, 32 << 20, 64 << 20, 50},    // from 64 MB on: gc_percent
		{50, 32 << 20, 500 << 20, 50},   // large heap
		{25, 32 << 20, 500 << 20, 25},   // a lower gc_percent
		{100, 32 << 20, 500 << 20, 100}, // 100 or more: as configured
		{200, 32 << 20, 8 << 20, 200},
	} {
		if got := gcPercentFor(c.percent, c.headroom, c.base); got != c.want {
			t.Errorf("gcPercentFor(%d, %d, %d) = %d, want %d", c.percent, c.headroom, c.base, got, c.want)
		}
	}
}

// TestGCTuner: the tuner retunes after collections and stops with its context.
func TestGCTuner(t *testing.T) {
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	ctx, cancel := context.WithCancel(context.Background())
	tu := startGCTuner(ctx, 50)
	deadline := time.Now().Add(20 * time.Second)
	for tu.runs.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the tuner did not run after collections")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := tu.cur.Load(); got != 100 { // a test binary's heap is far under 32 MB
		t.Errorf("GOGC = %d, want 100", got)
	}
	cancel()
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	n := tu.runs.Load()
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if m := tu.runs.Load(); m != n {
		t.Errorf("the tuner ran %d more times after its context ended", m-n)
	}
}
