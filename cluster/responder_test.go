package cluster

import (
	"context"
	"errors"
	"net"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/rs/zerolog"
)

// startResponder runs a Responder until the test ends.
func startResponder(t *testing.T, s Settings) *Responder {
	t.Helper()
	r, err := NewResponder(s, zerolog.New(zerolog.NewTestWriter(t)))
	// The port was free when the settings were made; a parallel test may have taken it since.
	for try := 0; err != nil && errors.Is(err, syscall.EADDRINUSE) && try < 5; try++ {
		s.DNS.Listen = net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t, "127.0.0.1")))
		r, err = NewResponder(s, zerolog.New(zerolog.NewTestWriter(t)))
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

func query(t *testing.T, addr, name string, qtype uint16, network string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Net: network, Timeout: 10 * time.Second}
	resp, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return resp
}

// answers returns the answer section as presentation strings without TTL and class.
func answers(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, h.Name+" "+dns.TypeToString[h.Rrtype]+" "+rr.String()[len(h.String()):])
	}
	slices.Sort(out)
	return out
}

// staticSettings: members nobody listens for, checked once an hour, so they stay up.
func staticSettings() Settings {
	s := Settings{
		Domain: "example.test",
		Cluster: Config{Members: []Member{
			{Name: "xmpp1", Addresses: []string{"127.0.0.2", "::1"}, Port: 1, TLSPort: 2, Priority: 5, Weight: 10},
			{Name: "xmpp2", Addresses: []string{"127.0.0.3"}, Port: 1, Priority: 5, Weight: 20},
		}},
		DNS: DNSConfig{Listen: "127.0.0.1:0", TTL: 7 * time.Second, HealthInterval: time.Hour},
	}
	s.Normalize()
	return s
}

func TestResponderAnswers(t *testing.T) {
	r := startResponder(t, staticSettings())
	tests := []struct {
		name  string
		qtype uint16
		rcode int
		want  []string
	}{
		{"_xmpp-client._tcp.example.test", dns.TypeSRV, dns.RcodeSuccess, []string{
			"_xmpp-client._tcp.example.test. SRV 5 10 1 xmpp1.example.test.",
			"_xmpp-client._tcp.example.test. SRV 5 20 1 xmpp2.example.test.",
		}},
		{"_xmpps-client._tcp.example.test", dns.TypeSRV, dns.RcodeSuccess, []string{
			"_xmpps-client._tcp.example.test. SRV 5 10 2 xmpp1.example.test.",
		}},
		{"xmpp1.example.test", dns.TypeA, dns.RcodeSuccess, []string{"xmpp1.example.test. A 127.0.0.2"}},
		{"XMPP1.example.test", dns.TypeAAAA, dns.RcodeSuccess, []string{"xmpp1.example.test. AAAA ::1"}},
		{"example.test", dns.TypeNS, dns.RcodeSuccess, []string{
			"example.test. NS xmpp1.example.test.", "example.test. NS xmpp2.example.test.",
		}},
		{"example.test", dns.TypeA, dns.RcodeSuccess, []string{"example.test. A 127.0.0.2", "example.test. A 127.0.0.3"}},
		{"_tcp.example.test", dns.TypeSRV, dns.RcodeSuccess, nil},
		{"nothing.example.test", dns.TypeA, dns.RcodeNameError, nil},
		{"example.org", dns.TypeA, dns.RcodeRefused, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/"+dns.TypeToString[tt.qtype], func(t *testing.T) {
			for _, network := range []string{"udp", "tcp"} {
				resp := query(t, r.Addr(), tt.name, tt.qtype, network)
				if resp.Rcode != tt.rcode {
					t.Fatalf("%s: rcode %s, want %s", network, dns.RcodeToString[resp.Rcode], dns.RcodeToString[tt.rcode])
				}
				if got := answers(resp.Answer); !slices.Equal(got, tt.want) {
					t.Errorf("%s: answer %q, want %q", network, got, tt.want)
				}
				if tt.rcode != dns.RcodeRefused && !resp.Authoritative {
					t.Errorf("%s: answer not authoritative", network)
				}
			}
		})
	}
}

