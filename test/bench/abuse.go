package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// AbusePlan is the abuse test (issue 18, spectrum2 only): Good well-behaved sessions time
// echo round trips at Rate messages per second for MsgTime, once alone and once while
// Abusers abusive clients run, a third of each kind: flooders (send to echo as fast as
// the socket takes it, reading what comes back), non-readers (ask echo for large answers
// and never read them; when the daemon ends the stream at session_send_bytes they log in
// again) and pre-auth senders (an oversized element before authentication, again and
// again).
type AbusePlan struct {
	Good    int // well-behaved sessions; 0: no abuse test
	Abusers int
	MsgTime time.Duration
	Rate    int // round trips per second of the well-behaved sessions, in all
}

// AbuseResult is the abuse test: the same measurement without and with abuse.
type AbuseResult struct {
	Quiet, Abused AbusePhase
	Err           string
}

// AbusePhase is one run of the well-behaved sessions' open-loop echo test.
type AbusePhase struct {
	Rtt        MsgResult
	RSSGrowth  int64 // the daemon's (root process) peak RSS over the test, minus before it
	TreeGrowth int64 // the same for the daemon and its backend processes
	Abuse      AbuseCounts
}

// AbuseCounts is what the abusive clients did during a phase.
type AbuseCounts struct {
	Flooders, NonReaders, PreAuth int
	FloodSent                     int64 // stanzas the flooders got onto the wire
	NonReaderClosed               int64 // non-reader streams the daemon ended
	PreAuthRefused                int64 // pre-auth connections the daemon closed
	LoginErrs                     int64 // abusers' logins that failed
}

// nonReaderBody is the body a non-reader asks echo to return: large, so that the daemon's
// queue to it fills quickly, yet well under the stanza limit.
var nonReaderBody = strings.Repeat("x", 32<<10)

// preAuthJunk is sent before authentication: larger than limits.preauth_stanza_bytes.
var preAuthJunk = "<message><body>" + strings.Repeat("y", 64<<10) + "</body></message>"

// RunAbuse runs the abuse test on srv (spectrum2), each phase on a fresh server.
func RunAbuse(ctx context.Context, srv *Server, cfg *tls.Config, plan AbusePlan, workers int) AbuseResult {
	var r AbuseResult
	var err error
	if r.Quiet, err = abusePhase(ctx, srv, cfg, plan, workers, false); err != nil {
		r.Err = "without abuse: " + err.Error()
		return r
	}
	if r.Abused, err = abusePhase(ctx, srv, cfg, plan, workers, true); err != nil {
		r.Err = "with abuse: " + err.Error()
	}
	return r
}

// abusePhase opens plan.Good sessions on a fresh server, lets it settle, starts the
// abusers (abuse) and runs the open-loop echo test meanwhile, sampling the daemon's RSS.
func abusePhase(ctx context.Context, srv *Server, cfg *tls.Config, plan AbusePlan, workers int, abuse bool) (AbusePhase, error) {
	var ph AbusePhase
	if err := srv.Start(ctx, Options{}); err != nil {
		return ph, err
	}
	defer srv.Stop()
	p := &Pool{}
	defer p.Close()
	if err := p.Open(ctx, srv, cfg, plan.Good, workers); err != nil {
		return ph, err
	}
	base, err := settledUsage(ctx, srv)
	if err != nil {
		return ph, err
	}
	actx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var counts abuseCounters
	if abuse {
		ph.Abuse = startAbusers(actx, &wg, srv, cfg, plan, &counts)
		time.Sleep(2 * time.Second) // the abusers log in and reach their steady state
	}
	peak := sampleRSS(actx, srv.PID())
	ph.Rtt, err = RunOpen(p, srv.PID(), 200, srv.EchoBot, plan.Rate, plan.MsgTime)
	stop()
	wg.Wait()
	top := <-peak
	ph.RSSGrowth, ph.TreeGrowth = top.RootRSS-base.RootRSS, top.RSS-base.RSS
	ph.Abuse.FloodSent, ph.Abuse.NonReaderClosed = counts.floodSent.Load(), counts.closed.Load()
	ph.Abuse.PreAuthRefused, ph.Abuse.LoginErrs = counts.refused.Load(), counts.loginErrs.Load()
	if d := p.Drops(); d > 0 && err == nil {
		err = fmt.Errorf("%d well-behaved sessions dropped", d)
	}
	return ph, err
}

