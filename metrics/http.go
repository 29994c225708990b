package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Paths served by Handler.
const (
	PathMetrics = "/metrics"
	PathHealth  = "/healthz"
	PathReady   = "/readyz"
	PathStatus  = "/status"
)

// HandlerOptions chooses what Handler serves besides /healthz, /readyz and /status.
type HandlerOptions struct {
	Metrics bool // /metrics (Prometheus text format)
	Pprof   bool // /debug/pprof/ (net/http/pprof), for the [metrics] pprof switch
	// Users lists the users' JIDs in /status: for the admin socket (mode 0600) only. The
	// [metrics] listener has no authentication, so there /status has the count alone.
	Users bool
}

// Handler serves the probes, the JSON status (with the user list only if o.Users) and, as
// chosen, /metrics and pprof.
// /healthz answers 200 while the process serves HTTP at all; /readyz answers 200 once
// SetReady(true) was called and 503 after SetReady(false) (shutdown).
func (m *Metrics) Handler(o HandlerOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+PathHealth, func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET "+PathReady, func(w http.ResponseWriter, _ *http.Request) {
		if !m.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	mux.HandleFunc("GET "+PathStatus, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		st := m.Status()
		if !o.Users {
			st.Users = nil
		}
		_ = json.NewEncoder(w).Encode(st)
	})
	if o.Metrics {
		mux.Handle("GET "+PathMetrics, promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
	}
	if o.Pprof {
		addPprof(mux)
	}
	return mux
}

// PprofHandler serves Go's profiler alone under /debug/pprof/: for a native backend
// process, which has no metrics listener (server: SPECTRUM2_BACKEND_PPROF).
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	addPprof(mux)
	return mux
}

func addPprof(mux *http.ServeMux) {
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
}

// Listen opens addr: "unix:/path" is a Unix socket (created mode 0600, a stale socket
// file replaced), anything else a TCP host:port.
func Listen(addr string) (net.Listener, error) {
	if path, ok := unixPath(addr); ok {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		l, err := net.Listen("unix", path)
		if err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			l.Close()
			return nil, fmt.Errorf("metrics: %w", err)
		}
		return l, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return l, nil
}

func unixPath(addr string) (string, bool) {
	const prefix = "unix:"
	if len(addr) > len(prefix) && addr[:len(prefix)] == prefix {
		return addr[len(prefix):], true
	}
	return "", false
}

// Serve serves h on l until ctx ends, then shuts the server down (5 s for requests in
// flight). The listener is closed when Serve returns.
func Serve(ctx context.Context, l net.Listener, h http.Handler, log zerolog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("metrics: serving %s: %w", l.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Debug().Err(err).Msg("metrics server shutdown")
		_ = srv.Close()
	}
	<-done
	return nil
}

// FetchStatus asks a running daemon for its Status at addr ("unix:/path" or host:port).
func FetchStatus(ctx context.Context, addr string) (Status, error) {
	tr := &http.Transport{DisableKeepAlives: true}
	base := "http://" + addr
	if path, ok := unixPath(addr); ok {
		base = "http://spectrum2"
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
	}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+PathStatus, nil)
	if err != nil {
		return Status{}, fmt.Errorf("metrics: %w", err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return Status{}, fmt.Errorf("metrics: asking %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Status{}, fmt.Errorf("metrics: asking %s: %s", addr, resp.Status)
	}
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return Status{}, fmt.Errorf("metrics: decoding the status: %w", err)
	}
	return st, nil
}