func TestResponderSOAAndAdditional(t *testing.T) {
	r := startResponder(t, staticSettings())
	resp := query(t, r.Addr(), "example.test", dns.TypeSOA, "udp")
	if len(resp.Answer) != 1 {
		t.Fatalf("SOA answer: %v", resp.Answer)
	}
	soa := resp.Answer[0].(*dns.SOA)
	if soa.Ns != "xmpp1.example.test." || soa.Mbox != "hostmaster.example.test." || soa.Hdr.Ttl != 7 || soa.Minttl != 7 {
		t.Errorf("SOA: %v", soa)
	}
	resp = query(t, r.Addr(), "_xmpp-client._tcp.example.test", dns.TypeSRV, "udp")
	want := []string{"xmpp1.example.test. A 127.0.0.2", "xmpp1.example.test. AAAA ::1", "xmpp2.example.test. A 127.0.0.3"}
	if got := answers(resp.Extra); !slices.Equal(got, want) {
		t.Errorf("additional section %q, want %q", got, want)
	}
	resp = query(t, r.Addr(), "nothing.example.test", dns.TypeA, "udp")
	if len(resp.Ns) != 1 || resp.Ns[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("NXDOMAIN without SOA in authority: %v", resp.Ns)
	}
}

// TestResponderTruncates: an answer too big for a plain UDP reply is truncated with TC set,
// and the same query over TCP (or with EDNS0) gets every record.
func TestResponderTruncates(t *testing.T) {
	s := staticSettings()
	for i := range 30 {
		s.Cluster.Members = append(s.Cluster.Members, Member{
			Name: "host" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Addresses: []string{"127.0.1.1"}, Port: 1, Weight: 1,
		})
	}
	r := startResponder(t, s)
	name := "_xmpp-client._tcp." + testDomain + "."
	udp := query(t, r.Addr(), name, dns.TypeSRV, "udp")
	if !udp.Truncated || len(udp.Answer) >= 32 {
		t.Errorf("UDP: truncated %v with %d answers", udp.Truncated, len(udp.Answer))
	}
	if tcp := query(t, r.Addr(), name, dns.TypeSRV, "tcp"); tcp.Truncated || len(tcp.Answer) != 32 {
		t.Errorf("TCP: truncated %v with %d answers", tcp.Truncated, len(tcp.Answer))
	}
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeSRV)
	m.SetEdns0(4096, false)
	resp, _, err := (&dns.Client{Timeout: 10 * time.Second}).Exchange(m, r.Addr())
	if err != nil || resp.Truncated || len(resp.Answer) != 32 {
		t.Errorf("EDNS0 4096: err %v, truncated %v", err, resp != nil && resp.Truncated)
	}
}

// TestResponderOneHostAtTheApex: a single member named after the domain (one host serving
// it) gets each address record once, not once as a member and once as the apex.
func TestResponderOneHostAtTheApex(t *testing.T) {
	s := Settings{
		Domain:  "example.test",
		Cluster: Config{Members: []Member{{Name: "example.test.", Addresses: []string{"127.0.0.2"}, Port: 1}}},
		DNS:     DNSConfig{Listen: "127.0.0.1:0", TTL: 7 * time.Second, HealthInterval: time.Hour},
	}
	s.Normalize()
	r := startResponder(t, s)
	if got := answers(query(t, r.Addr(), "example.test", dns.TypeA, "udp").Answer); !slices.Equal(got, []string{"example.test. A 127.0.0.2"}) {
		t.Errorf("A answers = %q", got)
	}
	resp := query(t, r.Addr(), "_xmpp-client._tcp.example.test", dns.TypeSRV, "udp")
	if len(resp.Extra) != 1 {
		t.Errorf("additional section = %v, want the one A record", resp.Extra)
	}
}
