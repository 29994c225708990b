package server

import (
	"context"
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
	cl := newCmdLine("status", "status --config FILE [--timeout DURATION]",
		"Asks the daemon running with FILE (through working_dir/admin.sock, or the [metrics]\n"+
			"listener) and prints its sessions, users, backends, memory and uptime.")
	path := cl.fs.String("config", "", "configuration `FILE` of the running daemon")
	cl.alias("c", "config")
	timeout := cl.fs.Duration("timeout", 10*time.Second, "how long to wait for the answer")
	if err := cl.parse(args); err != nil {
		return err
	}
	rest := cl.fs.Args()
	if *path == "" && len(rest) == 1 {
		*path, rest = rest[0], nil
	}
	if *path == "" || len(rest) > 0 {
		return cl.fail("status: want --config FILE and nothing else")
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
