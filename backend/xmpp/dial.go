package xmpp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/gospectrum/spectrum2/backend/allow"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// loginError is a failed login with the DISCONNECTED code and text the daemon gets.
type loginError struct {
	code pb.ConnectionError
	text string
	err  error
}

func (e *loginError) Error() string {
	if e.err != nil {
		return e.text + ": " + e.err.Error()
	}
	return e.text
}

func (e *loginError) Unwrap() error { return e.err }

// failure classifies err for DISCONNECTED: a *loginError keeps its code, anything else is
// a network error (code 0), which makes the daemon log the user in again (spec 3.4).
func failure(err error) (pb.ConnectionError, string) {
	var le *loginError
	if errors.As(err, &le) {
		return le.code, le.Error()
	}
	return pb.ConnectionError_CONNECTION_ERROR_NETWORK_ERROR, err.Error()
}

// dial opens the TCP (or, with DirectTLS, TLS) connection to domain's server: Config.Server
// if set, else the SRV targets of the domain (RFC 6120 section 3.2), else the domain itself
// on the default port. Config.Allowed decides which domains may be named and which
// addresses connected to; its refusal is fatal (no re-login) and names no address the
// client could learn from: the daemon gives unauthenticated clients a generic text.
func dial(ctx context.Context, cfg Config, domain string) (net.Conn, error) {
	if cfg.Allowed.HasNames() && !cfg.Allowed.Names(domain) {
		return nil, &loginError{code: pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME,
			text: "server not allowed", err: fmt.Errorf("%s is not in allowed_servers", domain)}
	}
	var lastErr, refused error
	for _, addr := range targets(ctx, cfg, domain) {
		host, _, _ := net.SplitHostPort(addr)
		d := cfg.Allowed.Dialer(net.Dialer{}, domain, configuredHost(cfg, host))
		nc, err := d.DialContext(ctx, "tcp", addr)
		if allow.IsRefused(err) {
			refused = err
			continue
		}
		if err != nil {
			lastErr = err
			continue
		}
		if !cfg.DirectTLS {
			return nc, nil
		}
		tc := tls.Client(nc, tlsConfig(cfg, domain))
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, tlsFailure(err)
		}
		return tc, nil
	}
	if lastErr == nil && refused != nil { // a network error elsewhere may pass: retry that
		return nil, &loginError{code: pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME,
			text: "server not allowed", err: refused}
	}
	return nil, fmt.Errorf("connect to %s: %w", domain, lastErr)
}

// configuredHost is host when it comes from Config.Server, which the administrator wrote
// (listing it by name in allowed_servers trusts it); "" for an SRV target, which the named
// domain's DNS decides.
func configuredHost(cfg Config, host string) string {
	if cfg.Server != "" {
		return host
	}
	return ""
}

// targets lists the addresses to try, in order.
func targets(ctx context.Context, cfg Config, domain string) []string {
	if cfg.Server != "" {
		return []string{cfg.Server}
	}
	service, port := "xmpp-client", 5222
	if cfg.DirectTLS {
		service, port = "xmpps-client", 5223
	}
	var out []string
	if _, srvs, err := net.DefaultResolver.LookupSRV(ctx, service, "tcp", domain); err == nil {
		for _, s := range srvs {
			if s.Target == "." {
				return nil // RFC 6120 3.2.1: the service is decidedly not available
			}
			out = append(out, net.JoinHostPort(s.Target, strconv.Itoa(int(s.Port))))
		}
	}
	if len(out) == 0 {
		out = []string{net.JoinHostPort(domain, strconv.Itoa(port))}
	}
	return out
}

// tlsConfig verifies the server's certificate for the remote domain (RFC 6125), with the
// system roots plus the configured CA file.
func tlsConfig(cfg Config, domain string) *tls.Config {
	return &tls.Config{ServerName: domain, RootCAs: cfg.roots, MinVersion: tls.VersionTLS12, MaxVersion: cfg.maxTLS}
}

// tlsFailure maps certificate problems to the DISCONNECTED codes Spectrum 2 defines for
// them; these are fatal, so a bad certificate is not retried forever.
func tlsFailure(err error) error {
	code := pb.ConnectionError_CONNECTION_ERROR_ENCRYPTION_ERROR
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.As(err, &ua):
		code = pb.ConnectionError_CONNECTION_ERROR_CERT_UNTRUSTED
	case errors.As(err, &he):
		code = pb.ConnectionError_CONNECTION_ERROR_CERT_HOSTNAME_MISMATCH
	case errors.As(err, &ci) && ci.Reason == x509.Expired:
		code = pb.ConnectionError_CONNECTION_ERROR_CERT_EXPIRED
	case errors.As(err, &ci):
		code = pb.ConnectionError_CONNECTION_ERROR_CERT_OTHER_ERROR
	default:
		var ne net.Error
		if errors.As(err, &ne) {
			return fmt.Errorf("TLS handshake: %w", err) // a network problem: retry
		}
	}
	return &loginError{code: code, text: "TLS handshake failed", err: err}
}
