package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/internal/logging"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router"
	"github.com/gospectrum/spectrum2/server/config"
)

// cmdRun is the daemon: `spectrum2 run --config FILE [--log-level LEVEL]`.
func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration `FILE` (TOML)")
	fs.StringVar(path, "c", "", "short for --config")
	level := fs.String("log-level", "", "override [logging] level (trace, debug, info, warn, error)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0) // Spectrum 2 takes the config file as its last argument
	}
	if *path == "" {
		return usageError("run: --config FILE is required")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errReported
	}
	if *level != "" {
		cfg.Logging.Level = *level
	}
	log, err := logging.New(cfg.Logging.Level, cfg.Logging.Format, stderr)
	if err != nil {
		return err
	}
	return Run(ctx, cfg, log)
}

// component is one long-running part of the daemon.
type component struct {
	name string
	run  func(context.Context) error
}

// Run builds c2s, router and pluginserver from cfg, runs them until ctx ends, and shuts them
// down in order: c2s first (no new stanzas), then the router (LOGOUT every user), then
// pluginserver (EXIT to every backend, then kill).
func Run(ctx context.Context, cfg *config.Config, log zerolog.Logger) error {
	if !cfg.Service.RequireEncryption {
		log.Warn().Msg("require_encryption is off: passwords may cross the network in clear; for tests only")
	}
	if err := os.MkdirAll(cfg.Service.WorkingDir, 0o700); err != nil {
		return fmt.Errorf("creating working_dir: %w", err)
	}
	iniPath, err := cfg.WriteBackendINI(cfg.Service.WorkingDir)
	if err != nil {
		return fmt.Errorf("writing the backend configuration: %w", err)
	}
	// Backends run in working_dir: a relative path would not reach them.
	if iniPath, err = filepath.Abs(iniPath); err != nil {
		return err
	}
	r := router.New(routerConfig(cfg, log))
	ps, err := pluginserver.New(pluginConfig(cfg, iniPath, log), r)
	if err != nil {
		return err
	}
	r.SetBackends(ps)
	cs, err := c2s.New(c2sConfig(cfg, log), r)
	if err != nil {
		return err
	}
	log.Info().Str("jid", cfg.Service.JID).Stringer("backend_port", ps.Addr()).
		Str("version", Version).Msg("spectrum2 started")
	go reloadOnHUP(ctx, cs, log)
	// Start order: backends first, so that the first login finds the warm backend.
	return runInOrder(ctx, log, []component{
		{"pluginserver", ps.Run}, {"router", r.Run}, {"c2s", cs.Run},
	})
}

// runInOrder starts comps in order and, when ctx ends or one of them fails, stops them in
// reverse order, each after the one started after it has returned.
func runInOrder(ctx context.Context, log zerolog.Logger, comps []component) error {
	failed := make(chan error, len(comps))
	cancels := make([]context.CancelFunc, len(comps))
	dones := make([]chan struct{}, len(comps))
	for i, c := range comps {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		cancels[i], dones[i] = cancel, make(chan struct{})
		go func() {
			defer close(dones[i])
			if err := c.run(cctx); err != nil && !errors.Is(err, context.Canceled) {
				failed <- fmt.Errorf("%s: %w", c.name, err)
				return
			}
			failed <- nil
		}()
	}
	var first error
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
	case first = <-failed:
		log.Error().Err(first).Msg("component stopped; shutting down")
	}
	for i := len(comps) - 1; i >= 0; i-- {
		cancels[i]()
		<-dones[i]
	}
	return first
}

func reloadOnHUP(ctx context.Context, cs *c2s.Server, log zerolog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := cs.ReloadCertificate(); err != nil {
				log.Error().Err(err).Msg("SIGHUP: certificate not reloaded")
				continue
			}
			log.Info().Msg("SIGHUP: certificate reloaded")
		}
	}
}

func routerConfig(cfg *config.Config, log zerolog.Logger) router.Config {
	s := cfg.Service
	return router.Config{
		Domain:           s.JID,
		LoginTimeout:     s.LoginTimeout,
		JIDEscaping:      s.JIDEscaping,
		EnableXHTML:      s.EnableXHTML,
		OOBReplaceBody:   s.OOBReplaceBody,
		OOBSplit:         s.OOBSplit,
		MaxRoomListSize:  s.MaxRoomListSize,
		MUCHistory:       cfg.MUC.History,
		IdentityName:     cfg.Identity.Name,
		IdentityCategory: cfg.Identity.Category,
		IdentityType:     cfg.Identity.Type,
		Version:          Version,
		Log:              log,
	}
}

func pluginConfig(cfg *config.Config, iniPath string, log zerolog.Logger) pluginserver.Config {
	s := cfg.Service
	return pluginserver.Config{
		Host:                s.BackendHost,
		Port:                s.BackendPort,
		PortFile:            s.Portfile,
		Backend:             s.Backend,
		ConfigFile:          iniPath,
		WorkingDir:          s.WorkingDir,
		UsersPerBackend:     s.UsersPerBackend,
		LoginDelay:          s.LoginDelay,
		PingInterval:        s.BackendPingInterval,
		IdleTimeout:         s.BackendIdleTimeout,
		MemoryCollectorTime: s.MemoryCollectorTime,
		MaxFrame:            cfg.Limits.MaxFrameBytes,
		Log:                 log,
	}
}

func c2sConfig(cfg *config.Config, log zerolog.Logger) c2s.Config {
	s := cfg.Service
	host := s.Server
	if host == "::" || host == "*" {
		host = "" // every address of both families; a literal "::" would be IPv6 only
	}
	c := c2s.Config{
		Domain:               s.JID,
		Addrs:                []string{net.JoinHostPort(host, strconv.Itoa(s.Port))},
		CertFile:             s.Cert,
		KeyFile:              s.Key,
		CertPassword:         s.CertPassword,
		DataDir:              s.DataDir,
		RequireEncryption:    s.RequireEncryption,
		LoginTimeout:         s.LoginTimeout,
		NegotiationTimeout:   cfg.Limits.NegotiationTimeout,
		PingInterval:         cfg.Limits.ClientPingInterval,
		Limits:               xmpp.Limits{MaxStanzaBytes: int64(cfg.Limits.MaxStanzaBytes), MaxDepth: cfg.Limits.MaxDepth},
		QueueSize:            cfg.Limits.QueueSize,
		MaxConnsPerIP:        cfg.Limits.MaxConnsPerIP,
		LoginsPerMinutePerIP: cfg.Limits.LoginsPerMinutePerIP,
		Log:                  log,
	}
	if s.TLSPort != 0 {
		c.TLSAddrs = []string{net.JoinHostPort(host, strconv.Itoa(s.TLSPort))}
	}
	return c
}
