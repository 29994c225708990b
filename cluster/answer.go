package cluster

import (
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// ServeDNS answers one query from the current zone (dns.Handler).
func (r *Responder) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	resp := r.answer(req)
	size := dns.MinMsgSize
	if opt := req.IsEdns0(); opt != nil {
		size = max(int(opt.UDPSize()), dns.MinMsgSize)
		resp.SetEdns0(uint16(size), false)
	}
	if _, udp := w.LocalAddr().(*net.UDPAddr); udp {
		resp.Truncate(size) // sets TC when records had to go: the client retries over TCP
	}
	if err := w.WriteMsg(resp); err != nil {
		r.log.Debug().Err(err).Msg("write DNS answer")
	}
}

// answer builds the response to req.
func (r *Responder) answer(req *dns.Msg) *dns.Msg {
	resp := new(dns.Msg)
	resp.SetReply(req)
	if req.Opcode != dns.OpcodeQuery || len(req.Question) != 1 {
		resp.Rcode = dns.RcodeNotImplemented
		return resp
	}
	q := req.Question[0]
	qname := strings.ToLower(q.Name)
	if q.Qclass != dns.ClassINET || !dns.IsSubDomain(r.zone, qname) {
		resp.Rcode = dns.RcodeRefused
		return resp
	}
	resp.Authoritative = true
	zone := r.zoneRecords()
	exists := false
	for _, rr := range zone {
		name := rr.Header().Name
		if name == qname && (rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY) {
			resp.Answer = append(resp.Answer, rr)
		}
		// An empty non-terminal (_tcp.DOMAIN) exists too: NODATA, not NXDOMAIN.
		exists = exists || dns.IsSubDomain(qname, name)
	}
	if len(resp.Answer) == 0 {
		if !exists {
			resp.Rcode = dns.RcodeNameError
		}
		resp.Ns = append(resp.Ns, r.soa())
		return resp
	}
	resp.Extra = additional(resp.Answer, zone)
	return resp
}

// additional returns the address records of the SRV targets and NS names in answer.
func additional(answer, zone []dns.RR) []dns.RR {
	want := map[string]bool{}
	for _, rr := range answer {
		switch v := rr.(type) {
		case *dns.SRV:
			want[v.Target] = true
		case *dns.NS:
			want[v.Ns] = true
		}
	}
	var extra []dns.RR
	for _, rr := range zone {
		t := rr.Header().Rrtype
		if (t == dns.TypeA || t == dns.TypeAAAA) && want[rr.Header().Name] {
			extra = append(extra, rr)
		}
	}
	return extra
}

// zoneRecords is the zone as it is now: SOA, NS, the SRV records of healthy members, the
// address records of every member and of the apex (healthy members only).
func (r *Responder) zoneRecords() []dns.RR {
	up := r.health.snapshot()
	include := func(i int) bool { return up[i] }
	if !anyTrue(up) {
		// Fail open: with every member failing its checks the problem is more likely the
		// checks than the hosts, and an empty answer would make the service vanish.
		include = func(int) bool { return true }
	}
	ttl := r.s.DNS.TTL
	zone := []dns.RR{r.soa()}
	zone = append(zone, r.nsRecords()...)
	zone = append(zone, records(r.s, ttl, include)...)
	for i, m := range r.s.Cluster.Members {
		if include(i) {
			// Clients without SRV support fall back to the domain's own address
			// (RFC 6120 section 3.2.2): give them the healthy members.
			zone = append(zone, addressRRs(r.zone, uint32(ttl/time.Second), m)...)
		}
	}
	// Withdrawn members keep their host names: a cached SRV answer still resolves.
	for i, m := range r.s.Cluster.Members {
		if !include(i) {
			zone = append(zone, addressRRs(m.FQDN(r.s.Domain), uint32(ttl/time.Second), m)...)
		}
	}
	return dedupe(zone)
}

// dedupe drops repeated records: a member named after the domain itself (one host serving
// the domain) has its address records both as a member and as the apex's.
func dedupe(zone []dns.RR) []dns.RR {
	out := zone[:0]
	for _, rr := range zone {
		if !slices.ContainsFunc(out, func(o dns.RR) bool { return dns.IsDuplicate(o, rr) }) {
			out = append(out, rr)
		}
	}
	return out
}

// nsNames are dns.ns, or every member's host name.
func (r *Responder) nsNames() []string {
	var names []string
	for _, n := range r.s.DNS.NS {
		names = append(names, fqdnIn(n, r.s.Domain))
	}
	if len(names) == 0 {
		for _, m := range r.s.Cluster.Members {
			names = append(names, m.FQDN(r.s.Domain))
		}
	}
	return names
}

func (r *Responder) nsRecords() []dns.RR {
	var out []dns.RR
	for _, n := range r.nsNames() {
		out = append(out, &dns.NS{Hdr: r.hdr(r.zone, dns.TypeNS), Ns: n})
	}
	return out
}

// soa is the zone's SOA; its serial changes whenever a member is withdrawn or restored.
func (r *Responder) soa() dns.RR {
	mbox := r.s.DNS.Mbox
	if mbox == "" {
		mbox = "hostmaster." + r.s.Domain
	}
	ttl := uint32(r.s.DNS.TTL / time.Second)
	return &dns.SOA{
		Hdr: r.hdr(r.zone, dns.TypeSOA), Ns: r.nsNames()[0], Mbox: dns.Fqdn(strings.ReplaceAll(mbox, "@", ".")),
		Serial: r.serial.Load(), Refresh: 3600, Retry: 600, Expire: 86400, Minttl: ttl,
	}
}

func (r *Responder) hdr(name string, t uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: uint32(r.s.DNS.TTL / time.Second)}
}

func anyTrue(b []bool) bool {
	for _, v := range b {
		if v {
			return true
		}
	}
	return false
}
