package cluster

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/miekg/dns"
)

// Defaults applied by Settings.Normalize.
const (
	DefaultZoneTTL        = 5 * time.Minute
	DefaultDNSTTL         = 30 * time.Second
	DefaultHealthInterval = 5 * time.Second
	DefaultHealthTimeout  = 3 * time.Second
	DefaultFailAfter      = 2
	DefaultRiseAfter      = 2
	DefaultClientPort     = 5222
)

// Config is the [cluster] table: the hosts that serve one domain.
type Config struct {
	// Host is this host's member name (one of Members[].Name).
	Host string `toml:"host"`
	// TTL is the TTL of the records `spectrum2 srv records` prints ("5m").
	TTL time.Duration `toml:"ttl"`
	// Members are the hosts of the cluster, this one included ([[cluster.member]]).
	Members []Member `toml:"member"`
}

// Member is one host of the cluster ([[cluster.member]]).
type Member struct {
	// Name is the host name used as SRV target; a name without a dot is relative to the
	// domain ("xmpp1" is xmpp1.DOMAIN).
	Name string `toml:"name"`
	// Addresses are the host's IPv4/IPv6 addresses (A/AAAA records, health checks).
	Addresses []string `toml:"addresses"`
	// Port is the c2s port (STARTTLS, _xmpp-client._tcp); 0 publishes no such record.
	Port int `toml:"port"`
	// TLSPort is the direct TLS port (XEP-0368, _xmpps-client._tcp); 0 publishes none.
	TLSPort int `toml:"tls_port"`
	// Priority: clients try lower values first (RFC 2782).
	Priority uint16 `toml:"priority"`
	// Weight: share of the load among members of equal priority (RFC 2782).
	Weight uint16 `toml:"weight"`
}

// DNSConfig is the [dns] table: the optional authoritative responder.
type DNSConfig struct {
	// Listen is the UDP and TCP address to answer on ("0.0.0.0:53"); empty disables it.
	Listen string `toml:"listen"`
	// TTL of the answers: short, so that a withdrawn member leaves caches soon.
	TTL time.Duration `toml:"ttl"`
	// NS are the name servers of the zone; by default the member names.
	NS []string `toml:"ns"`
	// Mbox is the SOA responsible mailbox as a name; by default hostmaster.DOMAIN.
	Mbox string `toml:"mbox"`
	// HealthInterval is the time between two checks of one member.
	HealthInterval time.Duration `toml:"health_interval"`
	// HealthTimeout bounds one check (connect and stream open).
	HealthTimeout time.Duration `toml:"health_timeout"`
	// FailAfter consecutive failures withdraw a member.
	FailAfter int `toml:"fail_after"`
	// RiseAfter consecutive successes bring a withdrawn member back.
	RiseAfter int `toml:"rise_after"`
}

// Settings is what the commands and the responder need: the domain (service.jid) and the
// [cluster] and [dns] tables.
type Settings struct {
	Domain  string
	Cluster Config
	DNS     DNSConfig
}

// fileTables are the parts of the daemon's TOML file this package reads; other tables are
// ignored so that the commands work before the daemon's config knows [cluster].
type fileTables struct {
	Service struct {
		JID string `toml:"jid"`
	} `toml:"service"`
	Cluster Config    `toml:"cluster"`
	DNS     DNSConfig `toml:"dns"`
}

// Load reads service.jid, [cluster] and [dns] from the TOML file at path, applies the
// defaults and validates the result.
func Load(path string) (Settings, error) {
	var f fileTables
	if _, err := toml.DecodeFile(path, &f); err != nil {
		return Settings{}, fmt.Errorf("cluster: %w", err)
	}
	s := Settings{Domain: f.Service.JID, Cluster: f.Cluster, DNS: f.DNS}
	s.Normalize()
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("cluster: %s: %w", path, err)
	}
	return s, nil
}

