package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ProcMem is one process's resident memory.
type ProcMem struct {
	PID      int
	RSS, PSS int64 // bytes
	Anon     int64 // anonymous resident memory (heap, stacks); RSS - Anon is file pages, mostly the binary's
}

// Memory is a process tree's resident memory: RSS summed (pages shared between the processes,
// such as the one binary's text that the daemon and its backends map, count once per process)
// and PSS summed (each shared page divided among the processes that map it, so the sum is
// what the tree costs the machine).
type Memory struct {
	RSS, PSS int64
	Root     ProcMem
	Children []ProcMem // every process below the root, in breadth-first order
}

// TreeMemory reads /proc/PID/smaps_rollup of pid and all its descendants.
func TreeMemory(pid int) (Memory, error) {
	kids, err := children()
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		pm, err := procMem(p)
		if err != nil {
			if p == pid {
				return Memory{}, err
			}
			continue // a child that just exited
		}
		m.RSS += pm.RSS
		m.PSS += pm.PSS
		if p == pid {
			m.Root = pm
		} else {
			m.Children = append(m.Children, pm)
		}
		queue = append(queue, kids[p]...)
	}
	return m, nil
}

// Find is the process pid of the tree, if it is there.
func (m Memory) Find(pid int) (ProcMem, bool) {
	if m.Root.PID == pid {
		return m.Root, true
	}
	for _, c := range m.Children {
		if c.PID == pid {
			return c, true
		}
	}
	return ProcMem{}, false
}

// procMem reads the Rss and Pss lines of /proc/PID/smaps_rollup (in kB).
func procMem(pid int) (ProcMem, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return ProcMem{}, fmt.Errorf("reading smaps_rollup: %w", err)
	}
	pm := ProcMem{PID: pid}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		switch string(f[0]) {
		case "Rss:":
			pm.RSS = v * 1024
		case "Pss:":
			pm.PSS = v * 1024
		case "Anonymous:":
			pm.Anon = v * 1024
		}
	}
	return pm, nil
}

// Waiting for the tree's RSS to stop moving: it is read every rssPoll and taken once it
// moved less than rssStill (or rssStillShare of it, if more) over rssQuiet (longer than the
// daemon's 2 s memory-trim tick), or the wait fails after rssSettleMax.
const (
	rssPoll       = 250 * time.Millisecond
	rssQuiet      = 2250 * time.Millisecond
	rssStill      = 256 << 10
	rssStillShare = 0.005
	rssSettleMax  = 30 * time.Second
)

// quietMemory reads srv's memory in a state that a second reading can be compared with: it
// waits until the tree's RSS stops moving (the daemon has done what the last login gave it
// to do), forces collections in the daemon (liveHeap) and reads its live heap, then waits
// for the RSS again (the trim after the collection) and reads it. Without the collection
// the first reading of the roster test held the garbage of the warm-up login, which a
// collection during the timed logins freed and the daemon's trim returned to the OS: the
// roster of 1,000 came out at -143 KB per user (make bench of 2026-12-02). RSS still keeps
// up to the trim's threshold (4 MB) of free heap, so with few users the heap is the exact
// figure.
func quietMemory(ctx context.Context, srv *Server) (Usage, int64, error) {
	if _, err := settledUsage(ctx, srv); err != nil {
		return Usage{}, 0, err
	}
	heap, err := liveHeap(ctx, srv)
	if err != nil {
		return Usage{}, 0, err
	}
	u, err := settledUsage(ctx, srv)
	return u, heap, err
}

// settledUsage waits until the RSS of srv's tree stops moving (a server just started, or
// just left alone) and returns its usage then: in place of a fixed wait, as long as the
// server needs and no longer.
func settledUsage(ctx context.Context, srv *Server) (Usage, error) {
	var window []int64
	deadline := time.Now().Add(rssSettleMax)
	for {
		u, err := TreeUsage(srv.PID())
		if err != nil {
			return Usage{}, err
		}
		window = append(window, u.RSS)
		if n := int(rssQuiet/rssPoll) + 1; len(window) > n {
			window = window[len(window)-n:]
			lo, hi := window[0], window[0]
			for _, v := range window {
				lo, hi = min(lo, v), max(hi, v)
			}
			if hi-lo < max(rssStill, int64(rssStillShare*float64(hi))) {
				return u, nil
			}
			if time.Now().After(deadline) {
				return Usage{}, fmt.Errorf("the RSS of %s did not settle in %v (it moved %d KB in the last %v)",
					srv.Name, rssSettleMax, (hi-lo)>>10, rssQuiet)
			}
		}
		select {
		case <-ctx.Done():
			return Usage{}, ctx.Err()
		case <-time.After(rssPoll):
		}
	}
}
