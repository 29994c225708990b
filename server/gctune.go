package server

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// gcHeadroom is what the heap may grow by between two collections, within bounds.
//
// GOGC sets that growth in proportion to the heap: Go's 100 lets it double. While the heap
// is small, that is what makes a burst of logins cheap (TLS handshakes allocate much
// short-lived data, and each collection costs CPU). With many sessions it keeps as much
// free memory as the sessions use, and the garbage of a burst scattered among long-lived
// sessions leaves the heap fragmented. So the growth aims at this many bytes, never less
// than limits.gc_percent of the heap and never more than all of it: a heap under 32 MB
// grows by 100 %, one over 64 MB (at the default of 50) by half.
const gcHeadroom = 32 << 20

// gcTuner sets GOGC after every collection from the heap that collection left.
type gcTuner struct {
	ctx     context.Context
	percent int
	cur     atomic.Int64 // the GOGC last set
	sample  []metrics.Sample
	runs    atomic.Int64 // collections seen, for tests
}

// startGCTuner sets GOGC now and after every collection until ctx ends.
func startGCTuner(ctx context.Context, percent int) *gcTuner {
	t := &gcTuner{ctx: ctx, percent: percent, sample: []metrics.Sample{
		{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
	t.tune()
	t.arm()
	return t
}

// arm registers a cleanup on a fresh object, which runs once the next collection has found
// it unreachable: one call of tune per collection, on the runtime's cleanup goroutine.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new([64]byte), func(t *gcTuner) {
		if t.ctx.Err() != nil {
			return
		}
		t.runs.Add(1)
		t.tune()
		t.arm()
	}, t)
}

// tune sets GOGC for what the last collection left: the runtime lets the heap grow by
// GOGC percent of the live heap, the scanned stacks and the globals together.
func (t *gcTuner) tune() {
	metrics.Read(t.sample)
	var base uint64
	if t.sample[0].Value.Kind() == metrics.KindUint64 && t.sample[0].Value.Uint64() > 0 {
		for _, s := range t.sample {
			if s.Value.Kind() == metrics.KindUint64 {
				base += s.Value.Uint64()
			}
		}
	}
	pct := gcPercentFor(t.percent, gcHeadroom, base)
	if int64(pct) != t.cur.Load() {
		debug.SetGCPercent(pct)
		t.cur.Store(int64(pct))
	}
}

// gcPercentFor is the GOGC that lets a heap of base bytes grow by headroom, bounded by
// percent below and 100 above (percent alone when it is 100 or more). base 0 (no collection
// yet) gives 100 too, Go's own start.
func gcPercentFor(percent int, headroom, base uint64) int {
	if percent >= 100 {
		return percent
	}
	if base == 0 {
		return 100
	}
	want := 100 * headroom / base
	return int(min(max(want, uint64(percent)), 100))
}
