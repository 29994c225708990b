package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Version is set at build time (make build); "dev" otherwise.
var Version = "dev"

const usage = `spectrum2: an XMPP server that gateways to legacy chat networks (Spectrum 2 server mode)

Usage:
  spectrum2 run --config FILE [--log-level LEVEL]   run the daemon (also -c FILE)
  spectrum2 config check FILE                       validate a config; problems as file:line
  spectrum2 config import OLD.cfg                   convert a Spectrum 2 .cfg to TOML on stdout
  spectrum2 backend NAME --host H --port P --service.backend_id=N CONFIG
                                                    run a native backend (started by the daemon)
  spectrum2 status --config FILE                    ask the running daemon: sessions, backends, memory
  spectrum2 srv records|check ...                   DNS SRV tooling for clusters (docs/scaling.md)
  spectrum2 version                                 print the version

Native backends: demo.
`

// Main runs the command line and returns the process exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch args[0] {
	case "run":
		err = cmdRun(ctx, args[1:], stderr)
	case "config":
		err = cmdConfig(args[1:], stdout, stderr)
	case "backend":
		err = cmdBackend(ctx, args[1:])
	case "status":
		err = cmdStatus(ctx, args[1:], stdout, stderr)
	case "srv":
		err = cmdSrv(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "spectrum2", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "spectrum2: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "spectrum2: %v\n\n%s", err, usage)
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		fmt.Fprintf(stderr, "spectrum2: %v\n", err)
		return 1
	}
}

// usageError is a command-line mistake: the usage text follows it.
type usageError string

func (e usageError) Error() string { return string(e) }

// errReported means the command already printed what went wrong.
var errReported = errors.New("reported")

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		v += " (" + bi.GoVersion + ")"
	}
	return v
}
