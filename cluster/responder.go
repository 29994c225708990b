package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// Responder is an authoritative DNS server for the cluster's domain. It answers SRV,
// A/AAAA, NS and SOA from the configuration and leaves members that fail their health
// checks out of the SRV (and apex address) answers until they recover.
type Responder struct {
	s      Settings
	log    zerolog.Logger
	zone   string // the domain, fully qualified
	pc     net.PacketConn
	ln     net.Listener
	health *health
	serial atomic.Uint32
}

// NewResponder validates s and binds s.DNS.Listen on UDP and TCP (the same port, also when
// the port is 0), so the address is known before Run.
func NewResponder(s Settings, log zerolog.Logger) (*Responder, error) {
	s.Normalize()
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if s.DNS.Listen == "" {
		return nil, errors.New("cluster: dns.listen is not set")
	}
	pc, ln, err := listenBoth(s.DNS.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: dns.listen: %w", err)
	}
	r := &Responder{s: s, log: log.With().Str("component", "dns").Logger(), zone: dns.Fqdn(s.Domain), pc: pc, ln: ln}
	r.serial.Store(uint32(time.Now().Unix()))
	r.health = newHealth(s, r.log, func() { r.serial.Add(1) })
	return r, nil
}

// listenBoth binds UDP and then TCP on the same address; with port 0 it retries a few
// times in case the port UDP got is taken for TCP.
func listenBoth(addr string) (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 10 {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		pc.Close()
		lastErr = err
	}
	return nil, nil, lastErr
}

// Addr is the address the responder answers on (UDP and TCP).
func (r *Responder) Addr() string { return r.pc.LocalAddr().String() }

// Healthy reports whether the member named name (as in the config) is in the answers.
func (r *Responder) Healthy(name string) bool {
	for i, m := range r.s.Cluster.Members {
		if m.Name == name {
			return r.health.isUp(i)
		}
	}
	return false
}

// Run answers queries and health-checks the members until ctx ends.
func (r *Responder) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	udp := &dns.Server{PacketConn: r.pc, Handler: r}
	tcp := &dns.Server{Listener: r.ln, Handler: r}
	for _, srv := range []*dns.Server{udp, tcp} {
		g.Go(func() error { return serve(gctx, srv) })
	}
	g.Go(func() error { r.health.run(gctx); return nil })
	r.log.Info().Str("listen", r.Addr()).Str("zone", r.zone).Msg("DNS responder started")
	err := g.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// serve runs one dns.Server until ctx ends. Shutdown is only called once the server has
// started: miekg/dns refuses to shut down a server that is not running yet.
func serve(ctx context.Context, srv *dns.Server) error {
	started := make(chan struct{})
	var once sync.Once
	srv.NotifyStartedFunc = func() { once.Do(func() { close(started) }) }
	done := make(chan error, 1)
	go func() { done <- srv.ActivateAndServe() }()
	select {
	case err := <-done:
		return fmt.Errorf("cluster: dns: %w", err)
	case <-started:
	}
	select {
	case err := <-done:
		return fmt.Errorf("cluster: dns: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.ShutdownContext(sctx)
	<-done
	if err != nil {
		return fmt.Errorf("cluster: dns shutdown: %w", err)
	}
	return nil
}