// Normalize applies the defaults to unset fields.
func (s *Settings) Normalize() {
	s.Domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s.Domain)), ".")
	c, d := &s.Cluster, &s.DNS
	setDefault(&c.TTL, DefaultZoneTTL)
	setDefault(&d.TTL, DefaultDNSTTL)
	setDefault(&d.HealthInterval, DefaultHealthInterval)
	setDefault(&d.HealthTimeout, DefaultHealthTimeout)
	setDefault(&d.FailAfter, DefaultFailAfter)
	setDefault(&d.RiseAfter, DefaultRiseAfter)
	allZero := true
	for i := range c.Members {
		m := &c.Members[i]
		if m.Port == 0 && m.TLSPort == 0 {
			m.Port = DefaultClientPort
		}
		allZero = allZero && m.Weight == 0
	}
	// With every weight 0 RFC 2782 clients would always pick the first target; equal
	// weights spread users over the members of equal priority.
	if allZero {
		for i := range c.Members {
			c.Members[i].Weight = 1
		}
	}
}

func setDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Validate reports the first problem of the settings.
func (s *Settings) Validate() error {
	if s.Domain == "" {
		return errors.New("service.jid is not set")
	}
	if _, ok := dns.IsDomainName(s.Domain); !ok {
		return fmt.Errorf("service.jid %q is not a domain name", s.Domain)
	}
	if len(s.Cluster.Members) == 0 {
		return errors.New("no [[cluster.member]]")
	}
	seen := map[string]bool{}
	for i, m := range s.Cluster.Members {
		if err := m.validate(s.Domain); err != nil {
			return fmt.Errorf("cluster.member[%d]: %w", i, err)
		}
		fq := m.FQDN(s.Domain)
		if seen[fq] {
			return fmt.Errorf("cluster.member[%d]: name %q twice", i, m.Name)
		}
		seen[fq] = true
	}
	if h := s.Cluster.Host; h != "" && !seen[fqdnIn(h, s.Domain)] {
		return fmt.Errorf("cluster.host %q is not a member name", h)
	}
	if s.DNS.TTL < time.Second || s.Cluster.TTL < time.Second {
		return errors.New("cluster.ttl and dns.ttl must be at least 1s")
	}
	d := s.DNS
	if d.HealthInterval <= 0 || d.HealthTimeout <= 0 || d.FailAfter <= 0 || d.RiseAfter <= 0 {
		return errors.New("dns.health_interval, health_timeout, fail_after and rise_after must be positive")
	}
	return nil
}

func (m Member) validate(domain string) error {
	if m.Name == "" {
		return errors.New("name is not set")
	}
	if _, ok := dns.IsDomainName(m.Name); !ok || m.Name == "." {
		return fmt.Errorf("name %q is not a host name", m.Name)
	}
	if len(m.Addresses) == 0 {
		return errors.New("addresses is empty")
	}
	for _, a := range m.Addresses {
		if _, err := netip.ParseAddr(a); err != nil {
			return fmt.Errorf("addresses: %w", err)
		}
	}
	for _, p := range []int{m.Port, m.TLSPort} {
		if p < 0 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	return nil
}

// FQDN is the member's host name as a fully qualified name (with the final dot).
func (m Member) FQDN(domain string) string { return fqdnIn(m.Name, domain) }

// Addrs returns the parsed addresses (already validated).
func (m Member) Addrs() []netip.Addr {
	out := make([]netip.Addr, 0, len(m.Addresses))
	for _, a := range m.Addresses {
		if ip, err := netip.ParseAddr(a); err == nil {
			out = append(out, ip.Unmap())
		}
	}
	return out
}

// fqdnIn makes name fully qualified: a name without a dot is relative to domain.
func fqdnIn(name, domain string) string {
	name = strings.ToLower(name)
	if dns.IsFqdn(name) {
		return name
	}
	if !strings.Contains(name, ".") {
		name += "." + domain
	}
	return dns.Fqdn(name)
}
