package cluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DefaultCheckTimeout bounds the check of one target address.
const DefaultCheckTimeout = 10 * time.Second

// CheckConfig configures Check.
type CheckConfig struct {
	// Domain is the XMPP domain whose SRV records are checked.
	Domain string
	// Resolver is the DNS server to ask (HOST:PORT); empty: the first of /etc/resolv.conf.
	Resolver string
	// RootCAs verify the server certificates; nil: the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds each DNS query and each connection (default DefaultCheckTimeout).
	Timeout time.Duration
	// Rand orders equal-priority targets (RFC 2782 weighted selection); nil: runtime random.
	Rand *rand.Rand
}

// Result is the check of one target address (or a resolution failure when Address is "").
type Result struct {
	// Service is ServiceClient or ServiceClientTLS.
	Service string
	// Target and Port are the SRV target and port.
	Target string
	Port   uint16
	// Address is the IP address and port connected to.
	Address string
	// TLS is how TLS was negotiated ("STARTTLS TLS1.3", "direct TLS1.3").
	TLS string
	// Certificate describes the verified server certificate, or why verification failed.
	Certificate string
	// Latency is the time from connect to the features of the encrypted stream.
	Latency time.Duration
	// Err is nil when the target works.
	Err error
}

// Report is the outcome of Check: results in the order a client would try the targets,
// and notes (a service with no records or with the "." target).
type Report struct {
	Domain  string
	Results []Result
	Notes   []string
}

// Failed reports whether any target failed, or nothing could be checked at all.
func (r Report) Failed() bool {
	if len(r.Results) == 0 {
		return true
	}
	for _, res := range r.Results {
		if res.Err != nil {
			return true
		}
	}
	return false
}

var domainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

// Check resolves the _xmpp-client._tcp and _xmpps-client._tcp records of cfg.Domain, orders
// the targets per RFC 2782, and connects to every address of every target: STARTTLS for
// the first service, direct TLS (XEP-0368) for the second, verifying the certificate for the
// domain. The error is only for unusable arguments; target failures are in the Report.
func Check(ctx context.Context, cfg CheckConfig) (Report, error) {
	domain := strings.TrimSuffix(strings.ToLower(cfg.Domain), ".")
	if !domainRE.MatchString(domain) {
		return Report{}, fmt.Errorf("cluster: %q is not a domain name", cfg.Domain)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultCheckTimeout
	}
	if cfg.Resolver == "" {
		s, err := defaultResolver()
		if err != nil {
			return Report{}, fmt.Errorf("cluster: %w", err)
		}
		cfg.Resolver = s
	}
	res := resolver{server: cfg.Resolver, timeout: cfg.Timeout}
	tlsConf := &tls.Config{ServerName: domain, RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12}
	rep := Report{Domain: domain}
	for _, svc := range []struct {
		name string
		mode probeMode
	}{{ServiceClient, startTLS}, {ServiceClientTLS, directTLS}} {
		rep.checkService(ctx, res, cfg, svc.name, svc.mode, tlsConf)
	}
	return rep, nil
}

// checkService resolves one SRV name and checks its targets in order.
func (rep *Report) checkService(ctx context.Context, res resolver, cfg CheckConfig, svc string, mode probeMode, conf *tls.Config) {
	name := SRVName(svc, rep.Domain)
	rrs, err := res.srv(ctx, name)
	switch {
	case errors.Is(err, errNoRecords):
		rep.Notes = append(rep.Notes, name+": no SRV records")
		return
	case err != nil:
		rep.Results = append(rep.Results, Result{Service: svc, Target: "-", Err: err})
		return
	}
	ordered, none := Order(rrs, cfg.Rand)
	if none {
		rep.Notes = append(rep.Notes, name+": target \".\": service decidedly not available (RFC 2782)")
		return
	}
	for _, rr := range ordered {
		rep.checkTarget(ctx, res, cfg.Timeout, svc, rr, mode, conf)
	}
}

// checkTarget checks every address of one SRV target.
func (rep *Report) checkTarget(ctx context.Context, res resolver, timeout time.Duration, svc string, rr *dns.SRV, mode probeMode, conf *tls.Config) {
	base := Result{Service: svc, Target: strings.TrimSuffix(rr.Target, "."), Port: rr.Port}
	addrs, err := res.addrs(ctx, rr.Target)
	if err != nil {
		base.Err = err
		rep.Results = append(rep.Results, base)
		return
	}
	for _, a := range addrs {
		r := base
		r.Address = net.JoinHostPort(a.String(), strconv.Itoa(int(rr.Port)))
		pctx, cancel := context.WithTimeout(ctx, timeout)
		info, err := probe(pctx, r.Address, rep.Domain, mode, conf)
		cancel()
		r.fill(info, err, mode)
		rep.Results = append(rep.Results, r)
	}
}

// fill copies a probe's outcome into the result.
func (r *Result) fill(info probeInfo, err error, mode probeMode) {
	r.Err, r.Latency = err, info.took
	kind := "STARTTLS"
	if mode == directTLS {
		kind = "direct"
	}
	if info.tls != nil {
		r.TLS = kind + " " + strings.ReplaceAll(tls.VersionName(info.tls.Version), " ", "")
		r.Certificate = describeCert(info.tls)
	}
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) {
		r.TLS = kind + " failed"
		r.Certificate = certProblem(verr.Err)
	}
}

// describeCert names the verified leaf certificate: its DNS names and expiry.
func describeCert(st *tls.ConnectionState) string {
	if len(st.PeerCertificates) == 0 {
		return "none"
	}
	c := st.PeerCertificates[0]
	names := c.DNSNames
	if len(names) == 0 {
		names = []string{c.Subject.CommonName}
	}
	return fmt.Sprintf("ok %s until %s", strings.Join(names, ","), c.NotAfter.UTC().Format("2006-01-02"))
}

// certProblem says briefly why verification failed.
func certProblem(err error) string {
	var host x509.HostnameError
	var auth x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		return "wrong name: " + strings.Join(host.Certificate.DNSNames, ",")
	case errors.As(err, &auth):
		return "unknown authority"
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "expired"
	}
	return "invalid"
}
