package server

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gospectrum/spectrum2/cluster"
)

const srvUsage = `Usage:
  spectrum2 srv records --config FILE
        print the DNS zone lines to publish for [cluster]: _xmpp-client._tcp and
        _xmpps-client._tcp (XEP-0368) SRV records and the members' A/AAAA records
  spectrum2 srv check DOMAIN [--resolver HOST:PORT] [--ca FILE] [--timeout 10s] [--status-port PORT]
        resolve DOMAIN's SRV records, connect to every target, complete STARTTLS or
        direct TLS with certificate verification and print a table; exit status 1
        when any target fails; with --status-port also print each host's load
        (sessions, users, backends) from its [metrics] /status

See docs/scaling.md.
`

// cmdSrv is `spectrum2 srv records|check`: the DNS SRV tooling of package cluster.
func cmdSrv(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("srv: want records or check")
	}
	switch args[0] {
	case "records":
		return srvRecords(args[1:], stdout, stderr)
	case "check":
		return srvCheck(ctx, args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, srvUsage)
		return flag.ErrHelp
	}
	return usageError(fmt.Sprintf("srv: unknown subcommand %q (want records or check)", args[0]))
}

// srvRecords prints the zone lines of the [cluster] table of the config file.
func srvRecords(args []string, stdout, stderr io.Writer) error {
	fs := srvFlags("records --config FILE", stderr)
	path := fs.String("config", "", "the spectrum2 TOML file (service.jid, [cluster])")
	fs.StringVar(path, "c", "", "shorthand for --config")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *path == "" || len(rest) > 0 {
		return usageError("srv records: want --config FILE and nothing else")
	}
	s, err := cluster.Load(*path)
	if err != nil {
		return err
	}
	return cluster.WriteZone(stdout, s)
}

// srvCheck checks DOMAIN's SRV targets and prints the table; a failed target is exit 1.
func srvCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := srvFlags("check DOMAIN [--resolver HOST:PORT] [--ca FILE] [--timeout D] [--status-port PORT]", stderr)
	resolver := fs.String("resolver", "", "DNS server HOST:PORT (default: first nameserver of /etc/resolv.conf)")
	caFile := fs.String("ca", "", "PEM file of CA certificates to verify the servers with (default: system roots)")
	timeout := fs.Duration("timeout", cluster.DefaultCheckTimeout, "time allowed per DNS query and per connection")
	statusPort := fs.Int("status-port", 0, "also read each host's load from its [metrics] /status on this `PORT`")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError("srv check: want exactly one DOMAIN")
	}
	cfg := cluster.CheckConfig{Domain: rest[0], Resolver: *resolver, Timeout: *timeout}
	if *caFile != "" {
		if cfg.RootCAs, err = loadCAs(*caFile); err != nil {
			return err
		}
	}
	rep, err := cluster.Check(ctx, cfg)
	if err != nil {
		return err
	}
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	if *statusPort > 0 {
		if err := writeLoads(stdout, checkLoads(ctx, rep, *statusPort, *timeout)); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return errReported
	}
	return nil
}

func srvFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("srv "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: spectrum2 srv %s\n\n", name)
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags before and after positional arguments ("check DOMAIN
// --ca FILE") and returns the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func loadCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca: %s: no PEM certificate", path)
	}
	return pool, nil
}
