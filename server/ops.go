package server

import (
	"context"
	"net"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/gospectrum/spectrum2/cluster"
	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/server/config"
)

// opsServer is the operations side of the daemon: the admin socket (always), the
// [metrics] listener and the [dns] responder (when configured).
type opsServer struct {
	m       *metrics.Metrics
	log     zerolog.Logger
	socket  net.Listener
	metrics net.Listener // nil when [metrics] listen is empty
	pprof   bool
	dns     *cluster.Responder // nil when [dns] listen is empty
}

// newOps opens the listeners at once, so that a port in use fails the start.
func newOps(cfg *config.Config, m *metrics.Metrics, log zerolog.Logger) (*opsServer, error) {
	o := &opsServer{m: m, log: log.With().Str("component", "ops").Logger(), pprof: cfg.Metrics.Pprof}
	var err error
	if o.socket, err = metrics.Listen("unix:" + cfg.AdminSocket()); err != nil {
		// Not fatal: only `spectrum2 status` needs it (a too long path is the usual cause).
		o.log.Warn().Err(err).Msg("no admin socket: spectrum2 status will not work")
	}
	if cfg.Metrics.Listen != "" {
		if o.metrics, err = metrics.Listen(cfg.Metrics.Listen); err != nil {
			o.close()
			return nil, err
		}
		o.log.Info().Stringer("addr", o.metrics.Addr()).Bool("pprof", o.pprof).Msg("metrics listener")
	}
	if cfg.DNS.Listen != "" {
		if o.dns, err = cluster.NewResponder(cfg.ClusterSettings(), log); err != nil {
			o.close()
			return nil, err
		}
	}
	return o, nil
}

// close closes the listeners of an ops server that will not run.
func (o *opsServer) close() {
	for _, l := range []net.Listener{o.socket, o.metrics} {
		if l != nil {
			l.Close()
		}
	}
}

// run serves until ctx ends. The daemon is ready (/readyz) from here until shutdown begins.
func (o *opsServer) run(ctx context.Context) error {
	o.m.SetReady(true)
	g, gctx := errgroup.WithContext(ctx)
	if o.socket != nil {
		g.Go(func() error {
			// The admin socket (0600) alone lists the users (issue 18).
			return metrics.Serve(gctx, o.socket, o.m.Handler(metrics.HandlerOptions{Users: true}), o.log)
		})
	}
	if o.metrics != nil {
		h := o.m.Handler(metrics.HandlerOptions{Metrics: true, Pprof: o.pprof})
		g.Go(func() error { return metrics.Serve(gctx, o.metrics, h, o.log) })
	}
	if o.dns != nil {
		g.Go(func() error { return o.dns.Run(gctx) })
	}
	return g.Wait()
}
