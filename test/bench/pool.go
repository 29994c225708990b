package bench

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Pool is a set of logged-in sessions held open, each with its reader running.
type Pool struct {
	Sessions []*Session
	Peers    []string // Peers[i] is the JID session i sends to
	SM       bool     // sessions enable stream management with resumption after bind
	// GenShare, when above 0, paces the logins of Open so that this process uses at most
	// that share of one core: opening a pool measures nothing but what the sessions then
	// cost, and a generator kept well under its core cannot be what limits a figure.
	GenShare float64
	drops    atomic.Int64
	wg       sync.WaitGroup
}

// Drops is the number of sessions the server closed or broke since they logged in.
func (p *Pool) Drops() int { return int(p.drops.Load()) }

// Open logs in sessions len(p.Sessions) to n-1 of srv with workers concurrent logins, adds them
// to p (create p with &Pool{}) and starts their readers; it stops at the first failed login.
func (p *Pool) Open(ctx context.Context, srv *Server, cfg *tls.Config, n, workers int) error {
	from := len(p.Sessions)
	out := make([]*Session, n-from)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	pace := newCPUPacer(p.GenShare)
	for range workers {
		wg.Go(func() {
			for {
				pace.wait(ctx)
				i := int(next.Add(1)) - 1
				if i >= len(out) || ctx.Err() != nil {
					return
				}
				a := srv.Account(from + i)
				a.Addr, a.Resource, a.SM = srv.Addr, fmt.Sprintf("p%d", from+i), p.SM
				lctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				s, _, err := Login(lctx, a, cfg, 0)
				cancel()
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("login %d of %d: %w", from+i+1, n, err) })
					next.Store(int64(len(out)))
					return
				}
				out[i] = s
			}
		})
	}
	wg.Wait()
	for i, s := range out {
		if s == nil {
			continue
		}
		p.Sessions = append(p.Sessions, s)
		p.Peers = append(p.Peers, srv.Peer(from+i))
		p.serve(s)
	}
	return firstErr
}

// serve starts the reader of s.
func (p *Pool) serve(s *Session) {
	p.wg.Go(func() {
		if err := s.Serve(); err != nil {
			p.drops.Add(1)
		}
	})
}

// waitReaders waits until every reader has returned (after Drop or Close).
func (p *Pool) waitReaders() { p.wg.Wait() }

// Close ends every session and waits for their readers.
func (p *Pool) Close() {
	for _, s := range p.Sessions {
		s.Close()
	}
	p.wg.Wait()
}

// cpuPacer holds this process to a share of one core: wait sleeps while the CPU time used
// since the pacer started exceeds share times the time elapsed.
type cpuPacer struct {
	share float64
	t0    time.Time
	cpu0  time.Duration
}

// newCPUPacer starts a pacer; share <= 0 gives one that never waits.
func newCPUPacer(share float64) *cpuPacer {
	return &cpuPacer{share: share, t0: time.Now(), cpu0: SelfCPU()}
}

func (p *cpuPacer) wait(ctx context.Context) {
	if p.share <= 0 {
		return
	}
	for {
		over := SelfCPU() - p.cpu0 - time.Duration(p.share*float64(time.Since(p.t0)))
		if over <= 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Duration(float64(over) / p.share)):
		}
	}
}
