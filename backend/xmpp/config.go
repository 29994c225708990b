package xmpp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/ini"
)

// Defaults of the [xmpp] keys.
const (
	DefaultResource       = "Spectrum"
	DefaultConnectTimeout = 30 * time.Second
	DefaultPingInterval   = 60 * time.Second
	DefaultVCardTimeout   = 40 * time.Second
)

// Config is what the backend reads from the [xmpp] section of the backend's INI file.
type Config struct {
	// Server ("host:port", key xmpp.server) replaces the SRV lookup for every remote
	// domain: for tests and for private servers without DNS records.
	Server string
	// DirectTLS (xmpp.direct_tls) speaks TLS from the first byte (XEP-0368) instead of
	// STARTTLS.
	DirectTLS bool
	// CAFile (xmpp.ca_file) is a PEM file of extra trusted certificates, added to the
	// system's roots. Certificates are always verified.
	CAFile string
	// Resource (xmpp.resource) is bound when the legacy name has none (spec 4.3: the swiften
	// backend used "Spectrum").
	Resource string
	// ConnectTimeout (xmpp.connect_timeout) bounds the whole login: TCP, TLS, SASL, bind.
	ConnectTimeout time.Duration
	// PingInterval (xmpp.ping_interval) is how often an idle stream is checked with a
	// XEP-0199 ping; a ping unanswered for as long ends the session as a network error.
	PingInterval time.Duration
	// VCardTimeout (xmpp.vcard_timeout) is how long a vCard request may take before the
	// daemon gets an empty card (spec 3.11 answers after 40 s too).
	VCardTimeout time.Duration
	// Allowed is service.allowed_servers: when it names servers, users may only log in to
	// those domains; and every address dialed (SRV targets and Server included) must be
	// public unless it, or the domain, is listed.
	Allowed allow.List
	// MaxUsers bounds how many users the backend holds (New: backend.MaxUsers of the INI
	// file); 0 is backend.DefaultMaxUsers.
	MaxUsers int

	roots *x509.CertPool
	// maxTLS caps the TLS version (0: no cap); tests use it to reach tls-unique binding.
	maxTLS uint16
}

// ParseConfig reads the [xmpp] section of cfg (nil for defaults) and loads the CA file.
func ParseConfig(cfg *ini.File) (Config, error) {
	if cfg == nil {
		cfg = &ini.File{}
	}
	get := func(k string) string { v, _ := cfg.Get("xmpp", k); return strings.TrimSpace(v) }
	c := Config{
		Server:         get("server"),
		DirectTLS:      isTrue(get("direct_tls")),
		CAFile:         get("ca_file"),
		Resource:       get("resource"),
		ConnectTimeout: duration(get("connect_timeout"), DefaultConnectTimeout),
		PingInterval:   duration(get("ping_interval"), DefaultPingInterval),
		VCardTimeout:   duration(get("vcard_timeout"), DefaultVCardTimeout),
	}
	var errAllowed error
	c.Allowed, errAllowed = allow.FromINI(cfg)
	err := c.loadRoots()
	return c.withDefaults(), errors.Join(errAllowed, err)
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	if c.Resource == "" {
		c.Resource = DefaultResource
	}
	c.ConnectTimeout = orDefault(c.ConnectTimeout, DefaultConnectTimeout)
	c.PingInterval = orDefault(c.PingInterval, DefaultPingInterval)
	c.VCardTimeout = orDefault(c.VCardTimeout, DefaultVCardTimeout)
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// loadRoots builds the certificate pool: the system's roots plus CAFile.
func (c *Config) loadRoots() error {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return fmt.Errorf("xmpp: ca_file: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("xmpp: ca_file %s: no PEM certificate", c.CAFile)
		}
	}
	c.roots = pool
	return nil
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// duration reads a Go duration ("1.5s") or a number of seconds.
func duration(v string, def time.Duration) time.Duration {
	if v == "" {
		return def
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	return def
}
