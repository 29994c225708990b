package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"

	"github.com/gospectrum/spectrum2/cluster"
)

// srvUsage is `spectrum2 srv`'s own page: its two subcommands.
const srvUsage = `Usage:
  spectrum2 srv records --config FILE
        print the DNS zone lines to publish for [cluster]: _xmpp-client._tcp and
        _xmpps-client._tcp (XEP-0368) SRV records and the members' A/AAAA records
  spectrum2 srv check DOMAIN [--resolver HOST:PORT] [--ca FILE] [--timeout DURATION] [--status-port PORT]
        resolve DOMAIN's SRV records, connect to every target, complete STARTTLS or
        direct TLS with certificate verification and print a table; exit status 1
        when any target fails; with --status-port also print each host's load
        (sessions, users, backends, storage driver) from its [metrics] /status

"spectrum2 srv records --help" and "spectrum2 srv check --help" list the flags. See docs/scaling.md.
`

// cmdSrv is `spectrum2 srv records|check`: the DNS SRV tooling of package cluster.
func cmdSrv(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{msg: "srv: want records or check", usage: srvUsage}
	}
	switch args[0] {
	case "records":
		return srvRecords(args[1:], stdout)
	case "check":
		return srvCheck(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		return helpRequest(srvUsage)
	}
	return usageError{msg: fmt.Sprintf("srv: unknown subcommand %q (want records or check)", args[0]), usage: srvUsage}
}

// srvRecords prints the zone lines of the [cluster] table of the config file.
func srvRecords(args []string, stdout io.Writer) error {
	cl := newCmdLine("srv records", "srv records --config FILE",
		"Prints the DNS zone lines to publish for the [cluster] of FILE: _xmpp-client._tcp and\n"+
			"_xmpps-client._tcp (XEP-0368) SRV records and the members' A/AAAA records.")
	path := cl.fs.String("config", "", "the spectrum2 TOML `FILE` (service.jid, [cluster])")
	cl.alias("c", "config")
	rest, err := cl.parseInterspersed(args)
	if err != nil {
		return err
	}
	if *path == "" || len(rest) > 0 {
		return cl.fail("srv records: want --config FILE and nothing else")
	}
	s, err := cluster.Load(*path)
	if err != nil {
		return err
	}
	return cluster.WriteZone(stdout, s)
}

// srvCheck checks DOMAIN's SRV targets and prints the table; a failed target is exit 1.
func srvCheck(ctx context.Context, args []string, stdout io.Writer) error {
	cl := newCmdLine("srv check", "srv check DOMAIN [--resolver HOST:PORT] [--ca FILE] [--timeout DURATION] [--status-port PORT]",
		"Resolves DOMAIN's SRV records, connects to every target, completes STARTTLS or direct\n"+
			"TLS with certificate verification and prints a table; the exit status is 1 when any\n"+
			"target fails. With --status-port it also prints each host's load from its /status.")
	resolver := cl.fs.String("resolver", "", "DNS server `HOST:PORT` (default: first nameserver of /etc/resolv.conf)")
	caFile := cl.fs.String("ca", "", "PEM `FILE` of CA certificates to verify the servers with (default: system roots)")
	timeout := cl.fs.Duration("timeout", cluster.DefaultCheckTimeout, "time allowed per DNS query and per connection")
	statusPort := cl.fs.Int("status-port", 0, "also read each host's load from its [metrics] /status on this `PORT`")
	rest, err := cl.parseInterspersed(args)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return cl.fail("srv check: want exactly one DOMAIN")
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
