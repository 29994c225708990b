package cluster

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// health keeps the up/down state of every member from periodic checks: FailAfter
// consecutive failures withdraw a member, RiseAfter consecutive successes restore it.
type health struct {
	s       Settings
	log     zerolog.Logger
	changed func()

	mu    sync.Mutex
	up    []bool // guarded by mu; members start up so the zone is complete at start
	fails []int  // guarded by mu: consecutive failures (up) or successes (down)
}

func newHealth(s Settings, log zerolog.Logger, changed func()) *health {
	n := len(s.Cluster.Members)
	h := &health{s: s, log: log, changed: changed, up: make([]bool, n), fails: make([]int, n)}
	for i := range h.up {
		h.up[i] = true
	}
	return h
}

func (h *health) snapshot() []bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]bool(nil), h.up...)
}

func (h *health) isUp(i int) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up[i]
}

// run checks every member every HealthInterval until ctx ends, one goroutine per member.
func (h *health) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range h.s.Cluster.Members {
		wg.Go(func() { h.watch(ctx, i) })
	}
	wg.Wait()
}

func (h *health) watch(ctx context.Context, i int) {
	t := time.NewTicker(h.s.DNS.HealthInterval)
	defer t.Stop()
	for {
		err := h.check(ctx, h.s.Cluster.Members[i])
		if ctx.Err() != nil {
			return // a check cut short by shutdown says nothing about the member
		}
		h.record(i, err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check is one health check: a member is healthy when any of its addresses accepts a
// connection and opens a stream (on the c2s port, else direct TLS on tls_port).
func (h *health) check(ctx context.Context, m Member) error {
	mode, port := streamOnly, m.Port
	if port == 0 {
		mode, port = directTLS, m.TLSPort
	}
	// Liveness only: srv check is the tool that verifies certificates.
	conf := &tls.Config{ServerName: h.s.Domain, InsecureSkipVerify: true} //nolint:gosec
	var err error
	for _, a := range m.Addrs() {
		cctx, cancel := context.WithTimeout(ctx, h.s.DNS.HealthTimeout)
		_, err = probe(cctx, net.JoinHostPort(a.String(), strconv.Itoa(port)), h.s.Domain, mode, conf)
		cancel()
		if err == nil {
			return nil
		}
	}
	return err
}

// record applies one check result and logs a change of state.
func (h *health) record(i int, err error) {
	h.mu.Lock()
	up, changed := h.up[i], false
	if (err == nil) != up {
		h.fails[i]++
		limit := h.s.DNS.FailAfter
		if !up {
			limit = h.s.DNS.RiseAfter
		}
		if h.fails[i] >= limit {
			h.up[i], h.fails[i], changed = !up, 0, true
		}
	} else {
		h.fails[i] = 0
	}
	h.mu.Unlock()
	if !changed {
		return
	}
	h.changed()
	name := h.s.Cluster.Members[i].Name
	if up {
		h.log.Warn().Str("member", name).Err(err).Msg("member failed its health checks: withdrawn from DNS answers")
	} else {
		h.log.Info().Str("member", name).Msg("member recovered: back in DNS answers")
	}
}
