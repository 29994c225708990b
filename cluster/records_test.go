package cluster

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const testConfig = `
[service]
jid = "example.org"
backend = "builtin:demo"

[c2s]
ignored = true

[cluster]
host = "xmpp1"
ttl = "10m"

[[cluster.member]]
name = "xmpp1"
addresses = ["192.0.2.1", "2001:db8::1"]
port = 5222
tls_port = 5223
priority = 10
weight = 60

[[cluster.member]]
name = "xmpp2.example.net"
addresses = ["192.0.2.2"]
port = 5222
priority = 20
weight = 40

[dns]
listen = "127.0.0.1:5353"
`

func loadTestConfig(t *testing.T, text string) Settings {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spectrum2.toml")
	writeFile(t, path, []byte(text))
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestRecordsParseBack: the zone lines parse with miekg/dns and hold the expected records.
func TestRecordsParseBack(t *testing.T) {
	s := loadTestConfig(t, testConfig)
	var buf bytes.Buffer
	if err := WriteZone(&buf, s); err != nil {
		t.Fatal(err)
	}
	zp := dns.NewZoneParser(&buf, "", "zone")
	var got []string
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if rr.Header().Ttl != 600 {
			t.Errorf("TTL %d, want 600: %s", rr.Header().Ttl, rr)
		}
		got = append(got, strings.Join(strings.Fields(strings.Replace(rr.String(), "\t600\t", " ", 1)), " "))
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone does not parse: %v\n%s", err, buf.String())
	}
	want := []string{
		"_xmpp-client._tcp.example.org. IN SRV 10 60 5222 xmpp1.example.org.",
		"_xmpp-client._tcp.example.org. IN SRV 20 40 5222 xmpp2.example.net.",
		"_xmpps-client._tcp.example.org. IN SRV 10 60 5223 xmpp1.example.org.",
		"xmpp1.example.org. IN A 192.0.2.1",
		"xmpp1.example.org. IN AAAA 2001:db8::1",
		"xmpp2.example.net. IN A 192.0.2.2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLoadDefaults(t *testing.T) {
	s := loadTestConfig(t, `
[service]
jid = "Example.ORG"
[[cluster.member]]
name = "a"
addresses = ["127.0.0.1"]
[[cluster.member]]
name = "b"
addresses = ["127.0.0.2"]
`)
	if s.Domain != "example.org" || s.Cluster.TTL != DefaultZoneTTL || s.DNS.TTL != DefaultDNSTTL {
		t.Errorf("defaults: %+v", s)
	}
	for _, m := range s.Cluster.Members {
		if m.Port != DefaultClientPort || m.Weight != 1 {
			t.Errorf("member defaults: %+v", m)
		}
	}
}

func TestValidate(t *testing.T) {
	member := func(name string, addrs ...string) Member { return Member{Name: name, Addresses: addrs, Port: 5222} }
	tests := []struct {
		name, want string
		s          Settings
	}{
		{"no domain", "service.jid", Settings{Cluster: Config{Members: []Member{member("a", "127.0.0.1")}}}},
		{"no members", "no [[cluster.member]]", Settings{Domain: "x.org"}},
		{"bad address", "addresses", Settings{Domain: "x.org", Cluster: Config{Members: []Member{member("a", "nope")}}}},
		{"no address", "addresses is empty", Settings{Domain: "x.org", Cluster: Config{Members: []Member{member("a")}}}},
		{"duplicate", "twice", Settings{Domain: "x.org", Cluster: Config{Members: []Member{member("a", "::1"), member("a.x.org", "::1")}}}},
		{"unknown host", "cluster.host", Settings{Domain: "x.org", Cluster: Config{Host: "z", Members: []Member{member("a", "::1")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.s.Normalize()
			err := tt.s.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error about %q", err, tt.want)
			}
		})
	}
	ok := Settings{Domain: "x.org", Cluster: Config{Host: "a", TTL: time.Minute, Members: []Member{member("a", "::1")}}}
	ok.Normalize()
	if err := ok.Validate(); err != nil {
		t.Errorf("valid settings: %v", err)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
