package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/admin"
	"github.com/gospectrum/spectrum2/c2s"
	"github.com/gospectrum/spectrum2/cluster"
	"github.com/gospectrum/spectrum2/internal/logging"
	"github.com/gospectrum/spectrum2/internal/xmpp"
	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/pluginserver"
	"github.com/gospectrum/spectrum2/router"
	"github.com/gospectrum/spectrum2/server/config"
)

// cmdRun is the daemon: `spectrum2 run --config FILE [--log-level LEVEL]`.
func cmdRun(ctx context.Context, args []string, stderr io.Writer) error {
	cl := newCmdLine("run", "run --config FILE [--log-level LEVEL]",
		"Runs the daemon. FILE may also be the last argument, as Spectrum 2 takes it.")
	path := cl.fs.String("config", "", "configuration `FILE` (TOML)")
	cl.alias("c", "config")
	level := cl.fs.String("log-level", "", "override [logging] level: `LEVEL` is trace, debug, info, warn or error")
	if err := cl.parse(args); err != nil {
		return err
	}
	rest := cl.fs.Args()
	if *path == "" && len(rest) == 1 {
		*path, rest = rest[0], nil // Spectrum 2 takes the config file as its last argument
	}
	if *path == "" || len(rest) > 0 {
		return cl.fail("run: want --config FILE and nothing else")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errReported
	}
	if *level != "" {
		cfg.Logging.Level = *level
	}
	if _, err := logging.ParseLevel(cfg.Logging.Level); err != nil {
		return err
	}
	// Everything is logged through Run's level filter, so that SIGHUP can lower the level.
	log, err := logging.New("trace", cfg.Logging.Format, stderr)
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
// down in order: the router first (no new logins, LOGOUT every user, contacts unavailable),
// then c2s (system-shutdown to every stream), then pluginserver (EXIT to every backend,
// then kill), and the operations listeners last.
func Run(ctx context.Context, cfg *config.Config, log zerolog.Logger) error {
	if !cfg.Service.RequireEncryption {
		log.Warn().Msg("require_encryption is off: passwords may cross the network in clear; for tests only")
	}
	// Before anything is written into them: another daemon may own these directories.
	lock, err := lockDirs([2]string{"data_dir", cfg.Service.DataDir}, [2]string{"working_dir", cfg.Service.WorkingDir})
	if err != nil {
		return err
	}
	defer lock.release()
	// SIGHUP is caught from here on, before any listener opens: a SIGHUP that came once
	// clients could connect but before reloadOnHUP ran killed the daemon (its default
	// action; TestSIGHUPRevokesAdmin failed so once on a fresh clone).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tuneGC(ctx, cfg.Limits.GCPercent, log)
	go trimMemory(ctx)
	iniPath, err := cfg.WriteBackendINI(cfg.Service.WorkingDir)
	if err != nil {
		return fmt.Errorf("writing the backend configuration: %w", err)
	}
	// Backends run in working_dir: a relative path would not reach them.
	if iniPath, err = filepath.Abs(iniPath); err != nil {
		return err
	}
	level := newLevelFilter(cfg.Logging.Level)
	log = log.Sample(level)
	m := metrics.New(Version)
	st, err := openStorage(ctx, cfg, m, log)
	if err != nil {
		return err
	}
	defer st.db.Close()
	var cs *c2s.Server // the upload listener takes the certificate c2s holds (and reloads)
	up, err := openUpload(cfg, st, m, func() *tls.Certificate { return cs.Certificate() }, log)
	if err != nil {
		return err
	}
	rl := &reloader{path: cfg.Path, level: level, cur: cfg, log: log.With().Str("component", "reload").Logger()}
	rc := routerConfig(cfg, log)
	rc.Ops = router.OpsConfig{Ops: m}
	adm := newAdmin(cfg, m, rl, st, log)
	rc.Features = append(st.features, adm, serverInfo(cfg))
	r := router.New(rc)
	rl.setAdmins = adm.SetAdmins
	ps, err := pluginserver.New(pluginConfig(cfg, iniPath, log), r)
	if err != nil {
		return err
	}
	r.SetBackends(ps)
	if cfg.Service.BackendQuery {
		ps.EnableQuery(adm.Command) // spec 1.8: spectrum2_manager's channel
	}
	adm.SetSources(admin.Sources{Users: r.OnlineUsers, Stats: ps.Stats, CrashedPIDs: ps.CrashedPIDs})
	m.SetSources(metrics.Sources{Backends: ps.Stats, Users: r.OnlineUsers, Storage: st.db.Driver(),
		MaxUsers: r.MaxUsers(), MaxBackends: ps.MaxBackends()})
	comps := []component{{"offline expiry", st.offline.Run}}
	if st.archive != nil {
		comps = append(comps, component{"archive expiry", st.archive.Run})
	}
	cc := c2sConfig(cfg, log)
	cc.Panics = m
	cc.StreamFeatures = r.StreamFeatures // what the router and the server features offer, per stream
	if cfg.Cluster.Affinity {
		aff, err := cluster.NewAffinity(cfg.ClusterSettings(), log)
		if err != nil {
			return err
		}
		cc.Redirector = aff // see-other-host to the owner of each user (docs/scaling.md)
		comps = append(comps, component{"affinity", aff.Run})
	}
	cs, err = c2s.New(cc, m.Authenticator(r))
	if err != nil {
		return err
	}
	if up != nil {
		comps = append(comps, component{"upload", up.run})
	}
	rl.cs = cs
	ops, err := newOps(cfg, m, log)
	if err != nil {
		return err
	}
	log.Info().Str("jid", cfg.Service.JID).Stringer("backend_port", ps.Addr()).
		Str("version", Version).Msg("spectrum2 started")
	// What config check would warn about (a certificate about to expire) is said at every
	// start too: an operator who never runs config check still sees it in the journal.
	for _, w := range cfg.Warnings {
		log.Warn().Str("problem", w.String()).Msg("configuration warning")
	}
	var metricsAddr net.Addr
	if ops.metrics != nil {
		metricsAddr = ops.metrics.Addr()
	}
	newBanner(cfg, cs.Addrs(), len(cc.Addrs), cs.Certificate(), metricsAddr).
		log(log, logging.Console(cfg.Logging.Format, os.Stderr)) // cmdRun logs to os.Stderr
	go reloadOnHUP(ctx, hup, rl, m)
	// Start order: backends first, so that the first login finds the warm backend; the
	// operations listeners last to stop, so that probes see the whole shutdown. The
	// router's Farewell stops before c2s (spec 2.10): it refuses new logins, logs every
	// user out and sends the contacts' unavailable presences while the streams are still
	// open; then c2s closes them with system-shutdown; then the router's Run ends once the
	// work of the closed streams is done, so that nothing of the router runs after it;
	// then pluginserver.
	// The affinity health checks, when on, run before c2s asks them.
	return runInOrder(ctx, log, append(comps, []component{
		{"ops", ops.run}, {"pluginserver", ps.Run}, {"router", r.Run}, {"c2s", cs.Run},
		{"router farewell", r.Farewell},
	}...))
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

// reloadOnHUP reloads the configuration on every SIGHUP (hup, registered by Run) until ctx ends; then it marks
// the daemon not ready (/readyz) for the time the shutdown takes.
func reloadOnHUP(ctx context.Context, hup <-chan os.Signal, rl *reloader, m *metrics.Metrics) {
	for {
		select {
		case <-ctx.Done():
			m.SetReady(false)
			return
		case <-hup:
			_ = rl.reload() // it logs what it did
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
		CorrectionPrefix: s.CorrectionPrefix, CorrectionFallback: s.CorrectionFallback,
		ReactionFallback: s.ReactionFallback,
		MaxRoomListSize:  s.MaxRoomListSize,
		MUCHistory:       cfg.MUC.History,
		IdentityName:     cfg.Identity.Name,
		IdentityCategory: cfg.Identity.Category,
		IdentityType:     cfg.Identity.Type,
		Version:          Version,
		Linger:           cfg.SM.Linger, // XEP-0198: unacknowledged messages kept for the next login
		Limits:           router.Limits{MaxUsers: cfg.Limits.MaxUsers},
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
		MaxBackends:         cfg.Limits.MaxBackends,
		LoginDelay:          s.LoginDelay,
		PingInterval:        s.BackendPingInterval,
		IdleTimeout:         s.BackendIdleTimeout,
		MemoryCollectorTime: s.MemoryCollectorTime,
		MaxFrame:            cfg.Limits.MaxFrameBytes,
		QueueFrames:         cfg.Limits.BackendQueueFrames,
		QueueBytes:          cfg.Limits.BackendQueueBytes,
		Env:                 backendEnv(cfg),
		Log:                 log,
	}
}

// backendEnv passes limits.gc_percent on to the native backends, which are Go programs
// holding per-user state too (unless GOGC is set for all of us).
func backendEnv(cfg *config.Config) []string {
	if !strings.HasPrefix(cfg.Service.Backend, "builtin:") || os.Getenv("GOGC") != "" {
		return nil
	}
	return []string{gcPercentEnv + "=" + strconv.Itoa(cfg.Limits.GCPercent)}
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
		LoginFailures:        cfg.Limits.LoginFailures,
		LoginFailureWindow:   cfg.Limits.LoginFailureWindow,
		LoginBackoff:         cfg.Limits.LoginBackoff,
		LoginBackoffMax:      cfg.Limits.LoginBackoffMax,
		IPv4Prefix:           cfg.Limits.IPv4Prefix,
		IPv6Prefix:           cfg.Limits.IPv6Prefix,
		MaxConnections:       cfg.Limits.MaxConnections,
		MaxNegotiating:       cfg.Limits.MaxNegotiating,
		PreauthStanzaBytes:   int64(cfg.Limits.PreauthStanzaBytes),
		SessionSendBytes:     cfg.Limits.SessionSendBytes,
		StanzasPerSecond:     float64(cfg.Limits.StanzasPerSecond),
		StanzaBurst:          cfg.Limits.StanzaBurst,
		BytesPerSecond:       float64(cfg.Limits.BytesPerSecond),
		ByteBurst:            cfg.Limits.ByteBurst,
		SM: c2s.SMConfig{
			Enabled: cfg.SM.Enabled, AckEvery: cfg.SM.AckEvery, AckAfter: cfg.SM.AckAfter,
			ResumeTimeout: cfg.SM.ResumeTimeout, MaxQueue: cfg.SM.MaxQueue,
		},
		CSIMaxHeld: cfg.CSI.MaxHeld,
		Log:        log,
	}
	if s.TLSPort != 0 {
		c.TLSAddrs = []string{net.JoinHostPort(host, strconv.Itoa(s.TLSPort))}
	}
	return c
}

// tuneGC runs the garbage collector tuner (gctune.go) with limits.gc_percent, unless the
// GOGC environment variable is set: an operator who sets it knows what they want.
func tuneGC(ctx context.Context, pct int, log zerolog.Logger) {
	if env := os.Getenv("GOGC"); env != "" {
		log.Info().Str("GOGC", env).Msg("GOGC set in the environment; limits.gc_percent ignored")
		return
	}
	startGCTuner(ctx, pct)
}

// gcPercentEnv carries limits.gc_percent to the native backends, which tune their
// collector as the daemon does.
const gcPercentEnv = "SPECTRUM2_GC_PERCENT"
