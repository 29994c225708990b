package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/gospectrum/spectrum2/backend/native"
)

// Version is set at build time (make build); "dev" otherwise.
var Version = "dev"

// usage is the whole page: every command in a line, and the native backends.
func usage() string {
	return `spectrum2: an XMPP server that gateways to legacy chat networks (Spectrum 2 server mode)

Usage:
  spectrum2 run --config FILE [--log-level LEVEL]   run the daemon
  spectrum2 config check FILE                       validate a config; problems as file:line
  spectrum2 config import OLD.cfg                   convert a Spectrum 2 .cfg to TOML on stdout
  spectrum2 status --config FILE                    ask the running daemon: sessions, backends, memory
  spectrum2 srv records --config FILE               print a cluster's DNS records (docs/scaling.md)
  spectrum2 srv check DOMAIN                        verify every SRV target of DOMAIN
  spectrum2 backend NAME ...                        run a native backend (started by the daemon)
  spectrum2 version                                 print the version

Native backends (service.backend = "builtin:NAME"): ` + strings.Join(native.Names(), ", ") + `.
"spectrum2 COMMAND --help" describes a command and its flags.
`
}

// Main runs the command line and returns the process exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
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
		err = cmdSrv(ctx, args[1:], stdout)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "spectrum2", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	default:
		fmt.Fprintf(stderr, "spectrum2: unknown command %q\n\n%s", args[0], usage())
		return 2
	}
	return exitStatus(err, stdout, stderr)
}

// exitStatus prints what err asks for and returns the exit status.
func exitStatus(err error, stdout, stderr io.Writer) int {
	var ue usageError
	var help helpRequest
	switch {
	case err == nil:
		return 0
	case errors.As(err, &help):
		fmt.Fprint(stdout, string(help))
		return 0
	case errors.As(err, &ue):
		text := ue.usage
		if text == "" {
			text = usage()
		}
		fmt.Fprintf(stderr, "spectrum2: %v\n\n%s", err, text)
		return 2
	case errors.Is(err, errReported):
		return 1
	default:
		fmt.Fprintf(stderr, "spectrum2: %v\n", err)
		return 1
	}
}

// errReported means the command already printed what went wrong.
var errReported = errors.New("reported")

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		v += " (" + bi.GoVersion + ")"
	}
	return v
}
