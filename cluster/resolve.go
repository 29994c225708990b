package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// resolver asks one DNS server, over UDP with a TCP retry for truncated answers.
type resolver struct {
	server  string
	timeout time.Duration
}

// errNoRecords means the name exists without records of the type, or does not exist.
var errNoRecords = errors.New("no records")

// defaultResolver is the first name server of /etc/resolv.conf.
func defaultResolver() (string, error) {
	cc, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return "", fmt.Errorf("resolv.conf: %w", err)
	}
	if len(cc.Servers) == 0 {
		return "", errors.New("resolv.conf: no nameserver")
	}
	return net.JoinHostPort(cc.Servers[0], cc.Port), nil
}

// query returns the answer records of type qtype for name.
func (r resolver) query(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Net: "udp", Timeout: r.timeout}
	resp, _, err := c.ExchangeContext(ctx, m, r.server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, r.server)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], err)
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return nil, errNoRecords
	default:
		return nil, fmt.Errorf("%s %s: %s", name, dns.TypeToString[qtype], dns.RcodeToString[resp.Rcode])
	}
	var out []dns.RR
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype == qtype {
			out = append(out, rr)
		}
	}
	if len(out) == 0 {
		return nil, errNoRecords
	}
	return out, nil
}

// srv returns the SRV records of name.
func (r resolver) srv(ctx context.Context, name string) ([]*dns.SRV, error) {
	rrs, err := r.query(ctx, name, dns.TypeSRV)
	out := make([]*dns.SRV, 0, len(rrs))
	for _, rr := range rrs {
		out = append(out, rr.(*dns.SRV))
	}
	return out, err
}

// addrs returns the IPv4 and IPv6 addresses of host (A first, then AAAA).
func (r resolver) addrs(ctx context.Context, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		rrs, err := r.query(ctx, host, t)
		if err != nil && !errors.Is(err, errNoRecords) {
			return nil, err
		}
		for _, rr := range rrs {
			var ip net.IP
			switch v := rr.(type) {
			case *dns.A:
				ip = v.A
			case *dns.AAAA:
				ip = v.AAAA
			}
			if a, ok := netip.AddrFromSlice(ip); ok {
				out = append(out, a.Unmap())
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no A/AAAA records", host)
	}
	return out, nil
}
