package server

import (
	"net"
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/server/config"
)

func TestLoginExample(t *testing.T) {
	for backend, want := range map[string]string{
		"builtin:demo":                          "alice%demo@gw.example.org",
		"builtin:irc":                           "nick@gw.example.org",
		"builtin:xmpp":                          "user%server@gw.example.org",
		"/usr/bin/spectrum2_libcommuni_backend": "name%host@gw.example.org",
	} {
		if got := loginExample(backend, "gw.example.org"); !strings.HasPrefix(got, want+" ") {
			t.Errorf("%s: %q, want %s first", backend, got, want)
		}
	}
}

// Without a certificate (it could not be read) and with metrics on, the block still
// names every listener and the endpoints.
func TestBannerText(t *testing.T) {
	cfg := config.Default()
	cfg.Service.JID, cfg.Path = "gw.example.org", "/etc/spectrum2/spectrum2.toml"
	addrs := []net.Addr{&net.TCPAddr{IP: net.IPv6unspecified, Port: 5222}, &net.TCPAddr{IP: net.IPv6unspecified, Port: 5223}}
	b := newBanner(cfg, addrs, 1, nil, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9090})
	text := b.text()
	for _, want := range []string{"[::]:5222 (STARTTLS), [::]:5223 (direct TLS)", "alice%demo@gw.example.org",
		"spectrum2 status --config /etc/spectrum2/spectrum2.toml", "http://127.0.0.1:9090/metrics"} {
		if !strings.Contains(text, want) {
			t.Errorf("no %q in\n%s", want, text)
		}
	}
}
