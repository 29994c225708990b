package cluster

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testDomain = "example.test"

// testCluster is two real Prosody servers (xmpp1 on 127.0.0.2, xmpp2 on 127.0.0.3) serving
// example.test with a certificate from a test CA.
type testCluster struct {
	pki    testPKI
	hosts  []*prosody
	config Settings
}

func startCluster(t *testing.T) *testCluster {
	t.Helper()
	c := &testCluster{pki: newTestPKI(t, testDomain)}
	var members []Member
	for i, ip := range []string{"127.0.0.2", "127.0.0.3"} {
		p := startProsody(t, ip, testDomain, c.pki.certPEM, c.pki.keyPEM)
		c.hosts = append(c.hosts, p)
		members = append(members, Member{
			Name: "xmpp" + string(rune('1'+i)), Addresses: []string{ip},
			Port: p.Port, TLSPort: p.TLSPort, Priority: 10, Weight: 50,
		})
	}
	c.config = Settings{
		Domain:  testDomain,
		Cluster: Config{Members: members},
		DNS: DNSConfig{
			Listen: "127.0.0.1:0", TTL: 5 * time.Second,
			HealthInterval: 200 * time.Millisecond, HealthTimeout: 5 * time.Second,
			FailAfter: 2, RiseAfter: 2,
		},
	}
	return c
}

// settingsNeverWithdraw is the cluster's config with health checks that never withdraw a
// member, so that srv check sees dead members too.
func (c *testCluster) settingsNeverWithdraw() Settings {
	s := c.config
	s.DNS.FailAfter = 1 << 30
	return s
}

func (c *testCluster) check(t *testing.T, resolver string, roots bool) Report {
	t.Helper()
	cfg := CheckConfig{Domain: testDomain, Resolver: resolver, Timeout: 20 * time.Second, Rand: rand.New(rand.NewPCG(1, 1))}
	if roots {
		cfg.RootCAs = c.pki.pool
	}
	rep, err := Check(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	rep.WriteTable(&b)
	t.Logf("srv check:\n%s", b.String())
	return rep
}

func TestCheckAgainstProsody(t *testing.T) {
	c := startCluster(t)
	r := startResponder(t, c.settingsNeverWithdraw())

	rep := c.check(t, r.Addr(), true)
	if rep.Failed() || len(rep.Results) != 4 {
		t.Fatalf("all targets should pass: %+v", rep.Results)
	}
	for _, res := range rep.Results {
		if !strings.HasPrefix(res.Certificate, "ok "+testDomain) || !strings.Contains(res.TLS, "TLS1.") {
			t.Errorf("%s %s: TLS %q certificate %q", res.Service, res.Address, res.TLS, res.Certificate)
		}
	}

	t.Run("unknown CA", func(t *testing.T) {
		rep := c.check(t, r.Addr(), false)
		if !rep.Failed() {
			t.Fatal("certificates from an unknown CA passed")
		}
		for _, res := range rep.Results {
			if res.Certificate != "unknown authority" {
				t.Errorf("%s: certificate %q, want unknown authority", res.Address, res.Certificate)
			}
		}
	})

	t.Run("wrong name", func(t *testing.T) {
		// A host of example.test serving a certificate (from the trusted CA) for
		// wrong.test must fail both services.
		cert, key := c.pki.leaf(t, "wrong.test")
		p := startProsody(t, "127.0.0.4", testDomain, cert, key)
		s := c.settingsNeverWithdraw()
		s.Cluster.Members = []Member{{Name: "xmpp3", Addresses: []string{"127.0.0.4"}, Port: p.Port, TLSPort: p.TLSPort}}
		s.Normalize()
		rep := c.check(t, startResponder(t, s).Addr(), true)
		if !rep.Failed() || len(rep.Results) != 2 {
			t.Fatalf("wrong certificate passed: %+v", rep.Results)
		}
		for _, res := range rep.Results {
			if res.Certificate != "wrong name: wrong.test" {
				t.Errorf("%s %s: certificate %q", res.Service, res.Address, res.Certificate)
			}
		}
	})

	t.Run("dead member", func(t *testing.T) {
		c.hosts[1].Stop()
		rep := c.check(t, r.Addr(), true)
		if !rep.Failed() {
			t.Fatal("check passed with xmpp2 down")
		}
		for _, res := range rep.Results {
			dead := strings.HasPrefix(res.Address, "127.0.0.3:")
			if dead != (res.Err != nil) {
				t.Errorf("%s: err %v", res.Address, res.Err)
			}
		}
	})
}

func TestResponderWithdrawsAndRestores(t *testing.T) {
	c := startCluster(t)
	r := startResponder(t, c.config)
	srvTargets := func() []string {
		resp := query(t, r.Addr(), "_xmpp-client._tcp."+testDomain, dns.TypeSRV, "udp")
		var out []string
		for _, rr := range resp.Answer {
			out = append(out, rr.(*dns.SRV).Target)
		}
		return out
	}
	serial := func() uint32 {
		return query(t, r.Addr(), testDomain, dns.TypeSOA, "udp").Answer[0].(*dns.SOA).Serial
	}
	if got := srvTargets(); len(got) != 2 {
		t.Fatalf("SRV targets at start: %v", got)
	}
	before := serial()

	c.hosts[1].Stop()
	eventually(t, "xmpp2 withdrawn", func() bool { return !r.Healthy("xmpp2") })
	if got := srvTargets(); len(got) != 1 || got[0] != "xmpp1.example.test." {
		t.Errorf("SRV targets with xmpp2 down: %v", got)
	}
	if got := answers(query(t, r.Addr(), testDomain, dns.TypeA, "tcp").Answer); len(got) != 1 {
		t.Errorf("apex A with xmpp2 down: %v", got)
	}
	if serial() == before {
		t.Error("SOA serial did not change when xmpp2 was withdrawn")
	}
	if !r.Healthy("xmpp1") {
		t.Error("xmpp1 withdrawn too")
	}

	c.hosts[1].Start()
	eventually(t, "xmpp2 restored", func() bool { return r.Healthy("xmpp2") })
	if got := srvTargets(); len(got) != 2 {
		t.Errorf("SRV targets after recovery: %v", got)
	}
}

// eventually polls cond for up to 30 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