type abuseCounters struct {
	floodSent, closed, refused, loginErrs atomic.Int64
}

// sampleRSS reads the server tree's usage every 250 ms until ctx ends and then sends the
// peak of each figure.
func sampleRSS(ctx context.Context, pid int) <-chan Usage {
	out := make(chan Usage, 1)
	go func() {
		var top Usage
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			if u, err := TreeUsage(pid); err == nil {
				top.RSS, top.RootRSS = max(top.RSS, u.RSS), max(top.RootRSS, u.RootRSS)
			}
			select {
			case <-ctx.Done():
				out <- top
				return
			case <-t.C:
			}
		}
	}()
	return out
}

// startAbusers starts plan.Abusers clients, a third of each kind, on accounts after the
// well-behaved ones; they run until ctx ends.
func startAbusers(ctx context.Context, wg *sync.WaitGroup, srv *Server, cfg *tls.Config, plan AbusePlan, c *abuseCounters) AbuseCounts {
	var n AbuseCounts
	for k := range plan.Abusers {
		a := srv.Account(plan.Good + k)
		a.Addr, a.Resource = srv.Addr, fmt.Sprintf("abuse%d", k)
		switch k % 3 {
		case 0:
			n.Flooders++
			wg.Go(func() { flood(ctx, a, cfg, srv.Peer(plan.Good+k), c) })
		case 1:
			n.NonReaders++
			wg.Go(func() { notRead(ctx, a, cfg, srv.Peer(plan.Good+k), c) })
		default:
			n.PreAuth++
			wg.Go(func() { preAuthOversize(ctx, a, c) })
		}
	}
	return n
}

// abuseLogin logs a in, or counts the failure and waits a little before the next try.
func abuseLogin(ctx context.Context, a Account, cfg *tls.Config, c *abuseCounters) *Session {
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, _, err := Login(lctx, a, cfg, 0)
	if err != nil {
		if ctx.Err() == nil {
			c.loginErrs.Add(1)
			sleepCtx(ctx, time.Second)
		}
		return nil
	}
	return s
}

// closeOnDone closes s when ctx ends, so that a write blocked on the daemon's back-pressure
// returns; the returned function ends the watch.
func closeOnDone(ctx context.Context, s *Session) func() {
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// flood sends chat messages to peer as fast as the socket takes them, reading the answers.
func flood(ctx context.Context, a Account, cfg *tls.Config, peer string, c *abuseCounters) {
	for ctx.Err() == nil {
		s := abuseLogin(ctx, a, cfg, c)
		if s == nil {
			continue
		}
		end := closeOnDone(ctx, s)
		go func() { _ = s.Serve() }()
		msg := fmt.Appendf(nil, "<message to='%s' type='chat'><body>flood</body></message>", peer)
		for ctx.Err() == nil && s.Send(msg) == nil {
			c.floodSent.Add(1)
		}
		end()
		s.Close()
	}
}

// notRead asks peer (echo) for large answers and never reads them, until the daemon ends
// the stream (its writes fail) or 10 s pass; then it logs in again.
func notRead(ctx context.Context, a Account, cfg *tls.Config, peer string, c *abuseCounters) {
	msg := fmt.Appendf(nil, "<message to='%s' type='chat'><body>%s</body></message>", peer, nonReaderBody)
	for ctx.Err() == nil {
		s := abuseLogin(ctx, a, cfg, c)
		if s == nil {
			continue
		}
		end := closeOnDone(ctx, s)
		_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		var err error
		for ctx.Err() == nil && err == nil {
			err = s.Send(msg)
		}
		end()
		if ctx.Err() == nil && !isTimeout(err) {
			c.closed.Add(1)
		}
		s.Close()
	}
}

// preAuthOversize connects, opens a stream and sends an element past the pre-auth limit
// before STARTTLS, reads until the daemon closes the connection, and starts over.
func preAuthOversize(ctx context.Context, a Account, c *abuseCounters) {
	var d net.Dialer
	for ctx.Err() == nil {
		conn, err := d.DialContext(ctx, "tcp", a.Addr)
		if err != nil {
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = fmt.Fprintf(conn, streamHeader+"%s", a.Domain, preAuthJunk)
		buf := make([]byte, 4096)
		for err == nil {
			_, err = conn.Read(buf)
		}
		if ctx.Err() == nil && !isTimeout(err) {
			c.refused.Add(1)
		}
		conn.Close()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
