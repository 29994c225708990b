package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// TailPlan is the open-loop tail-latency test: on a fresh server, Sessions sessions are
// opened and each rate runs for Phase right away (fresh sessions), then again after the
// sessions sat idle for Idle.
type TailPlan struct {
	Sessions int
	Rates    []int
	Phase    time.Duration
	Idle     time.Duration
	// MAMOff runs spectrum2 with its message archive off ([mam] enabled = false), the
	// archive's share of the tail by A/B (benchrun --tail-only --tail-ab).
	MAMOff bool
	// TraceDir, when set, gets a Go runtime trace of the daemon for each phase
	// (/debug/pprof/trace, spectrum2 only): where a slow round trip spent its time.
	TraceDir string
}

// TailPhase is one open-loop run of the tail test.
type TailPhase struct {
	Rate      int
	AfterIdle time.Duration // 0: fresh sessions
	Rtt       MsgResult
	Err       string
}

// When says which half of the test the phase belongs to.
func (p TailPhase) When() string {
	if p.AfterIdle == 0 {
		return "fresh"
	}
	return fmt.Sprintf("after %v idle", p.AfterIdle)
}

// TailResult is the outcome of the tail test.
type TailResult struct {
	Sessions, Opened int
	Phases           []TailPhase
	Drops            int
	Err              string
}

// tailPhaseID numbers the tail test's message phases apart from the scale tests'.
const tailPhaseID = 1000

// RunTail runs plan.Tail on a fresh server at its defaults.
func RunTail(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan) TailResult {
	tp := plan.Tail
	r := TailResult{Sessions: tp.Sessions}
	if tp.TraceDir != "" && srv.EchoBot {
		port, err := freePort()
		if err != nil {
			r.Err = err.Error()
			return r
		}
		srv.BackendPprof = fmt.Sprintf("127.0.0.1:%d", port)
		defer func() { srv.BackendPprof = "" }()
	}
	if err := srv.Start(ctx, Options{MAMOff: tp.MAMOff}); err != nil {
		r.Err = err.Error()
		return r
	}
	defer srv.Stop()
	p := &Pool{GenShare: plan.GenShare}
	defer p.Close()
	err := p.Open(ctx, srv, cfg, tp.Sessions, plan.PoolWorkers)
	r.Opened = len(p.Sessions)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	id := tailPhaseID
	run := func(after time.Duration) {
		for _, rate := range tp.Rates {
			id++
			stopTrace := traceDaemon(ctx, srv, tp, rate, after)
			res, err := RunOpen(p, srv.PID(), id, srv.EchoBot, rate, tp.Phase)
			stopTrace()
			ph := TailPhase{Rate: rate, AfterIdle: after, Rtt: res}
			if err != nil {
				ph.Err = err.Error()
			}
			r.Phases = append(r.Phases, ph)
		}
	}
	run(0)
	time.Sleep(tp.Idle)
	run(tp.Idle)
	r.Drops = p.Drops()
	return r
}

// Phase is the phase at rate, fresh or after idling, if it ran.
func (t *TailResult) Phase(rate int, afterIdle bool) (TailPhase, bool) {
	if t == nil {
		return TailPhase{}, false
	}
	for _, ph := range t.Phases {
		if ph.Rate == rate && (ph.AfterIdle != 0) == afterIdle && ph.Err == "" && ph.Rtt.Received > 0 {
			return ph, true
		}
	}
	return TailPhase{}, false
}

// traceDaemon starts fetching a runtime trace of the daemon for the phase at rate (when
// tp.TraceDir is set and the server serves pprof) and returns what waits for it.
func traceDaemon(ctx context.Context, srv *Server, tp TailPlan, rate int, after time.Duration) func() {
	if tp.TraceDir == "" || srv.HeapURL == "" {
		return func() {}
	}
	when := "fresh"
	if after > 0 {
		when = "idle"
	}
	arm := "mam-on"
	if tp.MAMOff {
		arm = "mam-off"
	}
	name := fmt.Sprintf("%s-%s-%d-%s", srv.Name, arm, rate, when)
	secs := int(tp.Phase / time.Second)
	urls := map[string]string{name + ".trace": fmt.Sprintf("%strace?seconds=%d", strings.TrimSuffix(srv.HeapURL, "heap"), secs)}
	if srv.BackendPprof != "" {
		urls[name+"-backend.trace"] = fmt.Sprintf("http://%s/debug/pprof/trace?seconds=%d", srv.BackendPprof, secs)
	}
	var wg sync.WaitGroup
	for file, url := range urls {
		wg.Go(func() {
			if err := fetch(ctx, url, filepath.Join(tp.TraceDir, file)); err != nil {
				fmt.Fprintf(os.Stderr, "bench: runtime trace: %v\n", err)
			}
		})
	}
	return wg.Wait
}

// perMsg is d shared among n messages (0 for none).
func perMsg(d time.Duration, n int) time.Duration {
	if n == 0 {
		return 0
	}
	return d / time.Duration(n)
}
