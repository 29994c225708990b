package server

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/gospectrum/spectrum2/backend"
	"github.com/gospectrum/spectrum2/backend/native"
	"github.com/gospectrum/spectrum2/internal/ini"
	"github.com/gospectrum/spectrum2/internal/logging"
	"github.com/gospectrum/spectrum2/metrics"
)

// backendUsage is `spectrum2 backend`'s page. Its flags are not ours: they are the command
// line Spectrum 2 gives every backend, whose --SECTION.KEY=VALUE overrides need the "=".
func backendUsage() string {
	return `Usage: spectrum2 backend NAME --host HOST --port PORT --service.backend_id=N CONFIG

Runs the native backend NAME: ` + strings.Join(native.Names(), ", ") + `. The daemon starts it for
service.backend = "builtin:NAME" with the command line Spectrum 2 gives every backend
(--SECTION.KEY=VALUE overrides a key of the INI file CONFIG); there is no need to run it by hand.
`
}

// cmdBackend runs a native backend: args[0] is its NAME, the rest is the argv Spectrum 2
// gives every backend (spec 2.2): --host H --port P --service.backend_id=N ... CONFIG.
func cmdBackend(ctx context.Context, args []string) error {
	names := strings.Join(native.Names(), ", ")
	if len(args) == 0 {
		return usageError{msg: "backend: missing NAME; native backends: " + names, usage: backendUsage()}
	}
	switch args[0] {
	case "help", "-h", "--help":
		return helpRequest(backendUsage())
	}
	newPlugin, ok := native.Backends()[args[0]]
	if !ok {
		return usageError{msg: "backend: unknown backend " + args[0] + "; native backends: " + names, usage: backendUsage()}
	}
	a, err := backend.ParseArgs(args[1:])
	if err != nil {
		return usageError{msg: err.Error(), usage: backendUsage()}
	}
	log := backendLogger(a.Config).With().Str("component", "backend").Str("backend", args[0]).Logger()
	// Native backends keep state per user too: they manage their memory as the daemon does.
	if pct, err := strconv.Atoi(os.Getenv(gcPercentEnv)); err == nil && pct > 0 {
		startGCTuner(ctx, pct)
	}
	go trimMemory(ctx)
	if addr := os.Getenv(backendPprofEnv); addr != "" {
		if err := serveBackendPprof(ctx, addr, log); err != nil {
			log.Warn().Err(err).Str(backendPprofEnv, addr).Msg("not serving the profiler")
		}
	}
	return backend.Connect(ctx, a, newPlugin(a.Config), backend.WithLogger(log))
}

// backendPprofEnv, set to a loopback address, makes a native backend serve Go's profiler
// there (/debug/pprof/, runtime traces included) as [metrics] pprof does for the daemon:
// the second hop of a round trip, for the tail-latency bench (issue 26). Unset, the
// default, nothing listens. Only the first backend gets the address; the others say so.
const backendPprofEnv = "SPECTRUM2_BACKEND_PPROF"

// serveBackendPprof listens on addr, which must be a loopback address, and serves the
// profiler until ctx ends.
func serveBackendPprof(ctx context.Context, addr string, log zerolog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("profiler address: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("profiler address %s: not a loopback address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("profiler: %w", err)
	}
	srv := &http.Server{Handler: metrics.PprofHandler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); srv.Close() }()
	go func() { _ = srv.Serve(l) }()
	log.Info().Stringer("addr", l.Addr()).Msg("serving the profiler")
	return nil
}

// backendLogger follows the [logging] level and format the daemon wrote into the backend's
// INI file, and falls back to info-level JSON-or-console on stderr. When stderr is not a
// terminal (the daemon's pipe) it writes JSON whatever the format: the daemon writes each
// record again in its own format, and a console line would end up nested in another.
func backendLogger(cfg *ini.File) zerolog.Logger {
	level, ok := cfg.Get("logging", "level")
	if !ok {
		level = "info"
	}
	format, ok := cfg.Get("logging", "format")
	if !ok || !logging.IsTerminal(os.Stderr) {
		format = "auto"
	}
	log, err := logging.New(level, format, os.Stderr)
	if err != nil {
		log, _ = logging.New("info", "auto", os.Stderr)
	}
	return log
}
