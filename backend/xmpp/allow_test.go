package xmpp

import (
	"strings"
	"testing"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/ini"
	pb "github.com/gospectrum/spectrum2/protocol/pbnetwork"
)

// TestLoopbackRefused: without allowed_servers a Prosody on loopback is never connected
// to; the login fails for good (not a network error the daemon would retry), and the text
// names no address. Listing the address (TestLogin and every other test) lets it through.
func TestLoopbackRefused(t *testing.T) {
	p := startProsody(t, "alice", pass)
	d := startBackendWith(t, p.unlisted(t))
	d.Login(user, alice, pass)
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME) {
		t.Errorf("DISCONNECTED %v, want INVALID_USERNAME", m)
	}
	if !strings.Contains(m.GetMessage(), "not allowed") {
		t.Errorf("text %q", m.GetMessage())
	}
	t.Logf("refused: %q", m.GetMessage())
}

// TestDomainNotAllowed: once allowed_servers names servers, a domain not among them is
// refused before any lookup, even though its server's address is listed.
func TestDomainNotAllowed(t *testing.T) {
	p := startProsody(t, "alice", pass)
	cfg := p.config(t)
	listed, err := allow.Parse([]string{p.IP, "other.test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Allowed = listed
	d := startBackendWith(t, cfg)
	d.Login(user, alice, pass)
	m := waitFor[*pb.Disconnected](t, d, pb.WrapperMessage_TYPE_DISCONNECTED, nil)
	if m.GetError() != int32(pb.ConnectionError_CONNECTION_ERROR_INVALID_USERNAME) {
		t.Errorf("DISCONNECTED %v", m)
	}
	cfg.Allowed, _ = allow.Parse([]string{p.IP, domain})
	d = startBackendWith(t, cfg)
	login(t, d)
}

// TestAllowedFromINI: [service] allowed_servers is read from the backend's INI file; a bad
// entry makes every login fail with INVALID_SETTINGS.
func TestAllowedFromINI(t *testing.T) {
	f := &ini.File{}
	f.Add("service", "allowed_servers", "127.0.0.1")
	f.Add("service", "allowed_servers", "10.0.0.0/8")
	c, err := ParseConfig(f)
	if err != nil || !c.Allowed.Names("10.1.1.1") || c.Allowed.HasNames() {
		t.Fatalf("%+v, %v", c.Allowed, err)
	}
	f.Add("service", "allowed_servers", "not a host")
	if _, err := ParseConfig(f); err == nil {
		t.Error("a bad entry is accepted")
	}
}
