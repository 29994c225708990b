package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// The physical floor: a bare Go TLS 1.3 server with the bench certificate, nothing above TLS.
// Its handshakes per second are the ceiling of any server's logins on the same core, and its
// memory per idle connection the least a TLS session can cost in Go.

// BareTLSFlag is the benchrun flag that makes it serve as the bare TLS server (a child process
// of the bench, pinned like the servers).
const BareTLSFlag = "bare-tls-serve"

// ServeBareTLS listens on addr and, for every connection, completes a TLS 1.3 handshake with
// the certificate in certPath/keyPath, writes one byte (so the client knows the server's side
// of the handshake is done) and then reads until the client closes. It runs until the process
// is killed.
func ServeBareTLS(addr, certPath, keyPath string) error {
	kp, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return fmt.Errorf("loading the certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: tls.VersionTLS13,
		SessionTicketsDisabled: true}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			continue
		}
		go func() {
			defer c.Close()
			t := tls.Server(c, cfg)
			if err := t.Handshake(); err != nil {
				return
			}
			if _, err := t.Write([]byte{'k'}); err != nil {
				return
			}
			var b [1]byte
			for {
				if _, err := t.Read(b[:]); err != nil {
					return
				}
			}
		}()
	}
}

// NewBareTLS prepares the bare TLS server: self (this program's binary) run with
// --bare-tls-serve on a free loopback port.
func NewBareTLS(dir, self string, cpu int, cert, key string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	s := &Server{Name: "bare-tls", Domain: "localhost", Addr: addr, CPU: cpu, Dir: dir}
	s.configure = func(Options) ([]string, error) {
		return []string{self, "--" + BareTLSFlag, addr, "--bare-tls-cert", cert, "--bare-tls-key", key}, nil
	}
	return s, nil
}

// FloorPlan is the bare TLS server's test: Workers handshake loops for Time, then Idle
// connections held for Hold.
type FloorPlan struct {
	Workers int
	Time    time.Duration
	Idle    int
	Hold    time.Duration
}

// FloorResult is what the bare TLS server measured.
type FloorResult struct {
	Workers    int
	Handshakes int
	Errors     int
	FirstErr   string
	Cost       Cost
	Latency    Summary
	Idle       int     // connections held open for the memory figure
	PerConn    float64 // RSS growth per idle connection, bytes
	PSSPerConn float64 // PSS growth per idle connection, bytes
	Err        string
}

// Rate is completed handshakes per second.
func (f FloorResult) Rate() float64 {
	if f.Cost.Elapsed <= 0 {
		return 0
	}
	return float64(f.Handshakes) / f.Cost.Elapsed.Seconds()
}

// RunFloor measures the bare TLS server: workers closed-loop handshake loops for d, each a
// fresh TCP connection and a full handshake with cfg, as the login test does before its
// XMPP steps; then, on a fresh server, idle connections held for hold.
func RunFloor(ctx context.Context, srv *Server, cfg *tls.Config, workers int, d time.Duration, idle, openWorkers int, hold time.Duration) FloorResult {
	r := FloorResult{Workers: workers, Idle: idle}
	if err := srv.Start(ctx, Options{}); err != nil {
		r.Err = err.Error()
		return r
	}
	m, err := StartMeter(srv.PID())
	if err != nil {
		srv.Stop()
		r.Err = err.Error()
		return r
	}
	var rec Recorder
	var n, errs atomic.Int64
	var first atomic.Value
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				c, err := bareHandshake(ctx, srv.Addr, cfg)
				if err != nil {
					errs.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				c.Close()
				rec.Add(time.Since(t0))
				n.Add(1)
			}
		})
	}
	wg.Wait()
	r.Cost, _ = m.Read()
	srv.Stop()
	r.Handshakes, r.Errors, r.Latency = int(n.Load()), int(errs.Load()), rec.Summary()
	if e, ok := first.Load().(string); ok {
		r.FirstErr = e
	}
	if idle <= 0 {
		return r
	}
	r.PerConn, r.PSSPerConn, err = floorIdle(ctx, srv, cfg, idle, openWorkers, hold)
	if err != nil {
		r.Err = err.Error()
	}
	return r
}

// floorIdle opens n connections to a fresh bare TLS server and returns the growth of its RSS
// and PSS per connection after hold.
func floorIdle(ctx context.Context, srv *Server, cfg *tls.Config, n, workers int, hold time.Duration) (float64, float64, error) {
	if err := srv.Start(ctx, Options{}); err != nil {
		return 0, 0, err
	}
	defer srv.Stop()
	time.Sleep(time.Second)
	base, err := TreeMemory(srv.PID())
	if err != nil {
		return 0, 0, err
	}
	conns := make([]net.Conn, n)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				c, err := bareHandshake(ctx, srv.Addr, cfg)
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				conns[i] = c
			}
		})
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return 0, 0, fmt.Errorf("opening idle TLS connections: %w", e)
	}
	time.Sleep(hold)
	u, err := TreeMemory(srv.PID())
	if err != nil {
		return 0, 0, err
	}
	return float64(u.RSS-base.RSS) / float64(n), float64(u.PSS-base.PSS) / float64(n), nil
}

// bareHandshake connects to addr, completes a TLS handshake and reads the server's byte.
func bareHandshake(ctx context.Context, addr string, cfg *tls.Config) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	t := tls.Client(c, cfg)
	if err := t.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = t.SetReadDeadline(dl)
	}
	var b [1]byte
	if _, err := io.ReadFull(t, b[:]); err != nil {
		c.Close()
		return nil, err
	}
	_ = t.SetReadDeadline(time.Time{})
	return t, nil
}
