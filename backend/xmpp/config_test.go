package xmpp

import (
	"testing"
	"time"

	"github.com/gospectrum/spectrum2/internal/ini"
)

func TestParseAccount(t *testing.T) {
	tests := []struct {
		name, legacy string
		want         account
		bad          bool
	}{
		{"bare JID", "alice@Example.ORG", account{local: "alice", domain: "example.org", resource: "Spectrum"}, false},
		{"percent form", "alice%example.org", account{local: "alice", domain: "example.org", resource: "Spectrum"}, false},
		{"with resource", "alice@example.org/phone", account{local: "alice", domain: "example.org", resource: "phone"}, false},
		{"no domain", "alice", account{}, true},
		{"empty local", "@example.org", account{}, true},
		{"markup in domain", `alice@exa"mple.org`, account{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAccount(tt.legacy, "", "Spectrum")
			if (err != nil) != tt.bad || got != tt.want {
				t.Errorf("parseAccount(%q) = %+v, %v", tt.legacy, got, err)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	cfg := &ini.File{}
	cfg.Add("xmpp", "server", "127.0.0.1:5999")
	cfg.Add("xmpp", "direct_tls", "true")
	cfg.Add("xmpp", "ping_interval", "90")
	cfg.Add("xmpp", "vcard_timeout", "2.5s")
	c, err := ParseConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server != "127.0.0.1:5999" || !c.DirectTLS || c.PingInterval != 90*time.Second ||
		c.VCardTimeout != 2500*time.Millisecond || c.Resource != DefaultResource || c.ConnectTimeout != DefaultConnectTimeout {
		t.Errorf("%+v", c)
	}
	cfg.Add("xmpp", "ca_file", "/nonexistent/ca.pem")
	if _, err := ParseConfig(cfg); err == nil {
		t.Error("a missing CA file is accepted")
	}
}
