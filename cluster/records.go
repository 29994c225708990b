package cluster

import (
	"fmt"
	"io"
	"time"

	"github.com/miekg/dns"
)

// SRV service labels: RFC 6120 section 3.2.1 (STARTTLS) and XEP-0368 (direct TLS).
const (
	ServiceClient    = "_xmpp-client._tcp"
	ServiceClientTLS = "_xmpps-client._tcp"
)

// SRVName is the owner name of service ("_xmpp-client._tcp") for domain, fully qualified.
func SRVName(service, domain string) string { return dns.Fqdn(service + "." + domain) }

// Records returns the resource records to publish for the cluster, with the [cluster] TTL:
// the SRV records of both services and the A/AAAA records of every member.
func Records(s Settings) []dns.RR {
	return records(s, s.Cluster.TTL, func(int) bool { return true })
}

// records builds the SRV and address records of the members for which include is true.
func records(s Settings, ttl time.Duration, include func(i int) bool) []dns.RR {
	t := uint32(ttl / time.Second)
	var srv, tls, addr []dns.RR
	for i, m := range s.Cluster.Members {
		if !include(i) {
			continue
		}
		target := m.FQDN(s.Domain)
		if m.Port > 0 {
			srv = append(srv, srvRR(SRVName(ServiceClient, s.Domain), t, m, m.Port, target))
		}
		if m.TLSPort > 0 {
			tls = append(tls, srvRR(SRVName(ServiceClientTLS, s.Domain), t, m, m.TLSPort, target))
		}
		addr = append(addr, addressRRs(target, t, m)...)
	}
	return append(append(srv, tls...), addr...)
}

func srvRR(name string, ttl uint32, m Member, port int, target string) *dns.SRV {
	return &dns.SRV{
		Hdr:      dns.RR_Header{Name: name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: ttl},
		Priority: m.Priority, Weight: m.Weight, Port: uint16(port), Target: target,
	}
}

func addressRRs(name string, ttl uint32, m Member) []dns.RR {
	var out []dns.RR
	for _, ip := range m.Addrs() {
		if ip.Is4() {
			out = append(out, &dns.A{
				Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
				A:   ip.AsSlice(),
			})
		} else {
			out = append(out, &dns.AAAA{
				Hdr:  dns.RR_Header{Name: name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl},
				AAAA: ip.AsSlice(),
			})
		}
	}
	return out
}

// WriteZone writes Records(s) as zone file lines (RFC 1035 master file format) preceded
// by a comment naming the domain.
func WriteZone(w io.Writer, s Settings) error {
	if _, err := fmt.Fprintf(w, "; XMPP client service of %s: %d member(s)\n", s.Domain, len(s.Cluster.Members)); err != nil {
		return fmt.Errorf("cluster: write zone: %w", err)
	}
	for _, rr := range Records(s) {
		if _, err := fmt.Fprintln(w, rr.String()); err != nil {
			return fmt.Errorf("cluster: write zone: %w", err)
		}
	}
	return nil
}
