package config

import (
	"strings"
	"testing"
	"time"
)

const clusterTOML = `[service]
jid = "example.org"
[cluster]
host = "xmpp1"
ttl = "10m"
[[cluster.member]]
name = "xmpp1"
addresses = ["192.0.2.10", "2001:db8::10"]
port = 5222
tls_port = 5223
priority = 10
weight = 50
[[cluster.member]]
name = "xmpp2"
addresses = ["192.0.2.11"]
[dns]
listen = "127.0.0.1:5353"
fail_after = 3
`

func TestClusterSections(t *testing.T) {
	c, ps := parse("c.toml", []byte(clusterTOML))
	if len(ps) != 0 {
		t.Fatal(ps)
	}
	s := c.ClusterSettings()
	if s.Domain != "example.org" || s.Cluster.Host != "xmpp1" || s.Cluster.TTL != 10*time.Minute ||
		len(s.Cluster.Members) != 2 || s.DNS.Listen != "127.0.0.1:5353" || s.DNS.FailAfter != 3 || s.DNS.RiseAfter != 2 {
		t.Fatalf("settings %+v", s)
	}
	m := s.Cluster.Members
	if m[0].Priority != 10 || m[0].Weight != 50 || m[0].TLSPort != 5223 || len(m[0].Addresses) != 2 ||
		m[1].Port != 5222 /* defaulted */ {
		t.Errorf("members %+v", m)
	}
	if err := s.Validate(); err != nil {
		t.Error(err)
	}
}

func TestClusterProblems(t *testing.T) {
	for _, c := range []struct{ name, toml, key, msg string }{
		{"dns without members", "[service]\njid = \"example.org\"\n[dns]\nlisten = \"127.0.0.1:53\"\n", "dns.listen", "no [[cluster.member]]"},
		{"unknown member key", "[service]\njid = \"example.org\"\n[[cluster.member]]\nname = \"a\"\naddress = [\"192.0.2.1\"]\n", "cluster.member", `did you mean "addresses"`},
		{"bad address", "[service]\njid = \"example.org\"\n[[cluster.member]]\nname = \"a\"\naddresses = [\"nope\"]\n", "cluster.member", "addresses"},
		{"host not a member", "[service]\njid = \"example.org\"\n[cluster]\nhost = \"b\"\n[[cluster.member]]\nname = \"a\"\naddresses = [\"192.0.2.1\"]\n", "cluster.member", "not a member"},
		{"weight too large", "[service]\njid = \"example.org\"\n[[cluster.member]]\nname = \"a\"\naddresses = [\"192.0.2.1\"]\nweight = 70000\n", "cluster.member", "out of range"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, ps := parse("c.toml", []byte(c.toml))
			if len(ps) != 1 || ps[0].Key != c.key || !strings.Contains(ps[0].Msg, c.msg) {
				t.Errorf("problems %v, want one on %s containing %q", ps, c.key, c.msg)
			}
		})
	}
}

func TestNoClusterByDefault(t *testing.T) {
	c, ps := parse("c.toml", []byte("[service]\njid = \"example.org\"\n"))
	if len(ps) != 0 || len(c.Cluster.Members) != 0 || c.DNS.Listen != "" {
		t.Errorf("%v %+v %+v", ps, c.Cluster, c.DNS)
	}
}
