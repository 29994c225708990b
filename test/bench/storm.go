package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// StormResult is the outcome of the reconnect storm: sessions with stream management each
// send a message to the echo contact, all lose their sockets at once and resume.
type StormResult struct {
	N, Opened  int
	BeforeDrop int           // echo answers that arrived before the drop
	Resumed    int           // sessions that got <resumed/>
	ResumeErrs int           // sessions whose resumption failed
	FirstErr   string        // the first resumption error
	AllResumed time.Duration // from the drop until the last <resumed/>
	Resume     Summary       // per session: from the drop until its <resumed/>
	Expected   int           // echo answers expected (one per session)
	Received   int           // distinct answers received across both connections
	Lost       int           // Expected - Received
	Duplicated int           // answers received more than once (each extra copy counts)
	Cost       Cost          // the reconnection, server and generator CPU
	Err        string
}

// stormTally counts, per session, the echo answers to its one storm message, by message
// body, across both of its connections.
type stormTally struct {
	got []atomic.Int32
}

// install makes every session count its storm answers.
func (t *stormTally) install(p *Pool) {
	t.got = make([]atomic.Int32, len(p.Sessions))
	for i, s := range p.Sessions {
		want := []byte("storm:" + strconv.Itoa(i))
		s.OnMessage(func(_ *Session, el []byte) {
			if bytes.Equal(Text(el, "body"), want) {
				t.got[i].Add(1)
			}
		})
	}
}

// sum is the sessions with at least one answer and the extra copies.
func (t *stormTally) sum() (received, duplicated int) {
	for i := range t.got {
		n := int(t.got[i].Load())
		if n > 0 {
			received++
			duplicated += n - 1
		}
	}
	return received, duplicated
}

// RunStorm opens n sessions with stream management on a fresh server, has each send one
// message to its peer (the echo contact), drops every socket at once right after the last
// message left, so that some answers arrive before the drop and some after, reconnects
// them with workers concurrent resumptions and counts the answers (XEP-0198 section 5:
// none may be lost or duplicated).
func RunStorm(ctx context.Context, srv *Server, cfg *tls.Config, n, workers int) StormResult {
	res := StormResult{N: n, Expected: n}
	if err := srv.Start(ctx, Options{}); err != nil {
		res.Err = err.Error()
		return res
	}
	defer srv.Stop()
	p := &Pool{SM: true}
	defer p.Close()
	err := p.Open(ctx, srv, cfg, n, workers)
	res.Opened = len(p.Sessions)
	if err != nil {
		res.Err = err.Error()
		return res
	}
	var t stormTally
	t.install(p)
	for i, s := range p.Sessions {
		_ = s.SendStanzas(fmt.Appendf(nil, "<message to='%s' type='chat' id='storm-%d'><body>storm:%d</body></message>",
			p.Peers[i], i, i), 1)
	}
	m, err := StartMeter(srv.PID())
	if err != nil {
		res.Err = err.Error()
		return res
	}
	dropped := time.Now()
	for _, s := range p.Sessions {
		s.Drop()
	}
	p.waitReaders()
	res.BeforeDrop, _ = t.sum() // what the readers handled up to the drop
	resumeAll(ctx, p, cfg, workers, dropped, &res)
	res.Cost, _ = m.Read()
	awaitAnswers(&t, n, 30*time.Second)
	time.Sleep(2 * time.Second) // a copy sent twice would be here by now
	res.Received, res.Duplicated = t.sum()
	res.Lost = res.Expected - res.Received
	return res
}

// resumeAll resumes every session of p with workers concurrent reconnections and restarts
// its reader, recording in res when each got <resumed/>.
func resumeAll(ctx context.Context, p *Pool, cfg *tls.Config, workers int, dropped time.Time, res *StormResult) {
	var rec Recorder
	var next, resumed, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(p.Sessions) || ctx.Err() != nil {
					return
				}
				s := p.Sessions[i]
				rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
				err := s.Resume(rctx, cfg)
				cancel()
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("session %d: %v", i, err))
					continue
				}
				rec.Add(time.Since(dropped))
				resumed.Add(1)
				p.serve(s)
			}
		})
	}
	wg.Wait()
	res.Resume = rec.Summary()
	res.AllResumed = res.Resume.Max
	res.Resumed, res.ResumeErrs = int(resumed.Load()), int(errs.Load())
	if e, ok := firstErr.Load().(string); ok {
		res.FirstErr = e
	}
}

// awaitAnswers waits until every session has its answer or d passed.
func awaitAnswers(t *stormTally, n int, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
		if got, _ := t.sum(); got >= n {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
