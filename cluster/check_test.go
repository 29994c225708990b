package cluster

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeDNS serves fixed answers on UDP 127.0.0.1 until the test ends.
func fakeDNS(t *testing.T, answer map[string][]dns.RR) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		resp := new(dns.Msg)
		resp.SetReply(req)
		rrs, ok := answer[req.Question[0].Name]
		if !ok {
			resp.Rcode = dns.RcodeNameError
		}
		resp.Answer = rrs
		w.WriteMsg(resp)
	})
	srv := &dns.Server{PacketConn: pc, Handler: h}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, srv) }()
	t.Cleanup(func() { cancel(); <-done })
	return pc.LocalAddr().String()
}

func mustRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatal(err)
	}
	return rr
}

// TestCheckNoService: a lone "." target (RFC 2782) and a missing _xmpps-client record are
// notes, not connection attempts; with nothing to check the report fails.
func TestCheckNoService(t *testing.T) {
	addr := fakeDNS(t, map[string][]dns.RR{
		"_xmpp-client._tcp.example.test.": {mustRR(t, "_xmpp-client._tcp.example.test. 60 IN SRV 0 0 0 .")},
	})
	rep, err := Check(context.Background(), CheckConfig{Domain: "example.test", Resolver: addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 0 || !rep.Failed() {
		t.Errorf("results %+v, failed %v", rep.Results, rep.Failed())
	}
	notes := strings.Join(rep.Notes, "\n")
	if !strings.Contains(notes, "_xmpp-client._tcp.example.test.: target \".\"") ||
		!strings.Contains(notes, "_xmpps-client._tcp.example.test.: no SRV records") {
		t.Errorf("notes:\n%s", notes)
	}
}

// TestCheckUnresolvableTarget: a target without addresses is a failed row.
func TestCheckUnresolvableTarget(t *testing.T) {
	addr := fakeDNS(t, map[string][]dns.RR{
		"_xmpp-client._tcp.example.test.": {mustRR(t, "_xmpp-client._tcp.example.test. 60 IN SRV 0 0 5222 ghost.example.test.")},
	})
	rep, err := Check(context.Background(), CheckConfig{Domain: "example.test", Resolver: addr, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Err == nil || !rep.Failed() {
		t.Errorf("results %+v", rep.Results)
	}
}

func TestCheckRejectsBadDomain(t *testing.T) {
	for _, d := range []string{"", "a'b.org", "x y", "-a.org"} {
		if _, err := Check(context.Background(), CheckConfig{Domain: d, Resolver: "127.0.0.1:1"}); err == nil {
			t.Errorf("Check(%q) accepted the domain", d)
		}
	}
}
