package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"time"
)

// MemPlan is the idle-memory test at the shipped defaults.
type MemPlan struct {
	N    int           // sessions
	Hold time.Duration // how long they are held before the reading
	// UsersPerBackend is spectrum2's shipped service.users_per_backend for the demo's native
	// backend, to tell how many users the first backend process holds.
	UsersPerBackend int
	// Compare are other users_per_backend values spectrum2 is measured with beside these two.
	Compare []int
	// OursOnly leaves the references out (the quick run: their idle test is in the scales).
	OursOnly bool
}

// MemRun is the idle memory of N sessions on a fresh server: the growth of the process tree
// from the empty server, RSS summed and PSS summed, divided by the sessions.
type MemRun struct {
	Label                  string
	N, Opened              int
	Hold                   time.Duration
	RSSPerSess, PSSPerSess float64
	Empty, Full            Memory
	// First is the first backend process (spectrum2) with its first user, settled;
	// FirstFull is the same process at the end, holding FirstUsers users.
	First, FirstFull ProcMem
	FirstUsers       int
	Drops            int
	Err              string
}

// Backends is the number of processes below the root at the end (spectrum2: backends).
func (m MemRun) Backends() int { return len(m.Full.Children) }

// PerUserRSS is what each user after the first adds to a backend process's RSS, and PerUserPSS
// to its PSS; 0 when not measured.
func (m MemRun) PerUserRSS() float64 {
	if m.FirstUsers < 2 || m.FirstFull.PID == 0 {
		return 0
	}
	return float64(m.FirstFull.RSS-m.First.RSS) / float64(m.FirstUsers-1)
}

// PerUserAnon is what each user after the first adds to the backend's anonymous memory (its
// own heap and stacks: PSS moves with how many processes share the binary's pages).
func (m MemRun) PerUserAnon() float64 {
	if m.FirstUsers < 2 || m.FirstFull.PID == 0 {
		return 0
	}
	return float64(m.FirstFull.Anon-m.First.Anon) / float64(m.FirstUsers-1)
}

// RunMem opens plan.N idle sessions on a fresh server started with o: one session first, so
// that the first backend process (if the server has any) is read with one user, then the
// rest; after plan.Hold the tree is read again. upb is the users one backend takes.
func RunMem(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan, o Options, upb int, label string) MemRun {
	r := MemRun{Label: label, N: plan.Mem.N, Hold: plan.Mem.Hold}
	if err := srv.Start(ctx, o); err != nil {
		r.Err = err.Error()
		return r
	}
	defer srv.Stop()
	p := &Pool{GenShare: plan.GenShare}
	defer p.Close()
	if _, err := settledUsage(ctx, srv); err != nil {
		r.Err = err.Error()
		return r
	}
	var err error
	if r.Empty, err = TreeMemory(srv.PID()); err != nil {
		r.Err = err.Error()
		return r
	}
	if err := p.Open(ctx, srv, cfg, 1, 1); err != nil {
		r.Err = err.Error()
		return r
	}
	if _, err := settledUsage(ctx, srv); err != nil {
		r.Err = err.Error()
		return r
	}
	if srv.EchoBot {
		// The backend that took the user: a new one, or one the daemon started before any
		// login (a spare); the one that grew most.
		if m, err := TreeMemory(srv.PID()); err == nil {
			var most int64 = -1 << 62
			for _, c := range m.Children {
				was, _ := r.Empty.Find(c.PID)
				if g := c.RSS - was.RSS; g > most {
					most, r.First = g, c
				}
			}
		}
	}
	err = p.Open(ctx, srv, cfg, plan.Mem.N, plan.PoolWorkers)
	r.Opened = len(p.Sessions)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	time.Sleep(plan.Mem.Hold)
	if r.Full, err = TreeMemory(srv.PID()); err != nil {
		r.Err = err.Error()
		return r
	}
	r.Drops = p.Drops()
	r.RSSPerSess = float64(r.Full.RSS-r.Empty.RSS) / float64(r.Opened)
	r.PSSPerSess = float64(r.Full.PSS-r.Empty.PSS) / float64(r.Opened)
	if r.First.PID != 0 {
		r.FirstFull, _ = r.Full.Find(r.First.PID)
		r.FirstUsers = min(upb, r.Opened)
	}
	return r
}

// runReferenceTests runs the memory test at the defaults and the tail-latency test when the
// plan has them: spectrum2 at its shipped users_per_backend and with one backend for all.
func runReferenceTests(ctx context.Context, srv *Server, cfg *tls.Config, plan Plan, w io.Writer, r *Results) {
	if plan.Mem.N > 0 && (srv.EchoBot || !plan.Mem.OursOnly) {
		runs := []struct {
			label string
			o     Options
			upb   int
		}{{"defaults", Options{}, plan.Mem.N}}
		if srv.EchoBot {
			runs = []struct {
				label string
				o     Options
				upb   int
			}{
				{fmt.Sprintf("shipped users_per_backend (%d)", plan.Mem.UsersPerBackend), Options{ShippedBackends: true}, plan.Mem.UsersPerBackend},
				{"one backend (users_per_backend = 100000)", Options{}, plan.Mem.N},
			}
			for _, u := range plan.Mem.Compare {
				runs = append(runs, struct {
					label string
					o     Options
					upb   int
				}{fmt.Sprintf("users_per_backend = %d", u), Options{UsersPerBackend: u}, u})
			}
		}
		for _, x := range runs {
			fmt.Fprintf(w, "== %s: memory of %d idle sessions, %s\n", srv.Name, plan.Mem.N, x.label)
			done := Phase(w, fmt.Sprintf("%s memory at %s", srv.Name, x.label))
			m := RunMem(ctx, srv, cfg, plan, x.o, x.upb, x.label)
			done()
			fmt.Fprintf(w, "   RSS %.1f KB/session, PSS %.1f KB/session, %d processes below the root, first backend %.1f MB RSS with 1 user, %.1f MB with %d %s\n",
				m.RSSPerSess/1000, m.PSSPerSess/1000, m.Backends(), float64(m.First.RSS)/1e6,
				float64(m.FirstFull.RSS)/1e6, m.FirstUsers, m.Err)
			r.Mem = append(r.Mem, m)
		}
	}
	if plan.Tail.Sessions > 0 {
		fmt.Fprintf(w, "== %s: tail latency, %d sessions, %v rates %v, fresh and after %v idle\n",
			srv.Name, plan.Tail.Sessions, plan.Tail.Phase, plan.Tail.Rates, plan.Tail.Idle)
		done := Phase(w, srv.Name+" tail latency")
		t := RunTail(ctx, srv, cfg, plan)
		done()
		for _, ph := range t.Phases {
			fmt.Fprintf(w, "   %d msg/s %s: p99 %s p99.9 %s, %d of %d answered, server CPU %.0f%% (%.1f µs per round trip)\n", ph.Rate, ph.When(),
				ms(ph.Rtt.Latency.P99), ms(ph.Rtt.Latency.P999), ph.Rtt.Received, ph.Rtt.Sent,
				100*ph.Rtt.Cost.ServerLoad(), micros(perMsg(ph.Rtt.Cost.ServerCPU, ph.Rtt.Received)))
		}
		if t.Err != "" {
			fmt.Fprintf(w, "   %s\n", t.Err)
		}
		r.Tail = &t
	}
}
