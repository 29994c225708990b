package bench

import (
	"context"
	"crypto/tls"
	"fmt"
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
	if err := srv.Start(ctx, Options{}); err != nil {
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
			res, err := RunOpen(p, srv.PID(), id, srv.EchoBot, rate, tp.Phase)
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
