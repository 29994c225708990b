package server

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gospectrum/spectrum2/metrics"
	"github.com/gospectrum/spectrum2/server/config"
)

// cmdStatus is `spectrum2 status --config FILE`: it asks the running daemon through its
// admin socket (working_dir/admin.sock), or its [metrics] listener when the socket does not
// answer, and prints sessions, users, backends, memory and uptime.
func cmdStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "configuration `FILE` of the running daemon")
	fs.StringVar(path, "c", "", "short for --config")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" && fs.NArg() == 1 {
		*path = fs.Arg(0)
	}
	if *path == "" {
		return usageError("status: --config FILE is required")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return errReported
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	st, err := metrics.FetchStatus(ctx, "unix:"+cfg.AdminSocket())
	if err != nil && cfg.Metrics.Listen != "" {
		st, err = metrics.FetchStatus(ctx, cfg.Metrics.Listen)
	}
	if err != nil {
		return fmt.Errorf("status: is spectrum2 running with %s? %w", *path, err)
	}
	return st.WriteText(stdout)
}
