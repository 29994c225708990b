package xmpp

import (
	"testing"

	"github.com/gospectrum/spectrum2/backend/allow"
	"github.com/gospectrum/spectrum2/internal/testsrv"
)

// domain is the remote XMPP server's domain in these tests; muc its MUC service.
const (
	domain = "example.test"
	muc    = "conference.example.test"
)

// prosody is the shared Prosody starter with the backend's Config for it.
type prosody struct{ *testsrv.Prosody }

// startProsody runs Prosody for domain with STARTTLS and direct TLS ports, a MUC
// component, a self-signed certificate and the users (name, password pairs).
func startProsody(t *testing.T, users ...string) *prosody {
	t.Helper()
	return &prosody{testsrv.StartProsody(t, testsrv.ProsodyOptions{
		Domain: domain, MUC: muc, DirectTLS: true, Users: users,
	})}
}

// config is the backend's Config for this server, trusting its certificate and listing
// its loopback address in allowed_servers.
func (p *prosody) config(t *testing.T) Config {
	t.Helper()
	c := p.unlisted(t)
	allowed, err := allow.Parse([]string{p.IP})
	if err != nil {
		t.Fatal(err)
	}
	c.Allowed = allowed
	return c
}

// unlisted is config without allowed_servers: the loopback server is not allowed.
func (p *prosody) unlisted(t *testing.T) Config {
	t.Helper()
	c := Config{Server: p.Addr(), CAFile: p.CAFile}
	if err := c.loadRoots(); err != nil {
		t.Fatal(err)
	}
	return c.withDefaults()
}
